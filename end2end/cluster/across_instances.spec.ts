// Flows whose steps are answered by different instances of one cluster (issue #13, point 3):
// scripts/cluster starts three servers on one database behind a balancer. Whatever a step
// leaves for the next one (a pending sign-in, a WebAuthn ceremony, a mail to send) must live in
// the database, not in the memory of the instance that answered it.
//
// The browser only ever talks to the balancer's URL (localhost: WebAuthn needs a domain, and it
// is each instance's base URL, so Origin checks pass). The tests do not leave the choice of
// instance to the balancer: `pinInstances` intercepts the browser's requests and sends each to
// the instance the test chose, and records which instance answered each server-function call,
// so every test checks that its steps really went where it says.
import { type BrowserContext, type Page, type Route } from "@playwright/test";
import { mailsTo, uniqueAddress, waitForMail } from "../tests/mail";
import { createUser, expect, freshNamespace, hydrated, sql, test } from "../tests/support";
import { totp } from "../tests/totp";
import { addVirtualAuthenticator } from "../tests/webauthn";

const PASSWORD = "correct horse battery staple";

/** The balancer, the one origin the browser sees. */
const BALANCER = new URL(process.env.GATEHOUSE_E2E_URL ?? "http://localhost:3400").origin;

/** The instances behind it, addressed directly (index 0, 1, 2 in the tests). */
const INSTANCES = (process.env.GATEHOUSE_CLUSTER_INSTANCES ?? "")
  .split(",")
  .map((u) => u.trim())
  .filter((u) => u !== "")
  .map((u) => new URL(u).origin);

test.beforeAll(() => {
  if (INSTANCES.length < 3 || new Set(INSTANCES).size !== INSTANCES.length) {
    throw new Error(
      `GATEHOUSE_CLUSTER_INSTANCES must name three distinct instances (run through scripts/cluster), got: ${INSTANCES.join(", ") || "nothing"}`,
    );
  }
});

/** One request sent to an instance: which one, and the status it answered (0: no answer, and
 * `error` says why). */
interface Answer {
  instance: number;
  status: number;
  error?: string;
}

interface Forwarded extends Answer {
  path: string;
  method: string;
  /** The server function called, for a path under /api/. */
  serverFunction: string | null;
}

/** The server function a path calls: `/api/<name><hash>` (the hash is decimal digits, and
 * absent for functions given an endpoint of their own). */
function serverFunctionOf(path: string): string | null {
  return path.match(/^\/api\/([a-z_]+?)\d*$/)?.[1] ?? null;
}

/** Response headers that describe the bytes on the wire rather than the content. */
const REFRAMED = new Set(["content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive"]);

/** Which instance answers the browser's requests, as the test decides. */
class Pinning {
  private fallback: number | null = null;
  private readonly byFunction = new Map<string, number>();
  private readonly byPagePost = new Map<string, number>();
  private readonly forwarded: Forwarded[] = [];

  constructor(private readonly context: BrowserContext) {}

  /** Sends the requests that follow to instance `instance`; `null` leaves them to the balancer
   * (those are not recorded: which instance answered is unknown). */
  to(instance: number | null): void {
    if (instance !== null) checkInstance(instance);
    this.fallback = instance;
  }

  /** Sends every call of server function `name` to `instance`, whatever `to` says: the two
   * halves of a WebAuthn ceremony are called within one click, with nothing to wait for in
   * between. */
  call(name: string, instance: number): void {
    checkInstance(instance);
    this.byFunction.set(name, instance);
  }

  /** Sends every form posted to page `path` (no query) to `instance`, whatever `to` says: a
   * ceremony's second half is such a post when its answer is shown once (adding a passkey). */
  postTo(path: string, instance: number): void {
    checkInstance(instance);
    this.byPagePost.set(path, instance);
  }

  /** The forms posted to page `path` so far, oldest first. */
  posts(path: string): Answer[] {
    return this.forwarded.filter((f) => f.path === path && f.method === "POST").map(answer);
  }

  /** The calls of server function `name` so far, oldest first. */
  calls(name: string): Answer[] {
    return this.forwarded.filter((f) => f.serverFunction === name).map(answer);
  }

  /** The requests for page `path` (no query) so far, oldest first. */
  served(path: string): Answer[] {
    return this.forwarded.filter((f) => f.path === path).map(answer);
  }

