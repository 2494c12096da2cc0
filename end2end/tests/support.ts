// Test data through the real binary: each test gets a namespace of its own, so tests run in
// parallel and never see each other's accounts or lockouts.
import { test as base, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";

export function freshNamespace(): string {
  return `e2e-${randomUUID().slice(0, 8)}`;
}

export function createUser(namespace: string, email: string, password: string): string {
  const bin = process.env.GATEHOUSE_BIN;
  if (!bin) throw new Error("GATEHOUSE_BIN is not set (run the tests through scripts/test)");
  return execFileSync(bin, ["create-user", "--namespace", namespace, "--email", email], {
    input: password + "\n",
    env: process.env,
  })
    .toString()
    .trim();
}

export function openSignUp(namespace: string): void {
  const bin = process.env.GATEHOUSE_BIN!;
  execFileSync(bin, ["set-sign-up", "--namespace", namespace, "--mode", "open"], { env: process.env });
}

/** An admin of `namespace`, or with `operator` a platform operator (namespace must be the
 * operator namespace).
 *
 * Consoles require two-step verification of their admins and operators by default; the specs
 * of other console features turn that off for their own namespace (`consoleMfa: "optional"`,
 * the default here) so they need not enrol an authenticator each time. admin_step_up.spec.ts
 * keeps the requirement and walks an admin through it. */
export function createAdmin(
  namespace: string,
  email: string,
  password: string,
  operator = false,
  consoleMfa: "required" | "optional" = "optional",
): string {
  const bin = process.env.GATEHOUSE_BIN!;
  const args = ["create-admin", "--namespace", namespace, "--email", email];
  if (operator) args.push("--operator");
  const id = execFileSync(bin, args, { input: password + "\n", env: process.env }).toString().trim();
  execFileSync(bin, ["set-console-mfa", "--namespace", namespace, "--mode", consoleMfa], { env: process.env });
  return id;
}

/** Runs a `gatehouse` command (what the console leaves to the command line). */
export function gatehouse(args: string[]): string {
  return execFileSync(process.env.GATEHOUSE_BIN!, args, { env: process.env }).toString().trim();
}

/** Waits until the page's WebAssembly bundle has taken over (the app marks `<html>`). */
export async function hydrated(page: Page): Promise<void> {
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
}

/**
 * Playwright's `test` where `page.goto` returns once the page is interactive, so a click never
 * lands on a form before its script does (tests without JavaScript are left as they are; their
 * forms post natively by design).
 */
export const test = base.extend({
  page: async ({ page, javaScriptEnabled }, use) => {
    if (javaScriptEnabled !== false) {
      const goto = page.goto.bind(page);
      page.goto = async (url, options) => {
        const response = await goto(url, options);
        if (response && response.ok() && (response.headers()["content-type"] ?? "").startsWith("text/html")) {
          await hydrated(page);
        }
        return response;
      };
    }
    await use(page);
  },
});
export { expect } from "@playwright/test";

/** Runs SQL against the server's database (to age a record, never to set up what a page can). */
export function sql(query: string): string {
  const psql = process.env.GATEHOUSE_E2E_PSQL || "psql";
  return execFileSync(psql, [process.env.DATABASE_URL!, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", query], {
    env: process.env,
  })
    .toString()
    .trim();
}
