import { type Page } from "@playwright/test";
import { codeIn, linkIn, mailsTo, uniqueAddress, waitForMail } from "./mail";
import { createUser, expect, freshNamespace, openSignUp, test } from "./support";

const PASSWORD = "correct horse battery staple";
const SENT = "If an account exists for that address, we have sent it a message.";

async function signIn(page: Page, ns: string, email: string, password: string) {
  await page.goto(`/${ns}/sign-in`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

test("sign-up sends a confirmation link; the account signs in once confirmed", async ({ page }) => {
  const ns = freshNamespace();
  openSignUp(ns);
  const email = uniqueAddress("newcomer");
  await page.goto(`/${ns}/sign-in`);
  await page.getByRole("link", { name: "Create an account" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/sign-up$`));

  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByLabel("Repeat the password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  const password = page.getByLabel("Password", { exact: true });
  await expect(password).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator("#password-error")).toHaveText("Use at least 12 characters.");
  await expect(password).toBeFocused();

  await password.fill(PASSWORD);
  await page.getByLabel("Repeat the password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("status")).toContainText("Check your inbox");

  await signIn(page, ns, email, PASSWORD);
  await expect(page.getByRole("alert")).toHaveText("Confirm your email address first: use the link we sent you.");

  const mail = await waitForMail(email);
  expect(mail.subject).toBe("Confirm your email address");
  await page.goto(linkIn(mail, "verify-email"));
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Repeat the password").fill(PASSWORD);
  await page.getByRole("button", { name: "Confirm my address" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/sign-in\\?verified=1$`));
  await expect(page.getByRole("status")).toHaveText("Your address is confirmed. Sign in to continue.");

  await signIn(page, ns, email, PASSWORD);
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
  await expect(page.locator("#account-email")).toHaveText(email);
  await expect(page.getByText("confirmed", { exact: true })).toBeVisible();
});

test("sign-up pre-hijacking: the address's owner chooses the password when confirming it", async ({ page, browser }) => {
  const ns = freshNamespace();
  openSignUp(ns);
  const victim = uniqueAddress("victim");
  // The attacker signs up first, with the victim's address and a password of their own.
  const attacker = await (await browser.newContext()).newPage();
  await attacker.goto(`/${ns}/sign-up`);
  await attacker.getByLabel("Email").fill(victim);
  await attacker.getByLabel("Password", { exact: true }).fill("an impostor's passphrase");
  await attacker.getByLabel("Repeat the password").fill("an impostor's passphrase");
  await attacker.getByRole("button", { name: "Create account" }).click();
  await expect(attacker.getByRole("status")).toContainText("Check your inbox");

  // The owner gets the mail and confirms the address, choosing their own password.
  const mail = await waitForMail(victim);
  await page.goto(linkIn(mail, "verify-email"));
  await expect(page.getByText("any other password is replaced")).toBeVisible();
  await page.getByLabel("Password", { exact: true }).fill("lantern orbit velvet canyon");
  await page.getByLabel("Repeat the password").fill("lantern orbit velvet canyon");
  await page.getByRole("button", { name: "Confirm my address" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/sign-in\\?verified=1$`));

  // The attacker's password no longer opens anything; the owner's does.
  await signIn(attacker, ns, victim, "an impostor's passphrase");
  await expect(attacker.getByRole("alert")).toHaveText("The email or password is incorrect.");
  await signIn(page, ns, victim, "lantern orbit velvet canyon");
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
  await attacker.context().close();
});

test("a namespace without open sign-up says it is by invitation", async ({ page }) => {
  const ns = freshNamespace();
  await page.goto(`/${ns}/sign-up`);
  await expect(page.getByText("Sign-up is by invitation only.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Create account" })).toHaveCount(0);
});

test("forgot password: the same answer for anyone, a reset link that signs every device out", async ({ page, browser }) => {
  const ns = freshNamespace();
  const email = uniqueAddress("forgetful");
  createUser(ns, email, PASSWORD);
  // Another device, signed in before the reset.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await signIn(otherPage, ns, email, PASSWORD);
  await expect(otherPage.locator("#account-email")).toHaveText(email);

  const nobody = uniqueAddress("nobody-home");
  for (const address of [nobody, email]) {
    await page.goto(`/${ns}/sign-in`);
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.getByLabel("Email").fill(address);
    await page.getByRole("button", { name: "Email me a reset link" }).click();
    await expect(page.getByRole("status")).toContainText(SENT);
  }
  const mail = await waitForMail(email);
  expect(mail.subject).toBe("Reset your password");

  await page.goto(linkIn(mail, "reset-password"));
  await page.getByLabel("New password", { exact: true }).fill("a brand new passphrase");
  await page.getByLabel("Repeat the new password").fill("something else entirely");
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.locator("#password_confirm-error")).toHaveText("The passwords do not match.");
  await page.getByLabel("New password", { exact: true }).fill("a brand new passphrase");
  await page.getByLabel("Repeat the new password").fill("a brand new passphrase");
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/sign-in\\?reset=done&devices=1&keys=0$`));
  await expect(page.getByRole("status")).toContainText("Your password was changed");

  await signIn(page, ns, email, PASSWORD);
  await expect(page.getByRole("alert")).toHaveText("The email or password is incorrect.");
  await signIn(page, ns, email, "a brand new passphrase");
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));

  await otherPage.goto(`/${ns}/account`);
  await expect(otherPage.getByText("You are not signed in.")).toBeVisible();
  await other.close();

  const notice = await waitForMail(email, 2);
  expect(notice.subject).toBe("Your password was changed");
  // The link was single use.
  await page.goto(linkIn(mail, "reset-password"));
  await page.getByLabel("New password", { exact: true }).fill("yet another passphrase");
  await page.getByLabel("Repeat the new password").fill("yet another passphrase");
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.getByRole("alert")).toHaveText("This link is invalid, already used or expired. Ask for a new one.");
  expect(mailsTo(nobody)).toHaveLength(0);
});

