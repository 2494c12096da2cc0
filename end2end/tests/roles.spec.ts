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

test("members see their account only; the consoles answer them with a 403 page and nothing of the console", async ({ page }) => {
  const ns = freshNamespace();
  createUser(ns, "member@example.com", PASSWORD);
  await signIn(page, ns, "member@example.com");
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Account" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Admin" })).toHaveCount(0);
  await expect(page.locator("#account-roles")).toHaveText("Member");
  for (const path of ["admin", "admin/users", "admin/users/new", "admin/audit", "operator", "operator/audit"]) {
    const response = await page.goto(`/${ns}/${path}`);
    expect(response?.status(), path).toBe(403);
    await expect(page.getByRole("heading", { name: "You can't open this page" })).toBeVisible();
    await expect(page.locator("#forbidden")).toContainText("member@example.com");
    await expect(page.getByRole("link", { name: "your security overview" })).toHaveAttribute("href", `/${ns}/security`);
    // Nothing of the console: no navigation, filters, forms or tables.
    await expect(page.locator(".console, .console-nav, form.filters, #users, #audit, table")).toHaveCount(0);
    await expect(page.getByText("Create user")).toHaveCount(0);
  }
  // Clicking through inside the app (no full load) is refused the same way.
  await page.goto(`/${ns}/account`);
  await page.evaluate((href) => {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = "console";
    document.body.append(a);
  }, `/${ns}/admin/lockouts`);
  await page.getByRole("link", { name: "console" }).click();
  await expect(page.getByRole("heading", { name: "You can't open this page" })).toBeVisible();
  await expect(page.locator(".console-nav")).toHaveCount(0);
});

test("signed out, a console page sends to sign-in and back to the same view afterwards", async ({ page }) => {
  const ns = freshNamespace();
  createAdmin(ns, "boss@example.com", PASSWORD);
  const response = await page.goto(`/${ns}/admin/users?email=boss&sort=oldest`);
  // The redirect is the server's, before any console markup is rendered.
  expect(response?.request().redirectedFrom()?.url()).toContain(`/${ns}/admin/users`);
  await expect(page).toHaveURL(new RegExp(`/${ns}/sign-in\\?next=`));
  await expect(page.locator(".console, .console-nav, form.filters")).toHaveCount(0);
  await page.getByLabel("Email").fill("boss@example.com");
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/admin/users\\?email=boss&sort=oldest$`));
  await expect(page.locator("#users tbody tr")).toHaveCount(1);
  await expect(page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Users" })).toHaveAttribute("aria-current", "page");
});

test("a return path that leaves the site or the namespace is ignored", async ({ page }) => {
  const ns = freshNamespace();
  createUser(ns, "member@example.com", PASSWORD);
  for (const next of ["//evil.example/x", "https://evil.example/", `/${ns}/../other/admin`, "/other-namespace/admin", "/\\evil.example"]) {
    await page.context().clearCookies();
    await page.goto(`/${ns}/sign-in?next=${encodeURIComponent(next)}`);
    await page.getByLabel("Email").fill("member@example.com");
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page, next).toHaveURL(new RegExp(`^http://[^/]+/${ns}/account$`));
  }
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
  // Signed out, the console sends to sign-in, with the way back.
  await page.context().clearCookies();
  await page.goto(`/${ns}/admin`);
  await expect(page).toHaveURL(new RegExp(`/${ns}/sign-in\\?next=%2F${ns}%2Fadmin$`));
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
