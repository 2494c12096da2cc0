import { type Browser, type Page } from "@playwright/test";
import { linkIn, uniqueAddress, waitForMail } from "./mail";
import { createUser, expect, freshNamespace, gatehouse, hydrated, sql, test } from "./support";
import { totp } from "./totp";

const PASSWORD = "correct horse battery staple";

async function signIn(page: Page, ns: string, email: string) {
  await page.goto(`/${ns}/sign-in`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

async function freshPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  return context.newPage();
}

/** Turns the authenticator app on; returns its secret and the recovery codes shown once. */
async function enrollTotp(page: Page, ns: string): Promise<{ secret: string; codes: string[] }> {
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
  await page.goto(`/${ns}/security/mfa`);
  await expect(page.locator("#totp-status")).toContainText("Off");
  await page.getByRole("button", { name: "Set up authenticator app" }).click();
  const secret = (await page.locator("#totp-secret").textContent())!.trim();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await expect(page.getByRole("img", { name: "QR code for your authenticator app" })).toBeVisible();
  await page.getByLabel("Code from the app").fill("000000" === totp(secret) ? "111111" : "000000");
  await page.getByRole("button", { name: "Turn on" }).click();
  await expect(page.locator("#code-error")).toContainText("incorrect or was already used");
  await page.getByLabel("Code from the app").fill(totp(secret));
  await page.getByRole("button", { name: "Turn on" }).click();
  await expect(page.locator("#recovery-codes li")).toHaveCount(10);
  await expect(page.locator("#totp-status")).toContainText("On");
  const codes = (await page.locator("#recovery-codes li").allTextContents()).map((c) => c.trim());
  return { secret, codes };
}

test("authenticator app: enrolled with a current code, then asked for at sign-in; a used code is refused", async ({ page, browser }) => {
  const ns = freshNamespace();
  const email = uniqueAddress("totp");
  createUser(ns, email, PASSWORD);
  await signIn(page, ns, email);
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
  const { secret, codes } = await enrollTotp(page, ns);
  expect(new Set(codes).size).toBe(10);
  for (const c of codes) expect(c).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
  await expect(page.getByRole("link", { name: "Download (.txt)" })).toHaveAttribute("download", "gatehouse-recovery-codes.txt");
  expect((await waitForMail(email)).subject).toBe("An authenticator app was added to your account");
  // The codes are not shown again.
  await page.reload();
  await expect(page.locator("#recovery-codes")).toHaveCount(0);
  await expect(page.locator("#recovery-status")).toHaveText("10 of 10 recovery codes left.");

  const laptop = await freshPage(browser);
  await signIn(laptop, ns, email);
  await expect(laptop).toHaveURL(new RegExp(`/${ns}/sign-in/second-factor$`));
  await hydrated(laptop);
  const code = totp(secret, 1);
  await laptop.getByLabel("Authentication code").fill(code);
  await laptop.getByRole("button", { name: "Verify" }).click();
  await expect(laptop).toHaveURL(new RegExp(`/${ns}/account$`));
  await expect(laptop.locator("#account-email")).toHaveText(email);

  const phone = await freshPage(browser);
  await signIn(phone, ns, email);
  await expect(phone).toHaveURL(new RegExp(`/${ns}/sign-in/second-factor$`));
  await hydrated(phone);
  await phone.getByLabel("Authentication code").fill(code);
  await phone.getByRole("button", { name: "Verify" }).click();
  await expect(phone.locator("#code-error")).toHaveText(
    "That code is incorrect or was already used. Wait for the next one and try again.",
  );
  await phone.goto(`/${ns}/account`);
  await expect(phone.getByText("You are not signed in.")).toBeVisible();
});

test("a recovery code signs in once; the count goes down and regenerating replaces the set", async ({ page, browser }) => {
  const ns = freshNamespace();
  const email = uniqueAddress("recovery");
  createUser(ns, email, PASSWORD);
  await signIn(page, ns, email);
  const { codes } = await enrollTotp(page, ns);

  const other = await freshPage(browser);
  await signIn(other, ns, email);
  await hydrated(other);
  await other.getByText("Use a recovery code instead").click();
  await other.getByLabel("Recovery code").fill(codes[0].toUpperCase());
  await other.getByRole("button", { name: "Use recovery code" }).click();
  await expect(other).toHaveURL(new RegExp(`/${ns}/account$`));

  const again = await freshPage(browser);
  await signIn(again, ns, email);
  await hydrated(again);
  await again.getByText("Use a recovery code instead").click();
  await again.getByLabel("Recovery code").fill(codes[0]);
  await again.getByRole("button", { name: "Use recovery code" }).click();
  await expect(again.locator("#recovery_code-error")).toHaveText(
    "That recovery code was already used: each works once. Use another one from your list.",
  );

  await page.goto(`/${ns}/security/mfa`);
  await expect(page.locator("#recovery-status")).toHaveText("9 of 10 recovery codes left.");
  await page.getByRole("button", { name: "Make new recovery codes" }).click();
  await expect(page.locator("#recovery-codes li")).toHaveCount(10);
  const fresh = (await page.locator("#recovery-codes li").allTextContents()).map((c) => c.trim());
  expect(fresh).not.toContain(codes[1]);
  // An old code of the replaced set no longer works.
  await again.getByLabel("Recovery code").fill(codes[1]);
  await again.getByRole("button", { name: "Use recovery code" }).click();
  await expect(again.locator("#recovery_code-error")).toHaveText(
    "That is not one of your recovery codes. Check it and try again.",
  );
  await again.getByLabel("Recovery code").fill(fresh[0]);
  await again.getByRole("button", { name: "Use recovery code" }).click();
  await expect(again).toHaveURL(new RegExp(`/${ns}/account$`));
});

test("sensitive changes ask for the password again once sign-in is not recent", async ({ page }) => {
  const ns = freshNamespace();
  const email = uniqueAddress("sudo");
  createUser(ns, email, PASSWORD);
  await signIn(page, ns, email);
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
  // Eleven minutes later, as far as sudo mode can tell.
  sql(`UPDATE gatehouse.reauthentications SET authenticated_at = now() - interval '11 minutes' WHERE namespace = '${ns}'`);

  await page.goto(`/${ns}/security/mfa`);
  await page.getByRole("button", { name: "Set up authenticator app" }).click();
  await expect(page.locator("#mfa-error")).toHaveText("Confirm your password to continue.");
  await page.getByLabel("Your password").fill("not my password at all");
  await page.getByRole("button", { name: "Confirm", exact: true }).click();
  await expect(page.locator("#sudo_password-error")).toHaveText("That is not your current password.");
  await page.getByLabel("Your password").fill(PASSWORD);
  await page.getByRole("button", { name: "Confirm", exact: true }).click();
  await expect(page.getByRole("status")).toContainText("Now repeat what you were doing.");
  await page.getByRole("button", { name: "Set up authenticator app" }).click();
  await expect(page.locator("#totp-secret")).toBeVisible();
});

test("removing the authenticator app turns two-step verification off", async ({ page, browser }) => {
  const ns = freshNamespace();
  const email = uniqueAddress("remove");
  createUser(ns, email, PASSWORD);
  await signIn(page, ns, email);
  await enrollTotp(page, ns);
  await page.getByRole("button", { name: "Remove authenticator app" }).click();
  await expect(page.getByRole("status")).toContainText("The authenticator app was removed.");
  await expect(page.locator("#totp-status")).toContainText("Off");
  const other = await freshPage(browser);
  await signIn(other, ns, email);
  await expect(other).toHaveURL(new RegExp(`/${ns}/account$`));
  expect((await waitForMail(email, 2)).subject).toBe("An authenticator app was removed from your account");
});

test("a magic link leads to the second step too on an account with two-step verification", async ({ page, browser }) => {
  const ns = freshNamespace();
  const email = uniqueAddress("linkmfa");
  createUser(ns, email, PASSWORD);
  await signIn(page, ns, email);
  const { secret } = await enrollTotp(page, ns);
  await waitForMail(email); // the "authenticator added" notice

  const other = await freshPage(browser);
  await other.goto(`/${ns}/magic-link`);
  await other.getByLabel("Email").fill(email);
  await other.getByRole("button", { name: "Email me a link" }).click();
  const mail = await waitForMail(email, 2);
  expect(mail.subject).toBe("Your sign-in link");
  await other.goto(linkIn(mail, "magic-link/confirm"));
  await other.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(other).toHaveURL(new RegExp(`/${ns}/sign-in/second-factor$`));
  await hydrated(other);
  await other.getByLabel("Authentication code").fill(totp(secret, 1));
  await other.getByRole("button", { name: "Verify" }).click();
  await expect(other).toHaveURL(new RegExp(`/${ns}/account$`));
  await other.goto(`/${ns}/security`);
  await expect(other.locator("#activity tbody tr").first()).toContainText("Signed in (email link + authenticator app)");
});

test("a namespace that requires two-step verification sends its people to set it up first", async ({ page }) => {
  const ns = freshNamespace();
  const email = uniqueAddress("required");
  createUser(ns, email, PASSWORD);
  gatehouse(["set-account-mfa", "--namespace", ns, "--mode", "required"]);
  await signIn(page, ns, email);
  await expect(page).toHaveURL(new RegExp(`/${ns}/security/mfa\\?for=account$`));
  await expect(page.locator("#account-needs-mfa")).toContainText("This organisation requires two-step verification");
  for (const section of ["account", "devices", "api-keys", "security"]) {
    await page.goto(`/${ns}/${section}`);
    await expect(page).toHaveURL(new RegExp(`/${ns}/security/mfa\\?for=account$`));
  }
  await page.getByRole("button", { name: "Set up authenticator app" }).click();
  const secret = (await page.locator("#totp-secret").textContent())!.trim();
  await page.getByLabel("Code from the app").fill(totp(secret));
  await page.getByRole("button", { name: "Turn on" }).click();
  await expect(page.locator("#totp-status")).toContainText("On");
  await page.goto(`/${ns}/devices`);
  await expect(page).toHaveURL(new RegExp(`/${ns}/devices$`));
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the authenticator app is set up, and the recovery codes shown once, all the same", async ({ page }) => {
    const ns = freshNamespace();
    const email = uniqueAddress("nojs-totp");
    createUser(ns, email, PASSWORD);
    await signIn(page, ns, email);
    await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
    await page.goto(`/${ns}/security/mfa`);
    await page.getByRole("button", { name: "Set up authenticator app" }).click();
    const secret = (await page.locator("#totp-secret").textContent())!.trim();
    // A wrong code shows the same key again, with the error.
    await page.getByLabel("Code from the app").fill("000000" === totp(secret) ? "111111" : "000000");
    await page.getByRole("button", { name: "Turn on" }).click();
    await expect(page.locator("#code-error")).toContainText("incorrect or was already used");
    await expect(page.locator("#totp-secret")).toHaveText(secret);
    await page.getByLabel("Code from the app").fill(totp(secret));
    await page.getByRole("button", { name: "Turn on" }).click();
    await expect(page.locator("#totp-status")).toContainText("On");
    await expect(page.locator("#recovery-codes li")).toHaveCount(10);
    await page.getByRole("button", { name: "Make new recovery codes" }).click();
    await expect(page.locator("#recovery-codes li")).toHaveCount(10);
    await expect(page.locator("#recovery-status")).toHaveText("10 of 10 recovery codes left.");
  });
});
