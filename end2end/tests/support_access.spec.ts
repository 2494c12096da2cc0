import { uniqueAddress, waitForMail } from "./mail";
import { PASSWORD, signIn } from "./admin_support";
import { createAdmin, createUser, expect, freshNamespace, sql, test } from "./support";

const READ_ONLY = "While impersonating you can look at this account's security settings, not change them.";
const REASON = "Customer cannot find the two-step settings";

test("an operator reaches a customer's user for a ticket, read-only, and comes back to the console", async ({ page }) => {
  const operator = uniqueAddress("agent");
  createAdmin("platform", operator, PASSWORD, true);
  const ns = freshNamespace();
  const member = uniqueAddress("customer");
  createUser(ns, member, PASSWORD);
  await signIn(page, "platform", operator);
  await page.goto("/platform/operator");
  const form = page.locator("#support-access-form");
  await form.evaluate((f: HTMLFormElement) => (f.noValidate = true));
  await page.getByLabel("Organisation").fill(ns);
  await page.getByLabel("User's email").fill(member);
  await page.getByLabel(/^Reason/).fill(REASON);

  // Bad input first: nothing starts.
  await page.getByLabel("Ticket").fill("sup 12");
  await page.getByRole("button", { name: "Start support access" }).click();
  await expect(page.locator("#ticket-error")).toHaveText("Enter the ticket reference in its usual form, like SUP-1234.");
  await page.getByLabel("Ticket").fill("SUP-4711");
  await page.getByLabel("User's email").fill("nobody@example.com");
  await page.getByRole("button", { name: "Start support access" }).click();
  await expect(page.locator("#email-error")).toHaveText("No such user in that organisation.");
  await page.getByLabel(/Duration in minutes/).fill("241");
  await page.getByLabel("User's email").fill(member);
  // The form is plain HTML, posted natively: the page it came back on is a new one.
  await form.evaluate((f: HTMLFormElement) => (f.noValidate = true));
  await page.getByRole("button", { name: "Start support access" }).click();
  await expect(page.locator("#minutes-error")).toHaveText("Choose 1 to 240 minutes.");
  expect(sql(`SELECT count(*) FROM authn.operator_impersonation_sessions WHERE target_namespace = '${ns}'`)).toBe("0");

  await page.getByLabel(/Duration in minutes/).fill("20");
  await page.getByRole("button", { name: "Start support access" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/security$`));
  const banner = page.locator("#impersonation-banner");
  for (const path of ["security", "devices", "account"]) {
    await page.goto(`/${ns}/${path}`);
    await expect(banner).toContainText(`${operator} is signed in as ${member}`);
    await expect(banner).toContainText("Support ticket SUP-4711");
    await expect(banner).toContainText(REASON);
    await expect(page.locator("#impersonation-countdown")).toHaveText(/^(20|19):\d\d left$/);
  }
  await page.goto(`/${ns}/security/password`);
  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByLabel("New password", { exact: true }).fill("an impostor's passphrase");
  await page.getByLabel("Repeat the new password").fill("an impostor's passphrase");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.locator("#change-password-error")).toHaveText(READ_ONLY);

  const mail = await waitForMail(member);
  expect(mail.subject).toBe("Platform support is signed in as you");
  expect(mail.text).toContain("SUP-4711");

  await page.goto(`/${ns}/security`);
  await banner.getByRole("button", { name: "End impersonation" }).click();
  await expect(page).toHaveURL(/\/platform\/operator\?ended=1$/);
  await expect(page.locator("#impersonation-banner")).toHaveCount(0);
  await expect(page.locator(".who")).toHaveText(operator);
  expect(
    sql(`SELECT count(*) FROM authn.operator_impersonation_sessions WHERE target_namespace = '${ns}' AND ended_at IS NOT NULL`),
  ).toBe("1");
  await expect(page.locator("#my-support-accesses")).toContainText(member);
  await expect(page.locator("#my-support-accesses")).toContainText("SUP-4711");
  // The list is platform-wide (other specs and an earlier attempt of this one may have
  // accesses running), so only this customer's row must be gone.
  await expect(page.locator("#running-support-accesses tr", { hasText: member })).toHaveCount(0);
  // The operator audit log has its start and its end, found by the ticket.
  await page.getByRole("navigation", { name: "Platform operations" }).getByRole("link", { name: "Audit log" }).click();
  await page.getByLabel("Ticket").fill("SUP-4711");
  await page.getByLabel("Organisation").fill(ns);
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.locator("#operator-audit tbody tr")).toHaveCount(2);
  await expect(page.locator("#operator-audit")).toContainText("operator_impersonation_started");
  await expect(page.locator("#operator-audit")).toContainText("operator_impersonation_ended");
  // Exported exactly as shown.
  const csv = await page.request.get((await page.locator("#operator-export-csv").getAttribute("href"))!);
  expect(csv.status()).toBe(200);
  const lines = (await csv.text()).trim().split("\r\n");
  expect(lines[0]).toContain("ticket_reference");
  expect(lines).toHaveLength(3);
  expect(lines[1]).toContain("SUP-4711");
  const json = await page.request.get((await page.locator("#operator-export-json").getAttribute("href"))!);
  expect(((await json.json()) as unknown[]).length).toBe(2);

  // The user sees it in their own security activity.
  await page.context().clearCookies();
  await signIn(page, ns, member);
  await page.goto(`/${ns}/security`);
  await expect(page.getByText("Platform support worked as you")).toBeVisible();
  await expect(page.locator("body")).toContainText("ticket SUP-4711");

  // The customer's admins see it, with the ticket and the reason.
  const admin = uniqueAddress("customer-admin");
  createAdmin(ns, admin, PASSWORD);
  await page.context().clearCookies();
  await signIn(page, ns, admin);
  await page.goto(`/${ns}/admin/support-access`);
  const seen = page.locator("#support-accesses");
  await expect(seen).toContainText(operator);
  await expect(seen).toContainText(member);
  await expect(seen).toContainText("SUP-4711");
  await expect(seen).toContainText(REASON);
  // And the user's own page in the console.
  await seen.getByRole("link", { name: member }).click();
  await expect(page.locator("#user-support-accesses")).toContainText("SUP-4711");
  await expect(page.locator("#user-support-accesses")).toContainText(operator);
});

test("support access is the operators' alone", async ({ page }) => {
  const ns = freshNamespace();
  const admin = uniqueAddress("admin");
  createAdmin(ns, admin, PASSWORD);
  await signIn(page, ns, admin);
  await page.goto(`/${ns}/operator`);
  await expect(page.getByRole("heading", { name: "You can't open this page" })).toBeVisible();
  await expect(page.locator("#support-access-form")).toHaveCount(0);
});

test("an operator finds a user by part of the address, reads the support view and starts access from it", async ({ page }) => {
  const operator = uniqueAddress("agent");
  const operatorId = createAdmin("platform", operator, PASSWORD, true);
  const ns = freshNamespace();
  const member = uniqueAddress("findme");
  const memberId = createUser(ns, member, PASSWORD);
  createUser(ns, uniqueAddress("someone-else"), PASSWORD);
  await signIn(page, "platform", operator);
  await page.goto("/platform/operator");
  await expect(page.locator("#namespaces")).toContainText(`${ns} — 2 users`);
  // Without the ticket of a support case, nothing of the customer's users is shown or read.
  await page.goto(`/platform/operator/user?target_namespace=${ns}&id=${memberId}`);
  await expect(page.getByRole("alert")).toHaveText("Enter the ticket reference in its usual form, like SUP-1234.");
  await page.goto(`/platform/operator/users?target_namespace=${ns}&email=findme`);
  await expect(page.getByRole("alert")).toHaveText("Enter the ticket reference in its usual form, like SUP-1234.");
  expect(sql(`SELECT count(*) FROM authn.audit_events WHERE namespace = '${ns}' AND event_type = 'support_user_viewed'`)).toBe("0");

  await page.goto("/platform/operator");
  await page.locator("#namespaces").getByRole("link", { name: ns }).click();
  await page.getByLabel("Ticket").fill("OPS-77");
  await page.getByLabel("Part of the address").fill("findme");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.locator("#found-users tr")).toHaveCount(1);
  await page.locator("#found-users").getByRole("link", { name: member }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(member);
  await expect(page.locator("#support-view")).toContainText("enabled");
  await expect(page.locator("#support-view")).toContainText("none");
  await expect(page.locator("#support-view-ticket")).toHaveText("OPS-77");
  // The customer's own trail records who at the platform read whom, for which case.
  expect(
    sql(`SELECT count(*) || '|' || min(new_values->>'operator_email') || '|' || min(actor_id) || '|' || min(new_values->>'ticket')
           FROM authn.audit_events WHERE namespace = '${ns}' AND event_type = 'support_user_viewed'
            AND resource_id = '${memberId}'`),
  ).toBe(`1|${operator}|user:${operatorId}|OPS-77`);

  // The access starts for the case's ticket.
  await page.getByLabel(/^Reason/).fill("Checking a report of a failing sign-in");
  await page.getByRole("button", { name: "Start support access" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/security$`));
  const banner = page.locator("#impersonation-banner");
  await expect(banner).toContainText("Support ticket OPS-77");
  await banner.getByRole("button", { name: "End impersonation" }).click();
  await expect(page).toHaveURL(/\/platform\/operator\?ended=1$/);
});
