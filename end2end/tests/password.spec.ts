import { type Browser, type Page } from "@playwright/test";
import { uniqueAddress, waitForMail } from "./mail";
import { createUser, expect, freshNamespace, hydrated, test } from "./support";

const PASSWORD = "correct horse battery staple";
const NEW_PASSWORD = "lantern orbit velvet canyon";

async function signIn(page: Page, ns: string, email: string, password = PASSWORD) {
  await page.goto(`/${ns}/sign-in`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

async function otherDevice(browser: Browser, ns: string, email: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, ns, email);
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
  return page;
}

test("changing the password: policy and meter, other devices signed out, this one kept, owner told", async ({ page, browser }) => {
  const ns = freshNamespace();
  const email = uniqueAddress("changer");
  createUser(ns, email, PASSWORD);
  const phone = await otherDevice(browser, ns, email);
  await signIn(page, ns, email);
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Password" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/security/password$`));
  // A link loads the page anew: the meter lives once the page's script has started.
  await hydrated(page);

  // The meter follows the typing.
  const fresh = page.getByLabel("New password", { exact: true });
  await fresh.pressSequentially("password1234");
  await expect(page.locator("#strength")).toContainText("Strength: Very weak");
  await fresh.fill("");
  await fresh.pressSequentially(NEW_PASSWORD);
  await expect(page.locator("#strength")).toContainText("Strength: Strong");

  await page.getByLabel("Current password").fill("not my password at all");
  await page.getByLabel("Repeat the new password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.locator("#current_password-error")).toHaveText("That is not your current password.");

  await page.getByLabel("Current password").fill(PASSWORD);
  await fresh.fill("password1234");
  await page.getByLabel("Repeat the new password").fill("password1234");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.locator("#password-error")).toHaveText(
    "This password is too common: it appears in lists of leaked passwords. Choose another.",
  );

  // What the meter calls weak is refused, in the meter's own words.
  await fresh.fill("");
  await fresh.pressSequentially("Password1234!");
  const warning = page.locator("#strength p.hint");
  await expect(warning).toContainText("Easy to guess: ");
  const advice = ((await warning.textContent()) ?? "").replace("Easy to guess: ", "");
  await page.getByLabel("Repeat the new password").fill("Password1234!");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.locator("#password-error")).toHaveText(`This password is easy to guess: ${advice}`);

  await fresh.fill(NEW_PASSWORD);
  await page.getByLabel("Repeat the new password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status")).toHaveText("Your password was changed. Every other device was signed out.");

  await page.goto(`/${ns}/account`);
  await expect(page.locator("#account-email")).toHaveText(email);
  await phone.goto(`/${ns}/account`);
  await expect(phone.getByText("You are not signed in.")).toBeVisible();
  expect((await waitForMail(email)).subject).toBe("Your password was changed");

  const later = await (await browser.newContext()).newPage();
  await signIn(later, ns, email, PASSWORD);
  await expect(later.getByRole("alert")).toHaveText("The email or password is incorrect.");
  await signIn(later, ns, email, NEW_PASSWORD);
  await expect(later).toHaveURL(new RegExp(`/${ns}/account$`));
});
