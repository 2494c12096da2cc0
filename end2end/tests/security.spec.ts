import { uniqueAddress } from "./mail";
import { createUser, expect, freshNamespace, test } from "./support";

const PASSWORD = "correct horse battery staple";

test("the security page lists what protects the account and what happened lately", async ({ page }) => {
  const ns = freshNamespace();
  const email = uniqueAddress("overview");
  createUser(ns, email, PASSWORD);
  await page.goto(`/${ns}/sign-in`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill("not the right one at all");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert")).toHaveText("The email or password is incorrect.");
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Security" }).click();
  const checklist = page.locator("#checklist");
  await expect(checklist).toContainText(`Email address ${email} is verified`);
  await expect(checklist).toContainText("Two-step verification is off");
  await expect(checklist.getByRole("link", { name: "Turn it on" })).toHaveAttribute("href", `/${ns}/security/mfa`);
  await expect(checklist).toContainText("0 passkeys");
  await expect(checklist.getByRole("link", { name: "Add a passkey" })).toHaveAttribute("href", `/${ns}/security/mfa`);
  await expect(checklist).toContainText("1 active session");
  await expect(checklist).toContainText("0 API keys");

  const rows = page.locator("#activity tbody tr");
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText("Signed in (password)");
  await expect(rows.nth(0)).toContainText("127.0.0.1");
  await expect(rows.nth(0)).toContainText("Chrome");
  await expect(rows.nth(1)).toContainText("Failed sign-in attempt (password)");
  await expect(rows.nth(1)).toHaveClass(/attention/);

  // A change shows up at the top.
  await page.goto(`/${ns}/api-keys`);
  await page.getByLabel("Name").fill("ci");
  await page.getByRole("button", { name: "Create key" }).click();
  await expect(page.locator("#new-key")).toBeVisible();
  await page.goto(`/${ns}/security`);
  await expect(page.locator("#checklist")).toContainText("1 API key");
  await expect(rows.nth(0)).toContainText("API key created");
});
