// Shared steps of the admin console specs.
import { type Page } from "@playwright/test";
import { expect } from "./support";

export const PASSWORD = "correct horse battery staple";

export async function signIn(page: Page, ns: string, email: string, password = PASSWORD) {
  await page.goto(`/${ns}/sign-in`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
}

export async function failSignIn(page: Page, ns: string, email: string, times: number) {
  for (let i = 0; i < times; i++) {
    await page.goto(`/${ns}/sign-in`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password", { exact: true }).fill("not the password at all");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByRole("alert")).not.toBeEmpty();
  }
}
