import { uniqueAddress, waitForMail } from "./mail";
import { PASSWORD, signIn } from "./admin_support";
import { createAdmin, createUser, expect, freshNamespace, hydrated, sql, test } from "./support";

const READ_ONLY = "While impersonating you can look at this account's security settings, not change them.";

test("impersonation from the console: banner everywhere, read-only credentials, end restores the admin", async ({ page }) => {
  const ns = freshNamespace();
  const admin = uniqueAddress("support");
  const member = uniqueAddress("customer");
  createAdmin(ns, admin, PASSWORD);
  const memberId = createUser(ns, member, PASSWORD);
  await signIn(page, ns, admin);
  await page.goto(`/${ns}/admin/users/${memberId}`);

  // Bad input first: nothing starts.
  await page.locator("#impersonate-form").evaluate((f: HTMLFormElement) => (f.noValidate = true));
  await page.getByLabel(/Justification/).fill("short");
  await page.getByRole("button", { name: "Start impersonation" }).click();
  await expect(page.getByRole("alert")).toHaveText("Write a reason of 10 to 500 characters.");
  await page.getByLabel(/Justification/).fill("Ticket 4711: cannot find the MFA settings");
  await page.getByLabel(/Duration in minutes/).fill("61");
  // The form is plain HTML, posted natively: the page it came back on is a new one.
  await page.locator("#impersonate-form").evaluate((f: HTMLFormElement) => (f.noValidate = true));
  await page.getByRole("button", { name: "Start impersonation" }).click();
  await expect(page.getByRole("alert")).toHaveText("Choose 1 to 60 minutes.");
  expect(sql(`SELECT count(*) FROM authn.impersonation_sessions WHERE namespace = '${ns}'`)).toBe("0");

  await page.getByLabel(/Duration in minutes/).fill("15");
  await page.getByRole("button", { name: "Start impersonation" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/security$`));
  const banner = page.locator("#impersonation-banner");
  for (const path of ["security", "devices", "api-keys", "account"]) {
    await page.goto(`/${ns}/${path}`);
    await expect(banner).toContainText(`${admin} is signed in as ${member}`);
    await expect(banner).toContainText("Ticket 4711: cannot find the MFA settings");
    await expect(page.locator("#impersonation-countdown")).toHaveText(/^1[45]:\d\d left$/);
  }
  // No way to dismiss it, and credentials stay read-only.
  await expect(banner.getByRole("button")).toHaveText(["End impersonation"]);
  await page.goto(`/${ns}/security/password`);
  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByLabel("New password", { exact: true }).fill("an impostor's passphrase");
  await page.getByLabel("Repeat the new password").fill("an impostor's passphrase");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.locator("#change-password-error")).toHaveText(READ_ONLY);
  // The console is not the impersonator's while impersonating.
  await page.goto(`/${ns}/admin/users`);
  await expect(page.getByRole("heading", { name: "You can't open this page" })).toBeVisible();

  const mail = await waitForMail(member);
  expect(mail.subject).toBe("An administrator is signed in as you");
  expect(mail.text).toContain("Ticket 4711: cannot find the MFA settings");

  await page.goto(`/${ns}/security`);
  await banner.getByRole("button", { name: "End impersonation" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/admin/impersonations\\?ended=1`));
  await expect(page.locator("#impersonation-banner")).toHaveCount(0);
  await expect(page.locator(".who")).toHaveText(admin);
  await expect(page.locator("#impersonation-history")).toContainText(member);
  // The history's filters come before the table they filter.
  await expect(page.locator("form.filters ~ #impersonation-history")).toHaveCount(1);
  await expect(page.locator("#active-impersonations tr")).toHaveCount(0);
});