  async handle(route: Route): Promise<void> {
    const request = route.request();
    const url = new URL(request.url());
    // The site's static files are the same on every instance and carry no state: the balancer
    // serves them, which spares the large WebAssembly bundle a trip through Playwright on every
    // page load (the browser cache is off while requests are intercepted).
    if (url.pathname.startsWith("/pkg/")) return route.fallback();
    const serverFunction = serverFunctionOf(url.pathname);
    const method = request.method();
    const pinned =
      serverFunction !== null
        ? this.byFunction.get(serverFunction)
        : method === "POST"
          ? this.byPagePost.get(url.pathname)
          : undefined;
    const instance = pinned ?? this.fallback;
    if (instance === null) return route.fallback();

    const record: Forwarded = { path: url.pathname, method, serverFunction, instance, status: 0 };
    this.forwarded.push(record);
    // Nothing is thrown from here: a route handler's error surfaces apart from the test (and
    // after it, for requests still in flight when the page closes). A failure is recorded
    // instead, for the test's own checks to show, and the browser sees a failed request.
    try {
      // route.fetch sends the headers interception reports. Chromium's carry Origin, and lately
      // Cookie too, but Playwright does not promise the cookies: without them, route.fetch would
      // send those of the context's jar for the host it fetches (127.0.0.1, where route.fetch
      // files a copy of every Set-Cookie it sees), not those the browser holds for the
      // balancer. So the Cookie header is always set, even empty, from the browser's cookies
      // for the balancer's URL, as the browser itself sends them (Gatehouse's cookies are all
      // Path=/ and SameSite=Lax, and every request here is same-origin).
      const headers: Record<string, string> = { ...request.headers() };
      const cookies = await this.context.cookies(request.url());
      headers["cookie"] = cookies.map((c) => `${c.name}=${c.value}`).join("; ");
      // The instances refuse a state-changing request that shows no sign of coming from their
      // own origin; the browser sends Origin with every one.
      if (!["GET", "HEAD", "OPTIONS"].includes(request.method()) && !headers["origin"]) headers["origin"] = BALANCER;
      // No redirect is followed here: the browser follows it itself, so that its URL is what it
      // would be without the detour. Playwright does not intercept the request a redirect leads
      // to, though: that one goes to the balancer, neither pinned nor recorded. None of the
      // steps pinned in these tests is an HTTP redirect (a server function called by the
      // page's script answers 200, and the page moves on by itself), and one would show as a
      // 3xx among the answers recorded.
      const response = await route.fetch({
        url: INSTANCES[instance] + url.pathname + url.search,
        headers,
        maxRedirects: 0,
      });
      record.status = response.status();
      // The body route.fetch hands back is decoded and whole: the instance's encoding, length
      // and framing no longer describe it. Set-Cookie is passed on as it came (several joined
      // by newlines, which Playwright splits again), and the browser files it for the
      // balancer's host, the URL it asked.
      const kept = Object.fromEntries(Object.entries(response.headers()).filter(([name]) => !REFRAMED.has(name)));
      await route.fulfill({ response, headers: kept });
    } catch (e) {
      record.error = e instanceof Error ? e.message : String(e);
      await route.abort("failed").catch(() => undefined);
    }
  }
}

function answer({ instance, status, error }: Forwarded): Answer {
  return error === undefined ? { instance, status } : { instance, status, error };
}

function checkInstance(instance: number): void {
  if (!Number.isInteger(instance) || instance < 0 || instance >= INSTANCES.length) {
    throw new Error(`no instance ${instance}: there are ${INSTANCES.length}`);
  }
}

/** Takes over the requests of every page of `context` to the balancer (left to it until `to`). */
async function pinInstances(context: BrowserContext): Promise<Pinning> {
  const pinning = new Pinning(context);
  await context.route((url) => url.origin === BALANCER, (route) => pinning.handle(route));
  return pinning;
}

/** The names of the cookies the browser holds for the balancer. */
async function cookieNames(context: BrowserContext): Promise<string[]> {
  return (await context.cookies(BALANCER)).map((c) => c.name);
}

