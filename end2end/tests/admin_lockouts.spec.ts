import { uniqueAddress } from "./mail";
import { PASSWORD, failSignIn, signIn } from "./admin_support";
import { createAdmin, createUser, expect, freshNamespace, sql, test } from "./support";

test("a locked-out account shows in the queue, is unlocked with a reason, and signs in", async ({ page, browser }) => {
  const ns = freshNamespace();
  const admin = uniqueAddress("boss");
  const member = uniqueAddress("member");
  createAdmin(ns, admin, PASSWORD);
  createUser(ns, member, PASSWORD);
  const memberPage = await (await browser.newContext()).newPage();
  await failSignIn(memberPage, ns, member, 5);
  await memberPage.goto(`/${ns}/sign-in`);
  await memberPage.getByLabel("Email").fill(member);
  await memberPage.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await memberPage.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(memberPage.getByRole("alert")).toContainText("this address is locked for now. Try again in about");

  await signIn(page, ns, admin);
  await page.goto(`/${ns}/admin/lockouts`);
  const row = page.locator("#lockouts tbody tr", { hasText: member });
  await expect(row).toHaveCount(1);
  await expect(row.locator("td").nth(1)).toHaveText(/^[56]$/);
  await expect(page.locator("#recent-failures")).toContainText(member);

  // Too short a reason changes nothing.
  await row.getByPlaceholder("Reason (10+ characters)").fill("because");
  await row.getByRole("button", { name: "Unlock" }).evaluate((b) => (b.closest("form")!.noValidate = true));
  await row.getByRole("button", { name: "Unlock" }).click();
  await expect(page.getByRole("alert")).toHaveText("Write a reason of 10 to 500 characters.");
  await expect(page.locator("#lockouts tbody tr", { hasText: member })).toHaveCount(1);

  await row.getByPlaceholder("Reason (10+ characters)").fill("Verified by phone, ticket 88");
  await row.getByRole("button", { name: "Unlock" }).click();
  await expect(page.getByRole("status")).toHaveText("The address was unlocked.");
  await expect(page.locator("#no-lockouts")).toBeVisible();
  const adminId = sql(`SELECT id FROM authn.users WHERE namespace = '${ns}' AND email = '${admin}'`);
  expect(
    sql(`SELECT reason || '|' || (request_id IS NOT NULL) FROM authn.audit_events
          WHERE namespace = '${ns}' AND event_type = 'lockout_cleared' AND actor_id = 'user:${adminId}'`),
  ).toBe("Verified by phone, ticket 88|true");

  await signIn(memberPage, ns, member);
});
