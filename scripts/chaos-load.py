"""Bounded mixed load through the cluster's balancer while something breaks, then a
reconciliation. Run by scripts/chaos (which starts the cluster and says what breaks when).

    python chaos-load.py --base URL --namespace NS --mail-dir DIR --users FILE
        --seconds S --concurrency C [--at T --label TEXT --event CMD]... --report FILE

Each worker owns one account of FILE ("email password" per line) and loops over: a sign-up of
a new address (the JSON API's register), a password login for tokens, one for a session
cookie, a token refresh, `GET /api/v1/me`, a signed-in page and the sign-in page, until S
seconds have passed or the request budget is spent. Every request is
recorded with its outcome. At T seconds after the start, CMD runs (a shell command: kill the
primary, an instance, the mail server...).

Afterwards, with the service back:
- every sign-up the service acknowledged (202) has its account in the database (asked with
  psql through DATABASE_URL) and its confirmation mail, exactly one;
- every worker whose last token request was acknowledged can still use those tokens (the
  access token on `me`, the refresh token once), and its acknowledged session cookie still
  opens its account page: nothing acknowledged was half-written;
- every worker can log in again.
The report (JSON) holds the counts; scripts/chaos prints and checks them.
"""

import argparse
import asyncio
import re
import json
import os
import random
import subprocess
import time
import uuid
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

MAX_REQUESTS_PER_WORKER = 2000


class Recorder:
    def __init__(self, started: float):
        self.started = started
        # start, end, op, outcome, the instance that answered (HAProxy's header; "" if none)
        self.requests: list[tuple[float, float, str, str, str]] = []

    def add(self, t0: float, op: str, outcome: str, instance: str = "") -> None:
        self.requests.append((t0 - self.started, time.monotonic() - self.started, op, outcome, instance))


class Worker:
    def __init__(self, args, http: httpx.AsyncClient, account: tuple[str, str], rec: Recorder, n: int):
        self.args, self.http, self.rec, self.n = args, http, rec, n
        self.email, self.password = account
        self.ns = f"{args.base}/{args.namespace}"
        self.access = self.refresh_token = None
        # The session cookie of the last acknowledged cookie sign-in, and when it was made.
        self.cookie: str | None = None
        # Whether the last request that changed this worker's tokens was answered: only then
        # does the service owe us working tokens.
        self.tokens_acknowledged = True
        self.signups: list[str] = []
        self.signup_times: list[tuple[str, float]] = []

    async def request(self, op: str, method: str, url: str, expect: int, **kw) -> httpx.Response | None:
        t0 = time.monotonic()
        try:
            r = await self.http.request(method, url, **kw)
        except httpx.HTTPError as e:
            self.rec.add(t0, op, f"error {type(e).__name__}")
            return None
        self.rec.add(t0, op, "ok" if r.status_code == expect else str(r.status_code),
                     r.headers.get("x-gatehouse-instance", ""))
        return r if r.status_code == expect else None

    async def login(self) -> bool:
        self.tokens_acknowledged = False
        r = await self.request("login", "POST", f"{self.ns}/auth/login", 200,
                               json={"email": self.email, "password": self.password, "cookie": False})
        if r is None:
            return False
        body = r.json()
        self.access, self.refresh_token = body["jwt_token"], body["refresh_token"]
        self.tokens_acknowledged = True
        return True

    async def refresh(self) -> None:
        if self.refresh_token is None or not self.tokens_acknowledged:
            await self.login()
            return
        self.tokens_acknowledged = False
        r = await self.request("refresh", "GET", f"{self.ns}/auth/token/refresh", 200,
                               params={"refresh_token": self.refresh_token})
        if r is not None:
            body = r.json()
            self.access, self.refresh_token = body["jwt_token"], body["refresh_token"]
            self.tokens_acknowledged = True

    async def me(self) -> None:
        if self.access is None:
            await self.login()
            return
        await self.request("me", "GET", f"{self.ns}/api/v1/me", 200,
                           headers={"Authorization": f"Bearer {self.access}"})

    async def sign_up(self) -> None:
        email = f"chaos-{uuid.uuid4().hex[:12]}@example.com"
        r = await self.request("sign_up", "POST", f"{self.ns}/auth/register", 202,
                               json={"email": email, "password": "a long chaos passphrase", "cookie": False})
        if r is not None:
            self.signups.append(email)
            self.signup_times.append((email, time.monotonic() - self.rec.started))

    async def cookie_login(self) -> None:
        # The sign-in form as a browser without JavaScript posts it: a redirect with the session
        # cookie.
        t0 = time.monotonic()
        try:
            r = await self.http.post(self.args.sign_in_action, headers={"Origin": self.args.base},
                                     data={"namespace": self.args.namespace, "email": self.email,
                                           "password": self.password})
        except httpx.HTTPError as e:
            self.rec.add(t0, "cookie_login", f"error {type(e).__name__}")
            return
        cookie = next((c.split(";", 1)[0].split("=", 1)[1] for c in r.headers.get_list("set-cookie")
                       if c.startswith("gatehouse_session=")), None)
        ok = r.status_code in (200, 302, 303) and cookie
        self.rec.add(t0, "cookie_login", "ok" if ok else str(r.status_code),
                     r.headers.get("x-gatehouse-instance", ""))
        if ok:
            self.cookie = cookie

    async def account_page(self) -> None:
        if self.cookie is None:
            await self.cookie_login()
            return
        r = await self.request("account_page", "GET", f"{self.ns}/account", 200,
                               headers={"Cookie": f"gatehouse_session={self.cookie}"})
        if r is not None and self.email not in r.text:
            self.rec.add(time.monotonic(), "account_page", "not signed in")

    async def page(self) -> None:
        await self.request("page", "GET", f"{self.ns}/sign-in", 200)

    async def run(self, deadline: float) -> None:
        rng = random.Random(self.n)
        ops = [self.sign_up, self.login, self.cookie_login, self.refresh, self.refresh, self.me, self.me,
               self.account_page, self.page]
        for _ in range(MAX_REQUESTS_PER_WORKER):
            if time.monotonic() >= deadline:
                return
            await rng.choice(ops)()
            # A pause between requests keeps the load mixed rather than saturating, and the
            # mail bounded (sign-ups are a ninth of the requests).
            await asyncio.sleep(self.args.pause)


