import { type Page } from "@playwright/test";
import { createUser, expect, freshNamespace, test } from "./support";

const PASSWORD = "correct horse battery staple";

async function signIn(page: Page, ns: string, email: string, password: string) {
  await page.goto(`/${ns}/sign-in`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

test("sign in shows the account, sign out ends the session", async ({ page }) => {
  const ns = freshNamespace();
  createUser(ns, "alice@example.com", PASSWORD);
  await signIn(page, ns, "Alice@Example.com", PASSWORD);
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
  await expect(page.locator("#account-email")).toHaveText("alice@example.com");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/sign-in$`));
  await page.goto(`/${ns}/account`);
  await expect(page.getByText("You are not signed in.")).toBeVisible();
});

test("every page of a signed-in person has a sign-out in the top bar", async ({ page }) => {
  const ns = freshNamespace();
  createUser(ns, "erin@example.com", PASSWORD);
  await signIn(page, ns, "erin@example.com", PASSWORD);
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
  for (const path of ["security", "devices", "security/password", "api-keys", "security/mfa"]) {
    await page.goto(`/${ns}/${path}`);
    await expect(page.locator("header.topbar").getByRole("button", { name: "Sign out" })).toBeVisible();
  }
  await page.locator("header.topbar").getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/sign-in$`));
  await expect(page.locator("header.topbar").getByRole("button", { name: "Sign out" })).toHaveCount(0);
});

test("wrong password and unknown email get the same generic message", async ({ page }) => {
  const ns = freshNamespace();
  createUser(ns, "bob@example.com", PASSWORD);
  const generic = "The email or password is incorrect.";
  await signIn(page, ns, "bob@example.com", "not the password at all");
  await expect(page.getByRole("alert")).toHaveText(generic);
  await signIn(page, ns, "nobody@example.com", PASSWORD);
  await expect(page.getByRole("alert")).toHaveText(generic);
  await expect(page).toHaveURL(new RegExp(`/${ns}/sign-in(\\?|$)`));
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the form still signs in and shows errors", async ({ page }) => {
    const ns = freshNamespace();
    createUser(ns, "erin@example.com", PASSWORD);
    await signIn(page, ns, "erin@example.com", "not the password at all");
    await expect(page.getByRole("alert")).toHaveText("The email or password is incorrect.");
    await signIn(page, ns, "erin@example.com", PASSWORD);
    await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
    await expect(page.locator("#account-email")).toHaveText("erin@example.com");
  });

  test("after a failure the address stays typed and the alert has the focus; a later failure says its own", async ({ page }) => {
    const ns = freshNamespace();
    createUser(ns, "fay@example.com", PASSWORD);
    await signIn(page, ns, "fay@example.com", "not the password at all");
    await expect(page.getByRole("alert")).toHaveText("The email or password is incorrect.");
    await expect(page.getByRole("alert")).toBeFocused();
    await expect(page.getByLabel("Email")).toHaveValue("fay@example.com");
    await expect(page.getByLabel("Password", { exact: true })).toHaveValue("");
    // Failures go on from the page that shows the first one; the fifth locks the address
    // and says so (the page shows the newest error, not the one already in its URL).
    for (let i = 2; i <= 5; i++) {
      await page.getByLabel("Password", { exact: true }).fill(`wrong password ${i}`);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await expect(page.getByLabel("Email")).toHaveValue("fay@example.com");
    }
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByRole("alert")).toContainText("Too many attempts");
    // The typed values are shown once: a fresh visit starts empty.
    await page.goto(`/${ns}/sign-in`);
    await expect(page.getByLabel("Email")).toHaveValue("");
  });

  test("a crafted link cannot put its own words on the page", async ({ page }) => {
    const ns = freshNamespace();
    await page.goto(`/${ns}/sign-in`);
    const action = await page.locator("form").getAttribute("action");
    const lie = Buffer.from(JSON.stringify({ BadRequest: "Call +1 555 0100 to unlock" }))
      .toString("base64")
      .replace(/\+/g, "-")
      .replace(/\//g, "_");
    await page.goto(`/${ns}/sign-in?__path=${encodeURIComponent(action!)}&__err=${lie}`);
    await expect(page.getByRole("alert")).toHaveText(
      "The form could not be submitted. Please check it and try again.",
    );
    await expect(page.getByText("555")).toHaveCount(0);
  });
});

test("five failures lock the address, known or not", async ({ page }) => {
  const ns = freshNamespace();
  createUser(ns, "carol@example.com", PASSWORD);
  for (const email of ["carol@example.com", "ghost@example.com"]) {
    for (let i = 0; i < 5; i++) {
      await signIn(page, ns, email, `wrong password ${i}`);
      await expect(page.getByRole("alert")).toHaveText("The email or password is incorrect.");
    }
    await signIn(page, ns, email, PASSWORD);
    // The message says for how long (the same for an address with no account) and the ways in
    // that need no password.
    await expect(page.getByRole("alert")).toHaveText(
      /^Too many attempts: this address is locked for now\. Try again in about 1[45] minutes, or reset your password or sign in with a link by email meanwhile\.$/,
    );
  }
});

test("the session cookie is HttpOnly and SameSite=Lax", async ({ page, context }) => {
  const ns = freshNamespace();
  createUser(ns, "dave@example.com", PASSWORD);
  await signIn(page, ns, "dave@example.com", PASSWORD);
  await expect(page.locator("#account-email")).toHaveText("dave@example.com");
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "gatehouse_session");
  expect(session).toBeDefined();
  expect(session!.httpOnly).toBe(true);
  expect(session!.sameSite).toBe("Lax");
  expect(session!.path).toBe("/");
  expect(session!.value.length).toBeGreaterThanOrEqual(43); // 256 bits, base64url
  expect(await page.evaluate(() => document.cookie)).not.toContain("gatehouse_session");
});
