import { type Browser, type Page } from "@playwright/test";
import { createUser, expect, freshNamespace, test } from "./support";

const PASSWORD = "correct horse battery staple";

async function signedIn(browser: Browser, ns: string, email: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`/${ns}/sign-in`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
  return page;
}

async function expectSignedOut(page: Page, ns: string) {
  await page.goto(`/${ns}/account`);
  await expect(page.getByText("You are not signed in.")).toBeVisible();
}

test("signing a device out from another ends its session", async ({ browser }) => {
  const ns = freshNamespace();
  const email = "two-devices@example.com";
  createUser(ns, email, PASSWORD);
  const laptop = await signedIn(browser, ns, email);
  const phone = await signedIn(browser, ns, email);

  await laptop.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Devices" }).click();
  const rows = laptop.locator("table.devices tbody tr");
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText("this device");
  await expect(rows.first()).toContainText("127.0.0.1");
  await expect(rows.nth(1)).toContainText("Chrome");
  await rows.nth(1).getByRole("button", { name: /^Sign out / }).click();
  await expect(rows).toHaveCount(1);

  await expectSignedOut(phone, ns);
  await laptop.goto(`/${ns}/account`);
  await expect(laptop.locator("#account-email")).toHaveText(email);
});

test("sign out all other devices keeps only this one", async ({ browser }) => {
  const ns = freshNamespace();
  const email = "many-devices@example.com";
  createUser(ns, email, PASSWORD);
  const mine = await signedIn(browser, ns, email);
  const others = [await signedIn(browser, ns, email), await signedIn(browser, ns, email)];

  await mine.goto(`/${ns}/devices`);
  await expect(mine.locator("table.devices tbody tr")).toHaveCount(3);
  await mine.getByRole("button", { name: "Sign out all other devices" }).click();
  await expect(mine.getByRole("status")).toHaveText("2 other devices were signed out.");
  await expect(mine.locator("table.devices tbody tr")).toHaveCount(1);
  for (const page of others) await expectSignedOut(page, ns);
});
