import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

// scripts/screenshots: the README's pictures, made against a server seeded like a local run.
// Not part of the test suite (its own folder), one worker so the pictures come out in order.
export default defineConfig({
  ...base,
  testDir: "./screenshots",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 120_000,
});
