import { linkIn, uniqueAddress, waitForMail } from "./mail";
import { PASSWORD, signIn } from "./admin_support";
import { createAdmin, createUser, expect, freshNamespace, sql, test } from "./support";

test("users: search, filters and paging live in the URL", async ({ page }) => {
  const ns = freshNamespace();
  const admin = uniqueAddress("boss");
  createAdmin(ns, admin, PASSWORD);
  // 60 accounts through SQL (the CLI would hash 60 passwords); 5 of them disabled.
  sql(`INSERT INTO authn.users (namespace, email, email_verified_at, disabled_at, created_at)
       SELECT '${ns}', 'person' || lpad(i::text, 3, '0') || '@paging.example', now(),
              CASE WHEN i % 12 = 0 THEN now() END, now() - i * interval '1 minute'
         FROM generate_series(1, 60) AS i`);
  await signIn(page, ns, admin);

  await page.goto(`/${ns}/admin/users?email=paging&sort=email`);
  const rows = page.locator("#users tbody tr");
  await expect(rows).toHaveCount(50);
  await expect(rows.first()).toContainText("person001@paging.example");
  await page.getByRole("link", { name: "Next page" }).click();
  await expect(page).toHaveURL(/after=/);
  await expect(rows).toHaveCount(10);
  await expect(rows.first()).toContainText("person051@paging.example");
  await expect(page.getByRole("link", { name: "Next page" })).toHaveCount(0);
  // The page reloads to the same view from its URL.
  await page.reload();
  await expect(rows.first()).toContainText("person051@paging.example");

  await page.goto(`/${ns}/admin/users`);
  await page.getByLabel("Email contains").fill("paging");
  await page.getByLabel("Disabled").selectOption("yes");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/disabled=yes/);
  await expect(rows).toHaveCount(5);
  await expect(page.locator("#users")).toContainText("person060@paging.example");

  await page.goto(`/${ns}/admin/users?email=person007`);
  await expect(rows).toHaveCount(1);
  await page.getByRole("link", { name: "person007@paging.example" }).click();
  await expect(page.locator("#user-email")).toHaveText("person007@paging.example");
  // Actions with nothing to act on are not offered: no session, no second factor.
  await expect(page.locator("#sessions")).toBeAttached();
  await expect(page.getByRole("button", { name: "Sign out everywhere" })).toHaveCount(0);
  await expect(page.getByText("Reset two-step verification…")).toHaveCount(0);

  // Bad input: clear messages, no rows.
  await page.goto(`/${ns}/admin/users?disabled=maybe`);
  await expect(page.getByRole("alert")).toHaveText("One of the filters has a value this page does not know. Reset the filters.");
  await page.goto(`/${ns}/admin/users?after=garbage`);
  await expect(page.getByRole("alert")).toHaveText("This page link is no longer valid. Start again from the first page.");
});

test("create by invitation: the mail's link sets the password and the user signs in", async ({ page, browser }) => {
  const ns = freshNamespace();
  const admin = uniqueAddress("boss");
  createAdmin(ns, admin, PASSWORD);
  await signIn(page, ns, admin);
  const invited = uniqueAddress("invited");
  await page.goto(`/${ns}/admin/users/new`);
  await page.getByLabel("Email").fill(invited);
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByRole("status")).toContainText("invitation mailed");
  await expect(page.locator("#user-email")).toHaveText(invited);

  const mail = await waitForMail(invited);
  expect(mail.subject).toContain("invited");
  const other = await (await browser.newContext()).newPage();
  await other.goto(linkIn(mail, "reset-password"));
  await other.getByLabel("New password", { exact: true }).fill("a brand new passphrase");
  await other.getByLabel("Repeat the new password").fill("a brand new passphrase");
  await other.getByRole("button", { name: "Set new password" }).click();
  await expect(other).toHaveURL(/sign-in\?reset=done/);
  await signIn(other, ns, invited, "a brand new passphrase");

  // The same address again is refused, and nothing else is created.
  await page.goto(`/${ns}/admin/users/new`);
  await page.getByLabel("Email").fill(invited);
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.locator("#email-error")).toHaveText("That address already has an account.");
  expect(sql(`SELECT count(*) FROM authn.users WHERE namespace = '${ns}'`)).toBe("2");
});

test("an address whose owner chose the password at sign-up is confirmed by their link, not by the console", async ({ page }) => {
  const ns = freshNamespace();
  const admin = uniqueAddress("boss");
  createAdmin(ns, admin, PASSWORD);
  // As a sign-up leaves it: a password chosen by whoever signed up, the address unconfirmed.
  const claimed = uniqueAddress("claimed");
  const claimedId = createUser(ns, claimed, PASSWORD);
  sql(`UPDATE authn.users SET email_verified_at = NULL WHERE id = '${claimedId}'`);
  await signIn(page, ns, admin);
  await page.goto(`/${ns}/admin/users/${claimedId}`);
  await page.getByRole("button", { name: "Mark email as confirmed" }).click();
  await expect(page.getByRole("alert")).toContainText("only the link mailed to them can confirm the address");
  await page.reload();
  await expect(page.locator("#user-verified")).toHaveText("Not yet");
  expect(sql(`SELECT email_verified_at IS NULL FROM authn.users WHERE id = '${claimedId}'`)).toBe("t");
});