test("impersonation ends by itself when its time is up", async ({ page }) => {
  const ns = freshNamespace();
  const admin = uniqueAddress("support");
  const member = uniqueAddress("customer");
  createAdmin(ns, admin, PASSWORD);
  const memberId = createUser(ns, member, PASSWORD);
  await signIn(page, ns, admin);
  await page.goto(`/${ns}/admin/users/${memberId}`);
  await page.getByLabel(/Justification/).fill("Ticket 12: checking the expiry");
  await page.getByLabel(/Duration in minutes/).fill("1");
  await page.getByRole("button", { name: "Start impersonation" }).click();
  await expect(page.locator("#impersonation-banner")).toBeVisible();
  // Shorten the minute to a few seconds (the shortest duration the form offers is one minute).
  sql(`UPDATE authn.impersonation_sessions SET expires_at = now() + interval '4 seconds' WHERE namespace = '${ns}';
       UPDATE authn.sessions SET expires_at = now() + interval '4 seconds' WHERE namespace = '${ns}' AND user_agent = 'impersonation'`);
  await page.goto(`/${ns}/account`);
  await expect(page.locator("#impersonation-countdown")).toHaveText(/^0:0\d left$/);
  await expect(page).toHaveURL(new RegExp(`/${ns}/admin/impersonations`), { timeout: 15_000 });
  await expect(page.locator(".who")).toHaveText(admin);
  await expect(page.locator("#impersonation-banner")).toHaveCount(0);
});

test("impersonation is refused for oneself, other admins, and from an impersonation", async ({ page }) => {
  const ns = freshNamespace();
  const admin = uniqueAddress("support");
  const otherAdmin = uniqueAddress("other-admin");
  const adminId = createAdmin(ns, admin, PASSWORD);
  const otherId = createAdmin(ns, otherAdmin, PASSWORD);
  await signIn(page, ns, admin);
  await page.goto(`/${ns}/admin/users/${otherId}`);
  await expect(page.getByText("Admins and operators cannot be impersonated.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Start impersonation" })).toHaveCount(0);
  await page.goto(`/${ns}/admin/users/${adminId}`);
  await expect(page.getByText("This is your own account.")).toBeVisible();
  // Calling the server function directly is refused on the server too.
  for (const target of [otherId, adminId]) {
    const response = await page.request.post("/api/admin_impersonate", {
      form: { namespace: ns, user_id: target, reason: "Trying it anyway, ticket 1", minutes: "5" },
      headers: { Origin: new URL(page.url()).origin },
    });
    expect(response.status()).toBe(403);
  }
  expect(sql(`SELECT count(*) FROM authn.impersonation_sessions WHERE namespace = '${ns}'`)).toBe("0");
});

test("the mail to impersonated people can be turned off, and the change is audited", async ({ page }) => {
  const ns = freshNamespace();
  const admin = uniqueAddress("support");
  const adminId = createAdmin(ns, admin, PASSWORD);
  await signIn(page, ns, admin);
  await page.goto(`/${ns}/admin/impersonations`);
  // Turning it off takes a recent sign-in: an hour-old one is refused on the server.
  sql(`UPDATE gatehouse.reauthentications SET authenticated_at = now() - interval '1 hour' WHERE namespace = '${ns}'`);
  const stale = await page.request.post("/api/admin_set_impersonation_notice", {
    form: { namespace: ns, notify: "off" },
    headers: { Origin: new URL(page.url()).origin },
  });
  expect(stale.status()).toBe(403);
  expect(await stale.text()).toContain("ReauthenticationRequired");
  expect(
    sql(`SELECT count(*) FROM authn.audit_events WHERE namespace = '${ns}' AND event_type = 'namespace_settings_updated'
           AND new_values ? 'notify_impersonation'`),
  ).toBe("0");
  // In the page, the refusal asks for the password in place; then the change goes through.
  await hydrated(page);
  const box = page.getByLabel("Mail a person when an admin or platform support starts working as them");
  await expect(box).toBeChecked();
  await box.uncheck();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("heading", { name: "Confirm it is you" })).toBeVisible();
  await page.getByLabel("Your password").fill(PASSWORD);
  await page.getByRole("button", { name: "Confirm", exact: true }).click();
  await expect(page.getByText("Thanks. Now repeat what you were doing.")).toBeVisible();
  await box.uncheck();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page).toHaveURL(/saved=1/);
  await page.reload();
  await expect(box).not.toBeChecked();
  expect(
    sql(`SELECT actor_id || '|' || (new_values->>'notify_impersonation') FROM authn.audit_events
          WHERE namespace = '${ns}' AND event_type = 'namespace_settings_updated'
            AND new_values ? 'notify_impersonation'`),
  ).toBe(`user:${adminId}|false`);
});