async function signIn(page: Page, ns: string, email: string) {
  await page.goto(`/${ns}/sign-in`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

async function signOut(page: Page, ns: string) {
  await page.goto(`/${ns}/account`);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/sign-in$`));
  await hydrated(page);
}

/** Turns the authenticator app on for the signed-in account (as mfa.spec.ts does); returns its
 * secret. The code used here is spent: the sign-in after it uses the next one. */
async function enrolTotp(page: Page, ns: string): Promise<string> {
  await page.goto(`/${ns}/security/mfa`);
  await page.getByRole("button", { name: "Set up authenticator app" }).click();
  const secret = (await page.locator("#totp-secret").textContent())!.trim();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await page.getByLabel("Code from the app").fill(totp(secret));
  await page.getByRole("button", { name: "Turn on" }).click();
  await expect(page.locator("#totp-status")).toContainText("On");
  return secret;
}

test("the password is checked by one instance, the authenticator code by another, and a third knows the session", async ({ page }) => {
  const ns = freshNamespace();
  const email = uniqueAddress("cluster-totp");
  createUser(ns, email, PASSWORD);
  // Set up through the balancer, wherever it sends each request.
  await signIn(page, ns, email);
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
  const secret = await enrolTotp(page, ns);
  await signOut(page, ns);

  const pin = await pinInstances(page.context());
  pin.to(0);
  await signIn(page, ns, email);
  await expect(page).toHaveURL(new RegExp(`/${ns}/sign-in/second-factor$`));
  await hydrated(page);
  // Instance 0's Set-Cookie went through the detour into the browser: the pending sign-in.
  expect(await cookieNames(page.context())).toContain("gatehouse_pending");
  expect(await cookieNames(page.context())).not.toContain("gatehouse_session");
  const code = page.getByLabel("Authentication code");
  await expect(code).toBeVisible();

  pin.to(1);
  await code.fill(totp(secret, 1));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
  expect(await cookieNames(page.context())).toContain("gatehouse_session");

  pin.to(2);
  await page.goto(`/${ns}/account`);
  await expect(page.locator("#account-email")).toHaveText(email);

  // Both are plain forms posted natively: a success is the redirect onward.
  expect(pin.calls("sign_in")).toEqual([{ instance: 0, status: 302 }]);
  expect(pin.calls("complete_sign_in")).toEqual([{ instance: 1, status: 302 }]);
  expect(pin.served(`/${ns}/account`)).toContainEqual({ instance: 2, status: 200 });
});

test("a passkey ceremony begun on one instance is finished on another, to add the passkey and to sign in with it", async ({ page }) => {
  const ns = freshNamespace();
  const email = uniqueAddress("cluster-passkey");
  createUser(ns, email, PASSWORD);
  await addVirtualAuthenticator(page);
  const pin = await pinInstances(page.context());
  pin.to(0);
  await signIn(page, ns, email);
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));

  // One click runs both halves: the options (and the challenge in them) come from instance 0,
  // the authenticator's answer is posted with the form to the page on instance 1.
  pin.call("begin_add_passkey", 0);
  pin.postTo(`/${ns}/security/mfa`, 1);
  await page.goto(`/${ns}/security/mfa`);
  await page.getByLabel("Passkey name").fill("laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  const listed = page.locator("#passkeys tbody tr").filter({ hasText: "laptop" });
  await expect(listed).toHaveCount(1);
  expect(pin.calls("begin_add_passkey")).toEqual([{ instance: 0, status: 200 }]);
  expect(pin.posts(`/${ns}/security/mfa`)).toEqual([{ instance: 1, status: 200 }]);
  // A third instance lists it too.
  pin.to(2);
  await page.goto(`/${ns}/security/mfa`);
  await expect(listed).toHaveCount(1);

  await signOut(page, ns);
  pin.call("begin_passkey_sign_in", 1);
  pin.call("passkey_sign_in", 2);
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page).toHaveURL(new RegExp(`/${ns}/account$`));
  await expect(page.locator("#account-email")).toHaveText(email);
  expect(pin.calls("begin_passkey_sign_in")).toEqual([{ instance: 1, status: 200 }]);
  expect(pin.calls("passkey_sign_in")).toEqual([{ instance: 2, status: 200 }]);
});

test("mail asked for once is delivered once, though every instance runs a mail worker", async ({ page, request }) => {
  // The premise: each instance runs a mail worker (an instance that sends no mail says "off").
  for (const instance of INSTANCES) {
    const ready = await request.get(`${instance}/readyz`);
    expect(ready.status(), instance).toBe(200);
    expect(((await ready.json()) as { mail_worker: string }).mail_worker, instance).toBe("alive");
  }
  const ns = freshNamespace();
  const email = uniqueAddress("cluster-mail");
  createUser(ns, email, PASSWORD);
  // Through the balancer. The request is recorded, then turned into a token and a queued mail by
  // a worker, then the mail is sent by a worker: each step is announced by a notification all
  // three instances listen for, so all three reach for it at once, and one only may do it.
  await page.goto(`/${ns}/sign-in`);
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Email me a reset link" }).click();
  await expect(page.getByRole("status")).toContainText("If an account exists for that address, we have sent it a message.");
  expect((await waitForMail(email)).subject).toBe("Reset your password");

  // A second worker sending it as well would do so at about the same time as the first.
  await new Promise((r) => setTimeout(r, 5_000));
  expect(mailsTo(email)).toHaveLength(1);
  // One request, fulfilled once; one mail queued, sent once.
  expect(sql(`SELECT count(*) FROM gatehouse.mail_requests WHERE namespace = '${ns}'`)).toBe("0");
  expect(
    sql(`SELECT count(*) || ' queued, ' || count(sent_at) || ' sent' FROM gatehouse.mail_outbox WHERE namespace = '${ns}' AND recipient = '${email}'`),
  ).toBe("1 queued, 1 sent");
});