test("create with a password: the policy applies, then mark confirmed and sign in", async ({ page, browser }) => {
  const ns = freshNamespace();
  const admin = uniqueAddress("boss");
  createAdmin(ns, admin, PASSWORD);
  await signIn(page, ns, admin);
  const created = uniqueAddress("created");
  await page.goto(`/${ns}/admin/users/new`);
  await page.getByLabel("Email").fill(created);
  await page.getByLabel("Set an initial password now").check();
  await page.locator("#password").fill("password123");
  await page.locator("#password_confirm").fill("password123");
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.locator("#password-error")).not.toBeEmpty();
  expect(sql(`SELECT count(*) FROM authn.users WHERE namespace = '${ns}'`)).toBe("1");

  await page.locator("#password").fill("a sturdy initial passphrase");
  await page.locator("#password_confirm").fill("a sturdy initial passphrase");
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.locator("#user-email")).toHaveText(created);
  await expect(page.locator("#user-verified")).toHaveText("Not yet");
  await page.getByRole("button", { name: "Mark email as confirmed" }).click();
  await expect(page.getByRole("status")).toHaveText("The address is marked as confirmed.");
  await expect(page.locator("#user-verified")).not.toHaveText("Not yet");
  // The admin knows that password: the first sign-in asks its owner for one of their own.
  const other = await (await browser.newContext()).newPage();
  await other.goto(`/${ns}/sign-in`);
  await other.getByLabel("Email").fill(created);
  await other.getByLabel("Password", { exact: true }).fill("a sturdy initial passphrase");
  await other.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(other).toHaveURL(new RegExp(`/${ns}/sign-in/new-password$`));
  // Nothing else opens meanwhile.
  await other.goto(`/${ns}/account`);
  await expect(other.getByText("You are not signed in.")).toBeVisible();
  await other.goto(`/${ns}/sign-in/new-password`);
  await other.getByLabel("New password", { exact: true }).fill("lantern orbit velvet canyon");
  await other.getByLabel("Repeat the new password").fill("lantern orbit velvet canyon");
  await other.getByRole("button", { name: "Set password and continue" }).click();
  await expect(other).toHaveURL(new RegExp(`/${ns}/account$`));
  await other.context().close();
  // The admin's password no longer works; the owner's does, with no detour.
  const again = await (await browser.newContext()).newPage();
  await again.goto(`/${ns}/sign-in`);
  await again.getByLabel("Email").fill(created);
  await again.getByLabel("Password", { exact: true }).fill("a sturdy initial passphrase");
  await again.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(again.getByRole("alert")).toHaveText("The email or password is incorrect.");
  await signIn(again, ns, created, "lantern orbit velvet canyon");
});

