import { type Browser, type Page } from "@playwright/test";
import { mailsTo, uniqueAddress, waitForMail } from "./mail";
import { createUser, expect, freshNamespace, sql, test } from "./support";

const PASSWORD = "correct horse battery staple";

async function signedIn(browser: Browser, ns: string, email: string, userAgent?: string): Promise<Page> {
  const context = await browser.newContext(userAgent ? { userAgent } : {});
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

const FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";
const SAFARI_ON_MAC =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";

/** Waits until the mail worker has turned every request of `ns` into mail, then counts the mail queued for `email`. */
async function settledMailCount(ns: string, email: string): Promise<number> {
  await expect.poll(() => sql(`SELECT count(*) FROM gatehouse.mail_requests WHERE namespace = '${ns}'`)).toBe("0");
  return Number(sql(`SELECT count(*) FROM gatehouse.mail_outbox WHERE namespace = '${ns}' AND recipient = '${email}'`));
}

test("a sign-in from a new browser and device mails the owner, a known one does not, and the owner can turn it off", async ({ browser }) => {
  const ns = freshNamespace();
  const email = uniqueAddress("alerts");
  createUser(ns, email, PASSWORD);
  // The first sign-in of a new account has nothing to compare with: no mail.
  const first = await signedIn(browser, ns, email);
  expect(await settledMailCount(ns, email)).toBe(0);

  // Another browser and system: "was this you?", with the device, the place and the way to the devices page.
  const other = await signedIn(browser, ns, email, FIREFOX_ON_WINDOWS);
  const mail = await waitForMail(email);
  expect(mail.subject).toBe("New sign-in to your account");
  expect(mail.text).toContain("Firefox 128 on Windows 10");
  expect(mail.text).toMatch(/from IP address (127\.0\.0\.1|::1)/);
  expect(mail.text).toContain(`/${ns}/devices`);

  // The same browser again (a new context, so a new session): known now, no mail.
  await signedIn(browser, ns, email, FIREFOX_ON_WINDOWS);
  // Nor for the first browser.
  await signedIn(browser, ns, email);
  expect(await settledMailCount(ns, email)).toBe(1);
  expect(mailsTo(email)).toHaveLength(1);

  // Turned off on the devices page (a fresh sign-in, so no password is asked), no mail for a third one.
  await first.goto(`/${ns}/devices`);
  const setting = first.getByLabel(/Email me when my account is signed in to/);
  await expect(setting).toBeChecked();
  await setting.uncheck();
  await first.locator("#new-device-mail-form").getByRole("button", { name: "Save" }).click();
  await expect(first.getByRole("status").filter({ hasText: "Sign-in alerts are off." })).toBeVisible();
  await expect(first.getByLabel(/Email me when my account is signed in to/)).not.toBeChecked();
  await signedIn(browser, ns, email, SAFARI_ON_MAC);
  expect(await settledMailCount(ns, email)).toBe(1);
  await other.context().close();
});
