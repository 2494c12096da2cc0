// Issue #10, point 3: the console asks more of the people who use it than of everyone else.
import { uniqueAddress } from "./mail";
import { PASSWORD, signIn } from "./admin_support";
import { createAdmin, createUser, expect, freshNamespace, gatehouse, hydrated, sql, test } from "./support";
import { totp } from "./totp";

test("the console walks an admin without two-step verification through setting it up first", async ({ page }) => {
  const ns = freshNamespace();
  const admin = uniqueAddress("new-admin");
  // The namespace keeps the default: two-step verification required for the console.
  createAdmin(ns, admin, PASSWORD, false, "required");
  await signIn(page, ns, admin);

  for (const section of ["admin", "admin/users", "admin/audit"]) {
    await page.goto(`/${ns}/${section}`);
    await expect(page).toHaveURL(new RegExp(`/${ns}/security/mfa\\?for=console$`));
  }
  await expect(page.locator("#console-needs-mfa")).toContainText("Administrators here must use two-step verification");
  // The console's server functions refuse as well, whatever the page does.
  const refused = await page.request.post(`/api/admin_disable_user`, {
    form: { namespace: ns, user_id: "00000000-0000-0000-0000-000000000000" },
    headers: { Origin: new URL(page.url()).origin },
  });
  expect(refused.status()).toBe(403);
  expect(await refused.text()).toContain("TwoStepRequiredForConsole");

  await page.getByRole("button", { name: "Set up authenticator app" }).click();
  const secret = (await page.locator("#totp-secret").textContent())!.trim();
  await page.getByLabel("Code from the app").fill(totp(secret));
  await page.getByRole("button", { name: "Turn on" }).click();
  await expect(page.locator("#totp-status")).toContainText("On");

  await page.goto(`/${ns}/admin`);
  await expect(page).toHaveURL(new RegExp(`/${ns}/admin$`));
  await expect(page.locator("#namespace-overview")).toBeVisible();
});

test("another admin is disabled, enabled or unlocked with the command line, not the console", async ({ page }) => {
  const ns = freshNamespace();
  const admin = uniqueAddress("boss");
  const colleague = uniqueAddress("colleague");
  createAdmin(ns, admin, PASSWORD);
  const colleagueId = createAdmin(ns, colleague, PASSWORD);
  await signIn(page, ns, admin);
  await page.goto(`/${ns}/admin/users/${colleagueId}`);
  await page.getByText("Disable account…").click();
  await page.getByRole("button", { name: "Disable account" }).click();
  await expect(page.getByRole("alert")).toContainText("only the gatehouse command line can disable, enable, delete, unlock it");
  await expect(page.locator("#user-status")).not.toContainText("Disabled since");

  gatehouse(["account", "--namespace", ns, "--email", colleague, "--action", "disable", "--reason", "Left the company, ticket HR-17"]);
  await page.reload();
  await expect(page.locator("#user-status")).toContainText("Disabled since");
  // Nor can the console bring back an admin the command line disabled.
  await page.getByRole("button", { name: "Enable account" }).click();
  await expect(page.getByRole("alert")).toContainText("only the gatehouse command line can disable, enable, delete, unlock it");
  await page.reload();
  await expect(page.locator("#user-status")).toContainText("Disabled since");
});

test("deleting a user needs a recent sign-in: the console asks for the password again", async ({ page }) => {
  const ns = freshNamespace();
  const admin = uniqueAddress("boss");
  const member = uniqueAddress("member");
  createAdmin(ns, admin, PASSWORD);
  const memberId = createUser(ns, member, PASSWORD);
  await signIn(page, ns, admin);
  // The sign-in was an hour ago, as far as sudo mode is concerned.
  sql(`UPDATE gatehouse.reauthentications SET authenticated_at = now() - interval '1 hour' WHERE namespace = '${ns}'`);

  // The audit export takes the whole trail away: refused too.
  const stale = await page.request.get(`/${ns}/admin/audit-export?format=csv`);
  expect(stale.status()).toBe(403);
  expect(await stale.text()).toContain("Confirm it is you first");
  // So is removing a second factor, one at a time as all at once.
  const method = sql(
    `INSERT INTO authn.mfa_secrets (namespace, user_id, mfa_type, secret) VALUES ('${ns}', '${memberId}', 'totp', repeat('t', 64)) RETURNING id`,
  );
  const removal = await page.request.post("/api/admin_remove_method", {
    form: { namespace: ns, user_id: memberId, mfa_id: method },
    headers: { Origin: new URL(page.url()).origin },
  });
  expect(removal.status()).toBe(403);
  expect(await removal.text()).toContain("ReauthenticationRequired");
  const reset = await page.request.post("/api/admin_reset_methods", {
    form: { namespace: ns, user_id: memberId },
    headers: { Origin: new URL(page.url()).origin },
  });
  expect(reset.status()).toBe(403);
  expect(await reset.text()).toContain("ReauthenticationRequired");
  expect(sql(`SELECT count(*) FROM authn.mfa_secrets WHERE user_id = '${memberId}'`)).toBe("1");
  // And so is impersonating.
  const impersonate = await page.request.post("/api/admin_impersonate", {
    form: { namespace: ns, user_id: memberId, reason: "Checking their settings, ticket 5", minutes: "5" },
    headers: { Origin: new URL(page.url()).origin },
  });
  expect(impersonate.status()).toBe(403);
  expect(await impersonate.text()).toContain("ReauthenticationRequired");
  expect(sql(`SELECT count(*) FROM authn.impersonation_sessions WHERE namespace = '${ns}'`)).toBe("0");

  await page.goto(`/${ns}/admin/users/${memberId}`);
  await page.getByText("Delete user…").click();
  await page.getByLabel(/to delete this user/).fill(member);
  await page.getByRole("button", { name: "Delete user" }).click();
  await expect(page.getByRole("heading", { name: "Confirm it is you" })).toBeVisible();
  await expect(page.locator("#user-email")).toHaveText(member);
  // The form posted natively and the page came back anew: the prompt answers in place once
  // the page's script has started.
  await hydrated(page);

  await page.getByLabel("Your password").fill(PASSWORD);
  await page.getByRole("button", { name: "Confirm", exact: true }).click();
  await expect(page.getByText("Thanks. Now repeat what you were doing.")).toBeVisible();
  await page.getByRole("button", { name: "Delete user" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/admin/users\\?deleted=1$`));
  expect((await page.request.get(`/${ns}/admin/audit-export?format=csv`)).status()).toBe(200);
});
