import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

// scripts/cluster: flows whose consecutive requests are answered by different instances of a
// cluster (three servers, one database, a balancer). Same browser as the main suite, its own
// folder. One worker, because the tests pin requests to instances and time the mail workers
// against each other; no retry, because a flow that works only on its second try across
// instances is the very fault this suite looks for.
export default defineConfig({
  ...base,
  testDir: "./cluster",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  // Every pinned request makes a detour through Playwright, and the mail test waits on purpose.
  timeout: 60_000,
});
