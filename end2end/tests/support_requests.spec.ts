// Consent to support access: an organisation requires its admins' approval; an operator's start
// becomes a request; an admin approves (or denies) with a note; the operator starts the approved
// access once; break glass starts at once and mails every admin.
import { uniqueAddress, waitForMail } from "./mail";
import { PASSWORD, signIn } from "./admin_support";
import { createAdmin, createUser, expect, freshNamespace, sql, test } from "./support";

const REASON = "Customer cannot find the two-step settings";

async function askForAccess(page: import("@playwright/test").Page, ns: string, member: string, ticket: string) {
  await page.goto("/platform/operator");
  await page.getByLabel("Organisation").fill(ns);
  await page.getByLabel("User's email").fill(member);
  await page.getByLabel("Ticket").fill(ticket);
  await page.getByLabel(/^Reason/).fill(REASON);
  await page.getByLabel(/Duration in minutes/).fill("15");
}

test("an organisation's admin approves a support request and the operator starts it once", async ({ page }) => {
  const operator = uniqueAddress("agent");
  createAdmin("platform", operator, PASSWORD, true);
  const ns = freshNamespace();
  const admin = uniqueAddress("customer-admin");
  createAdmin(ns, admin, PASSWORD);
  const member = uniqueAddress("customer");
  createUser(ns, member, PASSWORD);

  // The admin turns consent on.
  await signIn(page, ns, admin);
  await page.goto(`/${ns}/admin/support-access`);
  await expect(page.locator("#support-requests-empty")).toBeVisible();
  await page.getByLabel(/Support access needs our approval/).check();
  await page.locator("#support-approval-form").getByRole("button", { name: "Save" }).click();
  await page.reload();
  await expect(page.getByLabel(/Support access needs our approval/)).toBeChecked();

  // The operator's start becomes a request; nothing runs.
  await page.context().clearCookies();
  await signIn(page, "platform", operator);
  await page.goto("/platform/operator");
  await expect(page.locator("#namespaces")).toContainText(`${ns} — 2 users — support access needs the admins' approval`);
  await askForAccess(page, ns, member, "SUP-5100");
  await page.getByRole("button", { name: "Start support access" }).click();
  await expect(page).toHaveURL(/\/platform\/operator\?done=support_requested$/);
  await expect(page.getByText("The organisation requires its admins' approval: they were asked.")).toBeVisible();
  await expect(page.locator("#my-support-requests")).toContainText("waiting for approval");
  await expect(page.locator("#my-support-requests").getByRole("button", { name: "Start" })).toHaveCount(0);
  expect(sql(`SELECT count(*) FROM authn.operator_impersonation_sessions WHERE target_namespace = '${ns}'`)).toBe("0");
  const asked = await waitForMail(admin);
  expect(asked.subject).toBe("Platform support asks to sign in as one of your users");
  expect(asked.text).toContain("SUP-5100");
  expect(asked.text).toContain(`/${ns}/admin/support-access`);

  // The admin approves with a note.
  await page.context().clearCookies();
  await signIn(page, ns, admin);
  await page.goto(`/${ns}/admin/support-access`);
  const pending = page.locator("#pending-support-requests li");
  await expect(pending).toHaveCount(1);
  await expect(pending).toContainText(operator);
  await expect(pending).toContainText(member);
  await expect(pending).toContainText(REASON);
  await pending.getByLabel(/Note for the operator/).fill("Fine for this ticket");
  await pending.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByText("Approved. The operator may start this access once")).toBeVisible();
  await expect(page.locator("#pending-support-requests li")).toHaveCount(0);
  await expect(page.locator("#support-requests")).toContainText("approved: may be started until");
  await expect(page.locator("#support-requests")).toContainText(`${admin}: Fine for this ticket`);

  // The operator starts it from their requests, exactly as asked, once.
  await page.context().clearCookies();
  await signIn(page, "platform", operator);
  await page.goto("/platform/operator");
  await expect(page.locator("#my-support-requests")).toContainText(`by ${admin}: Fine for this ticket`);
  await page.locator("#my-support-requests").getByRole("button", { name: "Start" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/security$`));
  const banner = page.locator("#impersonation-banner");
  await expect(banner).toContainText("Support ticket SUP-5100");
  await expect(page.locator("#impersonation-countdown")).toHaveText(/^(15|14):\d\d left$/);
  await banner.getByRole("button", { name: "End impersonation" }).click();
  await expect(page).toHaveURL(/\/platform\/operator\?ended=1$/);
  await expect(page.locator("#my-support-requests")).toContainText("approved and started");
  await expect(page.locator("#my-support-requests").getByRole("button", { name: "Start" })).toHaveCount(0);

  // Both audit trails have it: the operator audit log by ticket, the organisation's trail.
  await page.goto(`/platform/operator/audit?ticket=SUP-5100&target_namespace=${ns}`);
  const log = page.locator("#operator-audit");
  for (const event of ["support_access_requested", "support_access_approved", "operator_impersonation_started", "operator_impersonation_ended"]) {
    await expect(log).toContainText(event);
  }
  expect(
    sql(`SELECT string_agg(event_type, ',' ORDER BY event_type) FROM authn.audit_events WHERE namespace = '${ns}' AND event_type LIKE 'support_access_%'`),
  ).toBe("support_access_approved,support_access_requested");
  await page.context().clearCookies();
  await signIn(page, ns, admin);
  await page.goto(`/${ns}/admin/audit?event_type=support_access_approved`);
  await expect(page.locator("body")).toContainText("support_access_approved");
});

test("a denied request starts nothing, and break glass starts at once and mails every admin", async ({ page }) => {
  const operator = uniqueAddress("agent");
  createAdmin("platform", operator, PASSWORD, true);
  const ns = freshNamespace();
  const admin = uniqueAddress("customer-admin");
  createAdmin(ns, admin, PASSWORD);
  const otherAdmin = uniqueAddress("customer-admin2");
  createAdmin(ns, otherAdmin, PASSWORD);
  const member = uniqueAddress("customer");
  createUser(ns, member, PASSWORD);
  sql(`INSERT INTO gatehouse.namespace_settings (namespace, support_needs_approval) VALUES ('${ns}', true)
       ON CONFLICT (namespace) DO UPDATE SET support_needs_approval = true`);

  await signIn(page, "platform", operator);
  await askForAccess(page, ns, member, "SUP-5200");
  await page.getByRole("button", { name: "Start support access" }).click();
  await expect(page).toHaveURL(/\?done=support_requested$/);

  await page.context().clearCookies();
  await signIn(page, ns, admin);
  await page.goto(`/${ns}/admin/support-access`);
  const pending = page.locator("#pending-support-requests li");
  await pending.getByLabel(/Note for the operator/).fill("Use the screen share");
  await pending.getByRole("button", { name: "Deny" }).click();
  await expect(page.getByText("Denied. The operator sees it")).toBeVisible();
  await expect(page.locator("#support-requests")).toContainText("denied");

  await page.context().clearCookies();
  await signIn(page, "platform", operator);
  await page.goto("/platform/operator");
  const mine = page.locator("#my-support-requests");
  await expect(mine).toContainText("denied");
  await expect(mine).toContainText("Use the screen share");
  await expect(mine.getByRole("button", { name: "Start" })).toHaveCount(0);

  // Break glass: a too-short second reason is refused and starts nothing; a real one starts.
  await askForAccess(page, ns, member, "SUP-5201");
  await page.getByText(/this cannot wait \(break glass\)/).click();
  const urgency = page.getByLabel(/Why this cannot wait/);
  await urgency.fill("now");
  await page.getByRole("button", { name: "Start support access" }).click();
  await expect(page.locator("#break_glass-error")).toHaveText("Write why this cannot wait for an admin's approval, in 10 to 500 characters.");
  expect(sql(`SELECT count(*) FROM authn.operator_impersonation_sessions WHERE target_namespace = '${ns}'`)).toBe("0");
  await urgency.fill("Payroll run blocked, every admin unreachable");
  await page.getByRole("button", { name: "Start support access" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/security$`));
  await expect(page.locator("#impersonation-banner")).toContainText("Support ticket SUP-5201");

  for (const to of [admin, otherAdmin]) {
    const mails = [await waitForMail(to, 1), await waitForMail(to, 2)];
    const glass = mails.find((m) => m.subject === "Platform support started without your approval (break glass)");
    expect(glass, to).toBeTruthy();
    expect(glass!.text).toContain("Payroll run blocked, every admin unreachable");
  }
  expect(
    sql(`SELECT count(*) FROM authn.operator_audit_events WHERE target_namespace = '${ns}' AND event_type = 'support_access_break_glass'`),
  ).toBe("1");
  expect(
    sql(`SELECT count(*) FROM authn.audit_events WHERE namespace = '${ns}' AND event_type = 'support_access_break_glass'`),
  ).toBe("1");

  // The customer's page marks it.
  await page.context().clearCookies();
  await signIn(page, ns, admin);
  await page.goto(`/${ns}/admin/support-access`);
  await expect(page.locator("#support-requests")).toContainText("break glass: started without approval");
  await expect(page.locator("#support-requests")).toContainText("Why it could not wait: Payroll run blocked");
});
