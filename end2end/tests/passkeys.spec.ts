import { type Page } from "@playwright/test";
import { uniqueAddress, waitForMail } from "./mail";
import { createUser, expect, freshNamespace, hydrated, sql, test } from "./support";
import { addVirtualAuthenticator } from "./webauthn";

const PASSWORD = "correct horse battery staple";

async function signInWithPassword(page: Page, ns: string, email: string) {
  await page.goto(`/${ns}/sign-in`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

async function addPasskey(page: Page, ns: string, name: string) {
  await page.goto(`/${ns}/security/mfa`);
  await page.getByLabel("Passkey name").fill(name);
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page.locator("#passkeys tbody tr").filter({ hasText: name })).toHaveCount(1);
}

test("a passkey is added, renamed, signs in without a password, and serves as the second step", async ({ page }) => {
  const ns = freshNamespace();
  const email = uniqueAddress("passkey");
  createUser(ns, email, PASSWORD);
  await addVirtualAuthenticator(page);
  await signInWithPassword(page, ns, email);
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));

  await addPasskey(page, ns, "laptop");
  // The name field is cleared for the next one.
  await expect(page.getByLabel("Passkey name")).toHaveValue("");
  // The first second factor comes with recovery codes.
  await expect(page.locator("#recovery-codes li")).toHaveCount(10);
  expect((await waitForMail(email)).subject).toBe("A passkey was added to your account");
  await page.getByLabel("New name for laptop").fill("work laptop");
  await page.getByRole("button", { name: "Rename laptop" }).click();
  await expect(page.locator("#passkeys tbody tr").first()).toContainText("work laptop");

  // Passwordless: no e-mail, no password.
  await page.goto(`/${ns}/account`);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/sign-in$`));
  await hydrated(page);
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
  await expect(page.locator("#account-email")).toHaveText(email);

  // With a passkey on the account, a password alone is not enough: the passkey is the second step.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/sign-in$`));
  await signInWithPassword(page, ns, email);
  await expect(page).toHaveURL(new RegExp(`/${ns}/sign-in/second-factor$`));
  await hydrated(page);
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));

  await page.goto(`/${ns}/security`);
  await expect(page.locator("#checklist")).toContainText("Two-step verification is on");
  await expect(page.locator("#checklist")).toContainText("1 passkey");
  await expect(page.locator("#activity tbody tr").first()).toContainText("Signed in (password + passkey)");
  await expect(page.locator("#activity")).toContainText("Signed in (passkey)");
  // The activity names the method that changed, with the name it was given.
  await expect(page.locator("#activity")).toContainText("Passkey \u201claptop\u201d added");
  await expect(page.locator("#activity")).not.toContainText("Authenticator app added");
  await page.goto(`/${ns}/security/mfa`);
  await expect(page.locator("#passkeys tbody tr").first()).not.toContainText("never");
});

test("removing the only passkey turns two-step verification off; a stale session confirms with the passkey", async ({ page }) => {
  const ns = freshNamespace();
  const email = uniqueAddress("unpasskey");
  createUser(ns, email, PASSWORD);
  await addVirtualAuthenticator(page);
  await signInWithPassword(page, ns, email);
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
  await addPasskey(page, ns, "phone");
  // Eleven minutes later, as far as sudo mode can tell: removing needs a fresh confirmation,
  // which the passkey itself can give.
  sql(`UPDATE gatehouse.reauthentications SET authenticated_at = now() - interval '11 minutes' WHERE namespace = '${ns}'`);
  await page.getByRole("button", { name: "Remove phone" }).click();
  await expect(page.locator("#mfa-error")).toHaveText("Confirm your password to continue.");
  await page.getByRole("button", { name: "Confirm with a passkey" }).click();
  await expect(page.getByRole("status")).toContainText("Now repeat what you were doing.");
  await page.getByRole("button", { name: "Remove phone" }).click();
  await expect(page.locator("#passkeys tbody tr")).toHaveCount(0);
  await expect(page.getByText("You get recovery codes when you add an authenticator app or a passkey.")).toBeVisible();

  await page.goto(`/${ns}/account`);
  await page.getByRole("button", { name: "Sign out" }).click();
  await signInWithPassword(page, ns, email);
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
});

test("a passkey sign-in with no passkey on the device fails with a clear message", async ({ page }) => {
  const ns = freshNamespace();
  const cdp = await addVirtualAuthenticator(page);
  // An authenticator that is present but holds nothing for this site.
  await page.goto(`/${ns}/sign-in`);
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page.locator("#passkey-error")).toHaveText(
    "The passkey could not be verified. Try again, or use another way to sign in.",
    { timeout: 15_000 },
  );
  await cdp.detach();
});
