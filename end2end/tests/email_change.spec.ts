import { linkIn, uniqueAddress, waitForMail } from "./mail";
import { createUser, expect, freshNamespace, test } from "./support";

const PASSWORD = "correct horse battery staple";

test("changing the email address: a link to the new address, a notice to the old one", async ({ page, browser }) => {
  const ns = freshNamespace();
  const oldAddress = uniqueAddress("before");
  const newAddress = uniqueAddress("after");
  createUser(ns, oldAddress, PASSWORD);
  await page.goto(`/${ns}/sign-in`);
  await page.getByLabel("Email").fill(oldAddress);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));

  await page.goto(`/${ns}/security`);
  await page.getByRole("link", { name: "Change address" }).click();
  await expect(page.locator("#current-email")).toHaveText(oldAddress);
  // The browser's own check lets this through (no dot in the domain); ours does not.
  await page.getByLabel("New email address").fill("someone@localhost");
  await page.getByRole("button", { name: "Send confirmation link" }).click();
  await expect(page.locator("#email-error")).toHaveText("Enter a valid email address, like name@example.com.");
  await page.getByLabel("New email address").fill(oldAddress.toUpperCase());
  await page.getByRole("button", { name: "Send confirmation link" }).click();
  await expect(page.locator("#email-error")).toHaveText("That is already your address.");
  await page.getByLabel("New email address").fill(newAddress);
  await page.getByRole("button", { name: "Send confirmation link" }).click();
  await expect(page.getByRole("status")).toContainText("We sent a link to the new address.");
  // Nothing changes until the link is used.
  await page.reload();
  await expect(page.locator("#current-email")).toHaveText(oldAddress);

  const mail = await waitForMail(newAddress);
  expect(mail.subject).toBe("Confirm your new email address");
  // The link works in any browser.
  const elsewhere = await (await browser.newContext()).newPage();
  await elsewhere.goto(linkIn(mail, "security/email/confirm"));
  await elsewhere.getByRole("button", { name: "Use this address" }).click();
  await expect(elsewhere.getByRole("status")).toContainText("Your email address was changed.");

  expect((await waitForMail(oldAddress)).subject).toBe("Your email address was changed");
  await page.goto(`/${ns}/security/email`);
  await expect(page.locator("#current-email")).toHaveText(newAddress);

  // Used once.
  await elsewhere.goto(linkIn(mail, "security/email/confirm"));
  await elsewhere.getByRole("button", { name: "Use this address" }).click();
  await expect(elsewhere.getByRole("alert")).toHaveText("This link is invalid, already used or expired. Ask for a new one.");
});