async def event(at: float, label: str, command: str, started: float, log: list) -> None:
    await asyncio.sleep(max(0.0, started + at - time.monotonic()))
    t = time.monotonic() - started
    proc = await asyncio.create_subprocess_shell(command, stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    log.append({"at": round(t, 3), "label": label, "command": command, "exit": proc.returncode,
                "output": out.decode().strip()})


def mails_by_recipient(mail_dir: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in os.listdir(mail_dir):
        if not name.endswith(".json") or name.startswith("."):
            continue
        with open(os.path.join(mail_dir, name)) as f:
            for to in json.load(f)["to"]:
                counts[to] = counts.get(to, 0) + 1
    return counts


async def reconcile(args, workers: list[Worker], http: httpx.AsyncClient, events: list) -> dict:
    # The service answers again before anything is checked (bounded).
    deadline = time.monotonic() + args.settle
    ready_at = None
    while time.monotonic() < deadline:
        try:
            if (await http.get(f"{args.base}/readyz")).status_code == 200:
                ready_at = time.monotonic()
                break
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.2)
    signups = [e for w in workers for e in w.signups]
    # Mail is fulfilled in the background: wait (bounded) for every acknowledged sign-up's mail.
    deadline = time.monotonic() + args.settle
    while time.monotonic() < deadline:
        counts = mails_by_recipient(args.mail_dir)
        if all(counts.get(e, 0) >= 1 for e in signups):
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(2)  # room for a duplicate to show up
    counts = mails_by_recipient(args.mail_dir)
    # The accounts, on whichever node is the primary now.
    accounts = set(subprocess.run(
        ["psql", args.database_url, "-XAt", "-v", "ON_ERROR_STOP=1", "-c",
         f"SELECT email FROM authn.users WHERE namespace = '{args.namespace}'"],
        check=True, capture_output=True, text=True).stdout.split())
    first_event = events[0]["at"] if events else None
    half_written, in_doubt, relogin_failed = [], 0, []
    for w in workers:
        if w.cookie is not None:
            page = await http.get(f"{w.ns}/account", headers={"Cookie": f"gatehouse_session={w.cookie}"})
            if page.status_code != 200 or w.email not in page.text:
                half_written.append({"worker": w.n, "session_cookie": page.status_code})
        if w.access is not None and w.tokens_acknowledged:
            me = await http.get(f"{w.ns}/api/v1/me", headers={"Authorization": f"Bearer {w.access}"})
            ref = await http.get(f"{w.ns}/auth/token/refresh", params={"refresh_token": w.refresh_token})
            if me.status_code != 200 or ref.status_code != 200:
                half_written.append({"worker": w.n, "me": me.status_code, "refresh": ref.status_code})
        elif w.access is not None:
            in_doubt += 1
        r = await http.post(f"{w.ns}/auth/login",
                            json={"email": w.email, "password": w.password, "cookie": False})
        if r.status_code != 200:
            relogin_failed.append({"worker": w.n, "status": r.status_code})
    return {
        "ready_at": ready_at,
        "signups_acknowledged": len(signups),
        "signups_acknowledged_after_first_event": sum(
            1 for w in workers for e, at in w.signup_times if first_event is not None and at >= first_event),
        "signup_accounts_missing": sum(1 for e in signups if e not in accounts),
        "signup_mails_missing": sum(1 for e in signups if counts.get(e, 0) == 0),
        "signup_mails_duplicated": sum(1 for e in signups if counts.get(e, 0) > 1),
        "tokens_half_written": half_written,
        "tokens_in_doubt": in_doubt,
        "relogin_failed": relogin_failed,
    }


def is_server_error(request: tuple[float, float, str, str, str]) -> bool:
    outcome = request[3]
    return outcome.isdigit() and int(outcome) >= 500 and outcome != "503"


def summarize(rec: Recorder, events: list) -> dict:
    failed = [r for r in rec.requests if r[3] != "ok"]
    by_outcome: dict[str, int] = {}
    for r in failed:
        by_outcome[r[3]] = by_outcome.get(r[3], 0) + 1
    first_event = events[0]["at"] if events else None
    # Seconds the service did not answer after the first event: the longest stretch with no
    # successful answer, from the event on (0 when nothing failed). If it never answered again
    # during the run, the reconciliation fills it in from when /readyz answered.
    unavailable = None
    if first_event is not None:
        answered = sorted(r[1] for r in rec.requests if r[3] == "ok" and r[1] >= first_event)
        if not any(r[1] >= first_event for r in failed):
            unavailable = 0.0
        elif answered and any(r[0] >= max(r[1] for r in failed) for r in rec.requests if r[3] == "ok"):
            marks = [first_event] + answered
            unavailable = round(max(b - a for a, b in zip(marks, marks[1:])), 2)
    # When each instance had noticed: the end of its first 503.
    noticed: dict[str, float] = {}
    for r in sorted(failed, key=lambda r: r[1]):
        if r[3] == "503" and r[4]:
            noticed.setdefault(r[4], r[1])

    def after_noticing(r) -> bool:
        return r[0] >= noticed.get(r[4], float("inf"))
    latencies = sorted(r[1] - r[0] for r in rec.requests if r[3] == "ok")

    def pct(p: float) -> float | None:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1) if latencies else None

    return {
        "requests": len(rec.requests),
        "failed": len(failed),
        "failed_by_outcome": by_outcome,
        # The baseline: before anything broke, nothing may fail (a request still in flight when
        # it broke may: it ends after the event).
        "failed_before_first_event": sum(1 for r in failed if first_event is None or r[1] < first_event),
        # A change in flight when the database dies is in doubt (it may have committed), so it
        # answers a plain 500, not "unavailable, nothing was changed": those are counted apart.
        # Once an instance has noticed (its first 503), every request it cannot serve must get
        # the 503: a 500 after that is a bug.
        "server_errors_while_noticing": sum(1 for r in failed if is_server_error(r) and not after_noticing(r)),
        "server_errors_after_noticing": sum(1 for r in failed if is_server_error(r) and after_noticing(r)),
        "seconds_unavailable": unavailable,
        "latency_ms_p50": pct(0.5),
        "latency_ms_p99": pct(0.99),
        "events": events,
    }


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--namespace", required=True)
    p.add_argument("--mail-dir", required=True)
    p.add_argument("--users", required=True)
    p.add_argument("--seconds", type=float, default=12)
    p.add_argument("--concurrency", type=int, default=6)
    p.add_argument("--pause", type=float, default=0.02)
    p.add_argument("--database-url", required=True, help="superuser URL, for the reconciliation")
    # Longer than the leases of a claimed mail request (2 min) and of a claimed mail (5 min):
    # work an instance claimed as it died is taken up again once its lease ends. The wait
    # ends as soon as everything has arrived.
    p.add_argument("--settle", type=float, default=330)
    p.add_argument("--at", type=float, action="append", default=[])
    p.add_argument("--event", action="append", default=[])
    p.add_argument("--label", action="append", default=[])
    p.add_argument("--report", required=True)
    args = p.parse_args()
    if not len(args.at) == len(args.event) == len(args.label):
        p.error("every --event needs an --at and a --label")
    with open(args.users) as f:
        accounts = [tuple(line.split(maxsplit=1)) for line in f.read().splitlines() if line]
    if len(accounts) < args.concurrency:
        p.error("fewer accounts than workers")
    # Loopback only, with timeouts: a request stuck on a dead node counts as failed. No cookie
    # jar: the client is shared by the workers, and each sends only its own session cookie.
    limits = httpx.Limits(max_connections=args.concurrency * 2)
    no_cookies = CookieJar(DefaultCookiePolicy(allowed_domains=[]))
    async with httpx.AsyncClient(timeout=10.0, limits=limits, cookies=no_cookies) as http:
        form = (await http.get(f"{args.base}/{args.namespace}/sign-in")).text
        action = re.search(r'action="(/api/sign_in\d*)"', form)
        if action is None:
            p.error("the sign-in page has no sign-in form")
        args.sign_in_action = args.base + action.group(1)
        started = time.monotonic()
        rec = Recorder(started)
        workers = [Worker(args, http, accounts[i], rec, i) for i in range(args.concurrency)]
        events: list = []
        deadline = started + args.seconds
        await asyncio.gather(
            *(w.run(deadline) for w in workers),
            *(event(at, label, cmd, started, events) for at, label, cmd in zip(args.at, args.label, args.event)),
        )
        report = summarize(rec, sorted(events, key=lambda e: e["at"]))
        report.update(await reconcile(args, workers, http, report["events"]))
        if report["seconds_unavailable"] is None and report["ready_at"] is not None and report["events"]:
            report["seconds_unavailable"] = round(report["ready_at"] - started - report["events"][0]["at"], 2)
        del report["ready_at"]
    with open(args.report, "w") as f:
        json.dump(report, f, indent=2)


if __name__ == "__main__":
    asyncio.run(main())
