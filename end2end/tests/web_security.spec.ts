import { createUser, expect, freshNamespace, test } from "./support";

test("a cross-origin POST to a server function is refused", async ({ page, request }) => {
  const ns = freshNamespace();
  createUser(ns, "erin@example.com", "correct horse battery staple");
  await page.goto(`/${ns}/sign-in`);
  const action = await page.locator("form").first().getAttribute("action");
  expect(action).toMatch(/^\/api\//);
  const form = { namespace: ns, email: "erin@example.com", password: "correct horse battery staple" };

  const evil = await request.post(action!, { form, headers: { Origin: "https://evil.example" }, maxRedirects: 0 });
  expect(evil.status()).toBe(403);
  const crossSite = await request.post(action!, { form, headers: { "Sec-Fetch-Site": "cross-site" }, maxRedirects: 0 });
  expect(crossSite.status()).toBe(403);
  const opaque = await request.post(action!, { form, headers: { Origin: "null", "Sec-Fetch-Site": "cross-site" }, maxRedirects: 0 });
  expect(opaque.status()).toBe(403);
  // Nothing happened: the refused requests set no session cookie.
  expect(evil.headers()["set-cookie"]).toBeUndefined();

  const sameOrigin = new URL(page.url()).origin;
  const ok = await request.post(action!, { form, headers: { Origin: sameOrigin }, maxRedirects: 0 });
  expect(ok.status()).toBeLessThan(400);
  expect(ok.headers()["set-cookie"]).toContain("gatehouse_session=");
});

test("pages carry the security headers and a nonce-based CSP", async ({ page }) => {
  const ns = freshNamespace();
  const response = await page.goto(`/${ns}/sign-in`);
  const headers = response!.headers();
  const csp = headers["content-security-policy"];
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=_-]+'/);
  expect(csp).not.toContain("unsafe-inline");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("same-origin");
  // The hydration script runs under that policy: the page becomes interactive.
  const nonce = /'nonce-([^']+)'/.exec(csp)![1];
  expect(await page.locator(`script[nonce]`).count()).toBeGreaterThan(0);
  expect(nonce.length).toBeGreaterThanOrEqual(16);
  const errors: string[] = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.reload();
  await page.waitForLoadState("networkidle");
  expect(errors.filter((e) => e.includes("Content Security Policy"))).toEqual([]);
});

test("the bundle, its script and the stylesheet are named by their content and kept by caches for a year", async ({ page }) => {
  const ns = freshNamespace();
  const cached = new Map<string, string | undefined>();
  page.on("response", (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith("/pkg/")) cached.set(path, r.headers()["cache-control"]);
  });
  await page.goto(`/${ns}/sign-in`); // returns once the bundle has taken over
  const hashed = (ext: string) => new RegExp(`^/pkg/gatehouse\\.[A-Za-z0-9_-]{8,}\\.${ext}$`);
  for (const ext of ["wasm", "js", "css"]) {
    expect([...cached.keys()].filter((p) => hashed(ext).test(p)), ext).toHaveLength(1);
  }
  for (const [path, cacheControl] of cached) {
    expect(cacheControl, path).toBe("public, max-age=31536000, immutable");
  }
  // The script is asked for early, beside the stylesheet, not after the page has parsed.
  await expect(page.locator('link[rel="modulepreload"]')).toHaveAttribute("href", hashed("js"));
  await expect(page.locator('link[rel="stylesheet"]')).toHaveAttribute("href", hashed("css"));
  // The page itself is never kept: it may carry one-time secrets.
  const again = await page.request.get(`/${ns}/sign-in`);
  expect(again.headers()["cache-control"]).toBe("no-store");
});
