import { type Page } from "@playwright/test";
import { randomUUID } from "node:crypto";
import { createAdmin, createUser, expect, freshNamespace, test } from "./support";

const PASSWORD = "correct horse battery staple";

async function signIn(page: Page, ns: string, email: string) {
  await page.goto(`/${ns}/sign-in`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
}

test("members see their account only; the admin console refuses them on the server", async ({ page }) => {
  const ns = freshNamespace();
  createUser(ns, "member@example.com", PASSWORD);
  await signIn(page, ns, "member@example.com");
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Account" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Admin" })).toHaveCount(0);
  await expect(page.locator("#account-roles")).toHaveText("Member");
  await page.goto(`/${ns}/admin`);
  await expect(page.getByRole("alert")).toHaveText("You are not allowed to do that.");
  await page.goto(`/${ns}/operator`);
  await expect(page.getByRole("alert")).toHaveText("You are not allowed to do that.");
});

test("an admin gets the admin console of their namespace", async ({ page }) => {
  const ns = freshNamespace();
  createUser(ns, "someone@example.com", PASSWORD);
  createAdmin(ns, "boss@example.com", PASSWORD);
  // Five wrong passwords lock someone out; they show on the dashboard and its chart.
  for (let i = 0; i < 5; i++) {
    await page.goto(`/${ns}/sign-in`);
    await page.getByLabel("Email").fill("someone@example.com");
    await page.getByLabel("Password", { exact: true }).fill("not the password at all");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByRole("alert")).not.toBeEmpty();
  }
  await signIn(page, ns, "boss@example.com");
  await expect(page.locator("#account-roles")).toHaveText("Administrator");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/admin$`));
  const overview = page.locator("#namespace-overview");
  await expect(overview).toContainText("Users");
  await expect(overview.locator("dd").first()).toHaveText("2");
  await expect(overview).toContainText("Locked out now1");
  await expect(overview).toContainText("Users with MFA0 (0%)");
  const chart = page.getByRole("img", { name: "Sign-ins per day, last 14 days" });
  await expect(chart).toBeVisible();
  await expect(page.locator("#chart-desc")).toHaveText("1 successful and 5 failed sign-ins in the last 14 days.");
  await expect(page.locator("#sign-in-chart g text")).toHaveCount(14 + 2);
  // Signed out, the console asks to sign in.
  await page.context().clearCookies();
  await page.goto(`/${ns}/admin`);
  await expect(page.getByRole("alert")).toHaveText("Please sign in.");
});

test("a platform operator gets the operator console", async ({ page }) => {
  const email = `op-${randomUUID().slice(0, 8)}@platform.example`;
  createAdmin("platform", email, PASSWORD, true);
  const ns = freshNamespace();
  createUser(ns, "tenant@example.com", PASSWORD);
  await signIn(page, "platform", email);
  await expect(page.locator("#account-roles")).toHaveText("Platform operator");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Operator" }).click();
  await expect(page.locator("#namespaces")).toContainText(ns);
});
