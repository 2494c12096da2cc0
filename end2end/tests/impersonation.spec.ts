import { createHash, randomBytes } from "node:crypto";
import { uniqueAddress } from "./mail";
import { createAdmin, createUser, expect, freshNamespace, sql, test } from "./support";

const PASSWORD = "correct horse battery staple";
const READ_ONLY = "While impersonating you can look at this account's security settings, not change them.";

test("while impersonating, the banner shows and every credential change is refused", async ({ page, browser, baseURL }) => {
  const ns = freshNamespace();
  const adminEmail = uniqueAddress("support");
  const targetEmail = uniqueAddress("customer");
  const adminId = createAdmin(ns, adminEmail, PASSWORD);
  const targetId = createUser(ns, targetEmail, PASSWORD);

  // The admin's own session, then an impersonation of the customer started through the core
  // (the console's impersonation pages come with the admin console).
  await page.goto(`/${ns}/sign-in`);
  await page.getByLabel("Email").fill(adminEmail);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
  const actorSession = sql(
    `SELECT id FROM authn.sessions WHERE namespace = '${ns}' AND user_id = '${adminId}' ORDER BY created_at DESC LIMIT 1`,
  );
  const token = randomBytes(32).toString("base64url");
  const hash = createHash("sha256").update(token).digest("hex");
  sql(
    `SELECT impersonation_session_id FROM authn.start_impersonation('${actorSession}', '${targetId}', '${hash}', 'ticket 7: customer cannot see MFA settings', NULL, '${ns}')`,
  );

  const context = await browser.newContext();
  await context.addCookies([{ name: "gatehouse_session", value: token, url: baseURL! }]);
  const support = await context.newPage();
  await support.goto(`/${ns}/security/mfa`);
  await expect(support.locator(".impersonation-banner")).toContainText(adminEmail);
  await expect(support.locator(".impersonation-banner")).toContainText("ticket 7: customer cannot see MFA settings");

  await support.getByRole("button", { name: "Set up authenticator app" }).click();
  await expect(support.locator("#mfa-error")).toHaveText(READ_ONLY);
  await expect(support.locator("#totp-secret")).toHaveCount(0);

  await support.goto(`/${ns}/api-keys`);
  await support.getByLabel("Name").fill("backdoor");
  await support.getByRole("button", { name: "Create key" }).click();
  await expect(support.locator("#keys-error")).toHaveText(READ_ONLY);

  await support.goto(`/${ns}/security/password`);
  await support.getByLabel("Current password").fill(PASSWORD);
  await support.getByLabel("New password", { exact: true }).fill("an impostor's passphrase");
  await support.getByLabel("Repeat the new password").fill("an impostor's passphrase");
  await support.getByRole("button", { name: "Change password" }).click();
  await expect(support.locator("#change-password-error")).toHaveText(READ_ONLY);

  await support.goto(`/${ns}/security/email`);
  await support.getByLabel("New email address").fill(uniqueAddress("elsewhere"));
  await support.getByRole("button", { name: "Send confirmation link" }).click();
  await expect(support.locator("#email-change-error")).toHaveText(READ_ONLY);

  // Nothing changed, and the customer sees the impersonation in their own activity.
  expect(sql(`SELECT count(*) FROM authn.api_keys WHERE namespace = '${ns}'`)).toBe("0");
  expect(sql(`SELECT count(*) FROM authn.mfa_secrets WHERE namespace = '${ns}'`)).toBe("0");
  await support.goto(`/${ns}/security`);
  await expect(support.locator("#activity")).toContainText("An administrator acted as you");
  await context.close();
});