test("a magic link signs in once", async ({ page }) => {
  const ns = freshNamespace();
  const email = uniqueAddress("linky");
  createUser(ns, email, PASSWORD);
  await page.goto(`/${ns}/sign-in`);
  await page.getByRole("link", { name: "email me a link" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Email me a link" }).click();
  await expect(page.getByRole("status")).toContainText(SENT);

  const mail = await waitForMail(email);
  expect(mail.subject).toBe("Your sign-in link");
  const link = linkIn(mail, "magic-link/confirm");
  await page.goto(link);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
  await expect(page.locator("#account-email")).toHaveText(email);

  await page.goto(link);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert")).toHaveText("This link is invalid, already used or expired. Ask for a new one.");
});

test("an emailed code signs in; a wrong code is refused on the field", async ({ page }) => {
  const ns = freshNamespace();
  const email = uniqueAddress("coder");
  createUser(ns, email, PASSWORD);
  await page.goto(`/${ns}/sign-in`);
  await page.getByRole("link", { name: "email me a code" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Email me a code" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/email-code/verify\\?email=`));

  const code = codeIn(await waitForMail(email));
  const wrong = code === "000000" ? "000001" : "000000";
  await page.getByLabel("Code").fill(wrong);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.locator("#code-error")).toHaveText("The code is incorrect or has expired.");
  await expect(page.getByLabel("Code")).toBeFocused();

  await page.getByLabel("Code").fill(code);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
  await expect(page.locator("#account-email")).toHaveText(email);
});

test("signing in with a mailed code or link brings the person back to the page they asked for", async ({ page, browser }) => {
  const ns = freshNamespace();
  const wanted = `/${ns}/security/password`;
  const askedAt = `/${ns}/sign-in?next=${encodeURIComponent(wanted)}`;

  // A code: the way there keeps `next`, the code page sends them on.
  const coder = uniqueAddress("back-by-code");
  createUser(ns, coder, PASSWORD);
  await page.goto(askedAt);
  await page.getByRole("link", { name: "email me a code" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/email-code\\?next=`));
  await page.getByLabel("Email").fill(coder);
  await page.getByRole("button", { name: "Email me a code" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/email-code/verify\\?email=`));
  await page.getByLabel("Code").fill(codeIn(await waitForMail(coder)));
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${wanted}$`));

  // A link, used in the browser that asked for it.
  const linky = uniqueAddress("back-by-link");
  createUser(ns, linky, PASSWORD);
  const context = await browser.newContext();
  const other = await context.newPage();
  await other.goto(askedAt);
  await other.getByRole("link", { name: "email me a link" }).click();
  await expect(other.getByRole("link", { name: "Back to sign-in" })).toHaveAttribute("href", askedAt);
  await other.getByLabel("Email").fill(linky);
  await other.getByRole("button", { name: "Email me a link" }).click();
  await expect(other.getByRole("status")).toContainText(SENT);
  await other.goto(linkIn(await waitForMail(linky), "magic-link/confirm"));
  await other.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(other).toHaveURL(new RegExp(`${wanted}$`));
  await context.close();
});

test("the developer mailbox lists sent mail with working links", async ({ page }) => {
  const ns = freshNamespace();
  const email = uniqueAddress("devbox");
  createUser(ns, email, PASSWORD);
  await page.goto(`/${ns}/magic-link`);
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Email me a link" }).click();
  await expect(page.getByRole("status")).toContainText(SENT);
  await waitForMail(email);

  await page.goto("/dev/mailbox");
  const item = page.locator("li.mail").filter({ hasText: email }).first();
  await expect(item).toContainText("Your sign-in link");
  await item.getByRole("link").first().click();
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.locator("#account-email")).toHaveText(email);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("a magic link is requested and used with plain forms", async ({ page }) => {
    const ns = freshNamespace();
    const email = uniqueAddress("nojs");
    createUser(ns, email, PASSWORD);
    await page.goto(`/${ns}/magic-link`);
    await page.getByLabel("Email").fill(email);
    await page.getByRole("button", { name: "Email me a link" }).click();
    await expect(page.getByRole("status")).toContainText(SENT);
    await page.goto(linkIn(await waitForMail(email), "magic-link/confirm"));
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.locator("#account-email")).toHaveText(email);
  });
});
