// The README's pictures of the portal and the consoles, light and dark, from the demo seed
// (`gatehouse seed-demo`, as scripts/run does) plus a little activity so the pages have content.
import { test, type Browser, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const OUT = join(__dirname, "..", "..", "docs", "screenshots");
const NS = "demo";
const PASSWORD = "demo-password-123";

function gatehouse(args: string[], input?: string): string {
  return execFileSync(process.env.GATEHOUSE_BIN!, args, { env: process.env, input }).toString().trim();
}

test.beforeAll(() => {
  gatehouse(["seed-demo"]);
  // The pictures show the console itself, not the walk to two-step setup an admin gets first.
  gatehouse(["set-console-mfa", "--namespace", NS, "--mode", "optional"]);
  for (const name of ["ada", "grace", "linus", "margaret", "ken"]) {
    gatehouse(["create-user", "--namespace", NS, "--email", `${name}@demo.example`], PASSWORD + "\n");
  }
});

async function signIn(browser: Browser, scheme: "light" | "dark", email: string): Promise<Page> {
  const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`/${NS}/sign-in`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(`**/${NS}/account`);
  return page;
}

async function shoot(page: Page, path: string, name: string, scheme: string) {
  await page.goto(path);
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await page.screenshot({ path: join(OUT, `${name}-${scheme}.png`) });
}

for (const scheme of ["light", "dark"] as const) {
  test(`portal and console, ${scheme}`, async ({ browser }) => {
    const signInPage = await (await browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 800 } })).newPage();
    await shoot(signInPage, `/${NS}/sign-in`, "sign-in", scheme);
    // A wrong password, so the audit log and dashboard have a failure to show.
    await signInPage.getByLabel("Email").fill("ada@demo.example");
    await signInPage.getByLabel("Password", { exact: true }).fill("not the password");
    await signInPage.getByRole("button", { name: "Sign in", exact: true }).click();
    await signInPage.getByRole("alert").first().waitFor();

    const user = await signIn(browser, scheme, "user@demo.example");
    await shoot(user, `/${NS}/security`, "portal-security", scheme);
    await shoot(user, `/${NS}/devices`, "portal-devices", scheme);

    const admin = await signIn(browser, scheme, "admin@demo.example");
    await shoot(admin, `/${NS}/admin`, "console-dashboard", scheme);
    await shoot(admin, `/${NS}/admin/users`, "console-users", scheme);
    await shoot(admin, `/${NS}/admin/audit`, "console-audit", scheme);
  });
}
