// Time until a page is interactive on a first visit, as a person on a modest connection and
// device would see it (scripts/bench pages): headless Chromium with the network at 10 Mbit/s
// and 40 ms round trip and the CPU slowed 4 times, an empty cache for every run. Interactive
// means the bundle has taken over: the app marks <html data-hydrated> (tests wait for the
// same mark), observed from before the page's first script runs.
//
//   node bench/pages.mjs BASE_URL COOKIE RUNS PATH...   (COOKIE "name=value", or "-")
// Prints one JSON line per path: {"path", "runs", "median_ms", "max_ms", "median_kb"}.
import { chromium } from "@playwright/test";

const [base, cookie, runsArg, ...paths] = process.argv.slice(2);
const runs = Number(runsArg);
if (!base || !cookie || !(runs > 0) || paths.length === 0) {
  console.error("usage: node bench/pages.mjs BASE_URL COOKIE|- RUNS PATH...");
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"],
});

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function firstVisit(path) {
  const context = await browser.newContext();
  if (cookie !== "-") {
    const [name, ...value] = cookie.split("=");
    await context.addCookies([{ name, value: value.join("="), url: base }]);
  }
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: false });
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 40,
    downloadThroughput: (10 * 1000 * 1000) / 8,
    uploadThroughput: (10 * 1000 * 1000) / 8,
  });
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  let transferred = 0;
  cdp.on("Network.loadingFinished", (e) => (transferred += e.encodedDataLength));
  await page.addInitScript(() => {
    // The document may not have its <html> yet when this runs: watch the whole document.
    const mark = () => {
      if (document.documentElement?.hasAttribute("data-hydrated") && window.__interactiveAt === undefined) {
        window.__interactiveAt = performance.now();
      }
    };
    new MutationObserver(mark).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-hydrated"] });
  });
  const response = await page.goto(base + path, { waitUntil: "commit" });
  if (!response || response.status() !== 200) throw new Error(`${path} answered ${response?.status()}`);
  await page.waitForFunction(() => window.__interactiveAt !== undefined, null, { timeout: 120_000 });
  const ms = await page.evaluate(() => window.__interactiveAt);
  if (new URL(page.url()).pathname !== path) throw new Error(`${path} went to ${page.url()} (not signed in?)`);
  await context.close();
  return { ms, kb: transferred / 1024 };
}

for (const path of paths) {
  await firstVisit(path); // warms the server, not the browser: each run has its own cache
  const ms = [];
  const kb = [];
  for (let i = 0; i < runs; i++) {
    const r = await firstVisit(path);
    ms.push(r.ms);
    kb.push(r.kb);
  }
  console.log(
    JSON.stringify({
      path,
      runs,
      median_ms: Math.round(median(ms)),
      max_ms: Math.round(Math.max(...ms)),
      median_kb: Math.round(median(kb)),
    }),
  );
}
await browser.close();
