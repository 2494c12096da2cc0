import { defineConfig } from "@playwright/test";

// The server is started by scripts/test (real binary, real PostgreSQL); this only drives the
// system Chromium against it. Playwright never downloads a browser here.
export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  fullyParallel: true,
  workers: 2,
  // One retry, so that one stall of a headless browser on a loaded two-core machine (seen once
  // in about 200 runs: a page that never hydrated) does not fail the whole run; a test that
  // passes only on its retry is still listed as "flaky" in the summary.
  retries: 1,
  reporter: [["list"]],
  use: {
    baseURL: process.env.GATEHOUSE_E2E_URL ?? "http://127.0.0.1:3000",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
