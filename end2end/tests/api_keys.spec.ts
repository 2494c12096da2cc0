import { type Page } from "@playwright/test";
import { uniqueAddress, waitForMail } from "./mail";
import { createUser, expect, freshNamespace, test } from "./support";

const PASSWORD = "correct horse battery staple";

async function signIn(page: Page, ns: string, email: string) {
  await page.goto(`/${ns}/sign-in`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
}

test("an API key is shown once, works as a bearer token, and stops working when revoked", async ({ page, request }) => {
  const ns = freshNamespace();
  const email = uniqueAddress("keys");
  const userId = createUser(ns, email, PASSWORD);
  await signIn(page, ns, email);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API keys" }).click();
  await expect(page.locator("#no-keys")).toBeVisible();

  await page.getByLabel("Name").fill("   ");
  await page.getByRole("button", { name: "Create key" }).click();
  await expect(page.locator("#name-error")).toHaveText("Give the key a name of at most 60 characters.");

  await page.getByLabel("Name").fill("deploy script");
  await page.getByLabel("Expires").selectOption("30");
  await page.getByRole("button", { name: "Create key" }).click();
  const key = (await page.locator("#new-key").textContent())!.trim();
  expect(key).toMatch(/^gh_[A-Za-z0-9_-]{43}$/);
  const row = page.locator("table.keys tbody tr");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("deploy script");
  await expect(row).toContainText(`…${key.slice(-4)}`);
  // The form is ready for the next key.
  await expect(page.getByLabel("Name")).toHaveValue("");
  expect((await waitForMail(email)).subject).toBe("A new API key was created for your account");

  const me = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${key}` } });
  expect(me.status()).toBe(200);
  expect(await me.json()).toEqual({ id: userId, email, namespace: ns });

  const wrong = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${key.slice(0, -1)}x` } });
  expect(wrong.status()).toBe(401);
  expect((await wrong.json()).error).toBe("invalid_token");
  expect((await request.get("/api/v1/me")).status()).toBe(401);

  // Reloading shows the list, never the key again.
  await page.reload();
  await expect(page.locator("#new-key")).toHaveCount(0);
  await expect(row).toContainText("deploy script");
  await row.getByRole("button", { name: "Revoke deploy script" }).click();
  await expect(page.getByRole("status")).toHaveText("1 key was revoked.");
  await expect(page.locator("#no-keys")).toBeVisible();
  const revoked = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${key}` } });
  expect(revoked.status()).toBe(401);
});

test("revoke all removes every key", async ({ page, request }) => {
  const ns = freshNamespace();
  const email = uniqueAddress("allkeys");
  createUser(ns, email, PASSWORD);
  await signIn(page, ns, email);
  await page.goto(`/${ns}/api-keys`);
  const keys: string[] = [];
  for (const name of ["one", "two"]) {
    await page.getByLabel("Name").fill(name);
    await page.getByLabel("Expires").selectOption("never");
    await page.getByRole("button", { name: "Create key" }).click();
    await expect(page.locator("#new-key-title")).toContainText(name);
    keys.push((await page.locator("#new-key").textContent())!.trim());
  }
  await expect(page.locator("table.keys tbody tr")).toHaveCount(2);
  await page.getByRole("button", { name: "Revoke all keys" }).click();
  await expect(page.getByRole("status")).toHaveText("2 keys were revoked.");
  for (const key of keys) {
    expect((await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${key}` } })).status()).toBe(401);
  }
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("a key is made and shown once all the same", async ({ page }) => {
    const ns = freshNamespace();
    const email = uniqueAddress("nojs-keys");
    createUser(ns, email, PASSWORD);
    await signIn(page, ns, email);
    await page.goto(`/${ns}/api-keys`);
    // The form posts to the page, which shows the new key in its answer (nothing keeps it).
    await page.getByLabel("Name").fill("no script");
    await page.getByRole("button", { name: "Create key" }).click();
    await expect(page.locator("#new-key")).toHaveText(/^gh_[A-Za-z0-9_-]{43}$/);
    await expect(page.locator("table.keys tbody tr")).toHaveCount(1);
    await page.goto(`/${ns}/api-keys`);
    await expect(page.locator("#new-key")).toHaveCount(0);
    await expect(page.locator("table.keys tbody tr")).toContainText("no script");
  });
});
