import { readFileSync } from "node:fs";
import { uniqueAddress } from "./mail";
import { PASSWORD, signIn } from "./admin_support";
import { createAdmin, createUser, expect, freshNamespace, sql, test } from "./support";

test("audit log: filters, detail with old and new values, and exports of exactly the filtered rows", async ({ page }) => {
  const ns = freshNamespace();
  const admin = uniqueAddress("boss");
  createAdmin(ns, admin, PASSWORD);
  const ids = [1, 2, 3].map((i) => createUser(ns, uniqueAddress(`member${i}`), PASSWORD));
  await signIn(page, ns, admin);
  for (const id of ids.slice(0, 2)) {
    await page.goto(`/${ns}/admin/users/${id}`);
    await page.getByText("Disable account…").click();
    await page.getByRole("button", { name: "Disable account" }).click();
    await expect(page.locator("#user-status")).toContainText("Disabled since");
  }

  await page.goto(`/${ns}/admin/audit`);
  await page.getByLabel("Event", { exact: true }).selectOption("user_disabled");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/event_type=user_disabled/);
  const rows = page.locator("#audit-events tbody tr");
  await expect(rows).toHaveCount(2);
  // Readable: the event in words with its code, the admin and the account by address (linked
  // to their pages), the raw id kept for search.
  await expect(rows.first()).toHaveAttribute("data-resource-id", ids[1]);
  await expect(rows.first()).toContainText("Account disabled");
  await expect(rows.first().locator(".event-code")).toHaveText("user_disabled");
  await expect(rows.first().locator("td.actor").getByRole("link", { name: admin })).toHaveAttribute("href", new RegExp(`/${ns}/admin/users/`));
  await expect(rows.first()).toContainText("member2-");
  await expect(rows.first()).not.toContainText("user:");

  // A sign-in reads as the person themself, on a named device.
  await page.goto(`/${ns}/admin/audit?event_type=session_created`);
  await expect(rows.first()).toContainText("Signed in");
  await expect(rows.first().locator("td.actor")).toContainText(admin);
  await expect(rows.first().locator("td.actor")).toContainText("own account");
  await expect(rows.first()).toContainText(/Chrome \d+ on Linux|Unknown browser on Linux/);
  // And on the admin's own page: the device by name, the timeline in words.
  await page.getByRole("link", { name: admin }).first().click();
  await expect(page.locator("#sessions")).toContainText(" on Linux");
  await expect(page.locator("#sessions")).not.toContainText("Mozilla/5.0");

  // The detail view shows old and new values side by side.
  await page.goto(`/${ns}/admin/audit?event_type=user_disabled`);
  await rows.first().locator("a").first().click();
  await expect(page.locator("h1")).toContainText("Account disabled");
  await expect(page.locator("h1 .event-code")).toHaveText("user_disabled");
  await expect(page.locator("#event-values")).toContainText("sessions_revoked");
  await expect(page.locator("#event-facts")).toContainText("user:");

  // Exports carry exactly the filtered events.
  await page.goBack();
  await expect(rows).toHaveCount(2);
  const tableIds = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-event-id")));
  const [csvDownload] = await Promise.all([page.waitForEvent("download"), page.locator("#export-csv").click()]);
  const csv = readFileSync((await csvDownload.path())!, "utf8").trim().split("\r\n");
  expect(csv[0]).toMatch(/^event_id,event_time,event_type,/);
  expect(csv.slice(1).map((l) => l.split(",")[0])).toEqual(tableIds);
  const [jsonDownload] = await Promise.all([page.waitForEvent("download"), page.locator("#export-json").click()]);
  const json = JSON.parse(readFileSync((await jsonDownload.path())!, "utf8"));
  expect(json.map((e: { event_id: string }) => e.event_id)).toEqual(tableIds);
  expect(json.every((e: { event_type: string }) => e.event_type === "user_disabled")).toBe(true);

  // From a user's page to their own history.
  await page.goto(`/${ns}/admin/users/${ids[0]}`);
  await expect(page.locator("#timeline")).toContainText("Account disabled");
  await expect(page.locator("#timeline")).toContainText(admin);
  await page.getByRole("link", { name: "Full audit history of this user" }).click();
  await expect(page).toHaveURL(new RegExp(`resource_id=${ids[0]}`));
  await expect(rows.first()).toHaveAttribute("data-resource-id", ids[0]);

  // Bad filters get a clear message.
  await page.goto(`/${ns}/admin/audit?since=yesterday`);
  await expect(page.locator("#filter-error")).toHaveText("Enter a date and time like 2026-11-23 14:00 (UTC).");
  await page.goto(`/${ns}/admin/audit?event_type=drop_table`);
  await expect(page.locator("#filter-error")).toHaveText("One of the filters has a value this page does not know. Reset the filters.");
  const bad = await page.request.get(`/${ns}/admin/audit-export?format=csv&event_type=drop_table`);
  expect(bad.status()).toBe(400);
});

test("the console refuses non-admins and other namespaces' admins, in pages and server functions", async ({ page, browser }) => {
  const nsA = freshNamespace();
  const nsB = freshNamespace();
  const adminA = uniqueAddress("admin-a");
  const member = uniqueAddress("member");
  createAdmin(nsA, adminA, PASSWORD);
  const memberA = createUser(nsA, member, PASSWORD);
  const adminB = uniqueAddress("admin-b");
  createAdmin(nsB, adminB, PASSWORD);
  const victimB = createUser(nsB, uniqueAddress("victim"), PASSWORD);

  // A member of A.
  const memberPage = await (await browser.newContext()).newPage();
  await signIn(memberPage, nsA, member);
  for (const path of ["admin/users", `admin/users/${memberA}`, "admin/lockouts", "admin/impersonations", "admin/audit"]) {
    await memberPage.goto(`/${nsA}/${path}`);
    await expect(memberPage.getByRole("heading", { name: "You can't open this page" })).toBeVisible();
  }
  const origin = new URL(memberPage.url()).origin;
  const denied = await memberPage.request.post("/api/admin_disable_user", {
    form: { namespace: nsA, user_id: memberA },
    headers: { Origin: origin },
  });
  expect(denied.status()).toBe(403);
  expect((await memberPage.request.get(`/${nsA}/admin/audit-export?format=csv`)).status()).toBe(403);

  // The admin of A, editing ids and namespaces.
  await signIn(page, nsA, adminA);
  await page.goto(`/${nsA}/admin/users/${victimB}`);
  await expect(page.getByRole("alert")).toHaveText("That user does not exist in this organisation.");
  const foreign = await page.request.post("/api/admin_disable_user", {
    form: { namespace: nsA, user_id: victimB },
    headers: { Origin: origin },
  });
  expect(foreign.status()).toBe(404);
  const otherNs = await page.request.post("/api/admin_disable_user", {
    form: { namespace: nsB, user_id: victimB },
    headers: { Origin: origin },
  });
  expect(otherNs.status()).toBe(401);
  await page.goto(`/${nsB}/admin/users`);
  await expect(page).toHaveURL(new RegExp(`/${nsB}/sign-in\\?next=`));
  expect(sql(`SELECT count(*) FROM authn.users WHERE id = '${victimB}' AND disabled_at IS NULL`)).toBe("1");
  expect((await page.request.get(`/${nsB}/admin/audit-export?format=json`)).status()).toBe(401);
});