test("disable signs the user out, enable lets them back, delete needs the typed address", async ({ page, browser }) => {
  const ns = freshNamespace();
  const admin = uniqueAddress("boss");
  const member = uniqueAddress("member");
  createAdmin(ns, admin, PASSWORD);
  const memberId = createUser(ns, member, PASSWORD);
  const memberPage = await (await browser.newContext()).newPage();
  await signIn(memberPage, ns, member);

  await signIn(page, ns, admin);
  await page.goto(`/${ns}/admin/users/${memberId}`);
  await expect(page.locator("#sessions tbody tr")).toHaveCount(1);
  await page.getByText("Disable account…").click();
  await page.locator("#disable-note").fill("Left the company, HR ticket 17");
  await page.getByRole("button", { name: "Disable account" }).click();
  await expect(page.locator("#user-status")).toContainText("Disabled since");
  await expect(page.locator("#sessions tbody tr")).toHaveCount(0);
  expect(
    sql(`SELECT reason FROM authn.audit_events WHERE namespace = '${ns}' AND event_type = 'user_disabled'`),
  ).toBe("Left the company, HR ticket 17");
  await memberPage.goto(`/${ns}/account`);
  await expect(memberPage.getByText("You are not signed in.")).toBeVisible();

  await page.getByRole("button", { name: "Enable account" }).click();
  await expect(page.locator("#user-status")).toHaveText("Active");
  await signIn(memberPage, ns, member);

  await page.getByText("Delete user…").click();
  await page.getByLabel(/to delete this user/).fill("someone-else@example.com");
  await page.getByRole("button", { name: "Delete user" }).click();
  await expect(page.getByRole("alert")).toHaveText("Type the account's email address exactly to confirm.");
  expect(sql(`SELECT count(*) FROM authn.users WHERE id = '${memberId}'`)).toBe("1");
  await page.getByLabel(/to delete this user/).fill(member);
  await page.getByRole("button", { name: "Delete user" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/admin/users\\?deleted=1`));
  await expect(page.getByRole("status")).toHaveText("The user was deleted.");
  expect(sql(`SELECT count(*) FROM authn.users WHERE id = '${memberId}'`)).toBe("0");
  // Each action names the admin and the request in the audit trail.
  const adminId = sql(`SELECT id FROM authn.users WHERE namespace = '${ns}' AND email = '${admin}'`);
  expect(
    sql(`SELECT string_agg(event_type, ',' ORDER BY id) FROM authn.audit_events
          WHERE namespace = '${ns}' AND resource_id = '${memberId}' AND actor_id = 'user:${adminId}'
            AND request_id IS NOT NULL AND event_type IN ('user_disabled', 'user_enabled', 'user_deleted')`),
  ).toBe("user_disabled,user_enabled,user_deleted");
});

test("sessions, methods and keys are revoked from the user's page; reset mail goes out", async ({ page }) => {
  const ns = freshNamespace();
  const admin = uniqueAddress("boss");
  const member = uniqueAddress("member");
  createAdmin(ns, admin, PASSWORD);
  const memberId = createUser(ns, member, PASSWORD);
  sql(`SELECT authn.create_api_key('${memberId}', repeat('a', 64), 'ci key', NULL, '${ns}')`);
  sql(`SELECT authn.add_mfa('${memberId}', 'recovery_codes', repeat('b', 64), NULL, '${ns}')`);
  sql(`SELECT authn.add_mfa('${memberId}', 'recovery_codes', repeat('c', 64), NULL, '${ns}')`);
  await signIn(page, ns, admin);
  await page.goto(`/${ns}/admin/users/${memberId}`);
  await expect(page.locator("#api-keys tbody tr")).toHaveCount(1);
  // The key links to its own history in the audit log.
  await page.locator("#api-keys").getByRole("link", { name: "ci key" }).click();
  await expect(page).toHaveURL(/resource_type=api_key&resource_id=/);
  await expect(page.locator("#audit-events tbody tr")).toHaveCount(1);
  await expect(page.locator("#audit-events")).toContainText("api_key_created");
  await page.goBack();
  await expect(page.locator("#api-keys tbody tr")).toHaveCount(1);
  await page.locator("#api-keys").getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByRole("status")).toHaveText("The API key was revoked.");
  await expect(page.locator("#api-keys tbody tr")).toHaveCount(0);
  await expect(page.locator("#methods tbody tr")).toHaveCount(2);
  await page.locator("#methods").getByRole("button", { name: "Remove" }).first().click();
  await expect(page.locator("#methods tbody tr")).toHaveCount(1);
  await page.getByText("Reset two-step verification…").click();
  await page.getByRole("button", { name: "Remove all methods" }).click();
  await expect(page.locator("#methods tbody tr")).toHaveCount(0);
  await page.getByRole("button", { name: "Send password-reset mail" }).click();
  await expect(page.getByRole("status")).toHaveText("A password-reset link was mailed.");
  const mail = await waitForMail(member);
  expect(linkIn(mail, "reset-password")).toContain(`/${ns}/reset-password`);
});

test("a later success clears an earlier failure on the user's page", async ({ page }) => {
  const ns = freshNamespace();
  const admin = uniqueAddress("boss");
  createAdmin(ns, admin, PASSWORD);
  const memberId = createUser(ns, uniqueAddress("member"), PASSWORD);
  await signIn(page, ns, admin);
  await page.goto(`/${ns}/admin/users/${memberId}`);
  await page.getByText("Delete user…").click();
  await page.getByLabel(/to delete this user/).fill("wrong@example.com");
  await page.getByRole("button", { name: "Delete user" }).click();
  await expect(page.getByRole("alert")).toHaveText("Type the account's email address exactly to confirm.");
  await page.getByRole("button", { name: "Send password-reset mail" }).click();
  await expect(page.getByRole("status")).toHaveText("A password-reset link was mailed.");
  await expect(page.getByRole("alert")).toHaveCount(0);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the user's page actions post natively and show their outcome", async ({ page }) => {
    const ns = freshNamespace();
    const admin = uniqueAddress("boss");
    const member = uniqueAddress("member");
    createAdmin(ns, admin, PASSWORD);
    const memberId = createUser(ns, member, PASSWORD);
    await page.goto(`/${ns}/sign-in`);
    await page.getByLabel("Email").fill(admin);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
    await page.goto(`/${ns}/admin/users/${memberId}`);
    await page.getByText("Delete user…").click();
    await page.getByLabel(/to delete this user/).fill("wrong@example.com");
    await page.getByRole("button", { name: "Delete user" }).click();
    await expect(page.getByRole("alert")).toHaveText("Type the account's email address exactly to confirm.");
    await page.goto(`/${ns}/admin/users/${memberId}`);
    await page.getByText("Disable account…").click();
    await page.getByRole("button", { name: "Disable account" }).click();
    await expect(page.getByRole("status")).toHaveText("The account is disabled and signed out everywhere.");
    await expect(page.locator("#user-status")).toContainText("Disabled since");
  });
});
