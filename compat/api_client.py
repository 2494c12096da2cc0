"""A program written against Gatehouse's JSON API the way the seed's auth client is written
(httpx, async, `../shared/seeds/http-auth-client.md`): register, confirm the address from the
mail the SMTP sink received, log in, refresh, change the password, log out of every session;
then two-step verification: an authenticator app added over the API, and the multi-step
sign-in with a TOTP code (native flow) and a recovery code (the seed's user-account interface)
as the second step.

    python api_client.py BASE_URL NAMESPACE MAIL_DIR

Run by scripts/e2e against the real server it starts (sign-up open in NAMESPACE).
"""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import sys
import time
import uuid

import httpx


class ApiError(Exception):
    pass


def claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def mail_to(mail_dir: str, address: str, timeout: float = 15.0) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        for name in sorted(os.listdir(mail_dir)):
            if not name.endswith(".json") or name.startswith("."):
                continue
            with open(os.path.join(mail_dir, name)) as f:
                mail = json.load(f)
            if address in mail["to"]:
                return mail
        time.sleep(0.1)
    raise ApiError(f"no mail to {address}")


def totp(secret_base32: str, steps_ahead: int = 0) -> str:
    """RFC 6238 (SHA-1, 6 digits, 30-second steps), as an authenticator app computes it."""
    key = base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    counter = int(time.time() // 30) + steps_ahead
    mac = hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return f"{(int.from_bytes(mac[offset:offset + 4], 'big') & 0x7FFFFFFF) % 1_000_000:06d}"


class Client:
    """Keeps the tokens as the seed's client does."""

    def __init__(self, base_url: str, namespace: str):
        self.base = f"{base_url}/{namespace}"
        self.access_token = None
        self.refresh_token = None

    @property
    def auth_headers(self) -> dict:
        return {"Authorization": f"Bearer {self.access_token}"} if self.access_token else {}

    @staticmethod
    async def checked(response: httpx.Response) -> dict:
        if 200 <= response.status_code < 300:
            return {} if response.status_code == 204 else response.json()
        body = response.json()
        # Every refusal has the seed's fields.
        assert set(body) >= {"error", "message", "statusCode"}, body
        raise ApiError(f"{response.status_code} {body['error']}: {body['message']}")

    def keep(self, data: dict) -> dict:
        self.access_token = data["jwt_token"]
        self.refresh_token = data["refresh_token"]
        return claims(self.access_token)

    async def register(self, email: str, password: str) -> dict:
        async with httpx.AsyncClient() as http:
            r = await http.post(f"{self.base}/auth/register",
                                json={"email": email, "password": password, "cookie": False})
            return await self.checked(r)

    async def login(self, email: str, password: str) -> dict:
        async with httpx.AsyncClient() as http:
            r = await http.post(f"{self.base}/auth/login",
                                json={"email": email, "password": password, "cookie": False})
            return self.keep(await self.checked(r))

    async def refresh(self) -> dict:
        async with httpx.AsyncClient() as http:
            r = await http.get(f"{self.base}/auth/token/refresh",
                               params={"refresh_token": self.refresh_token})
            return self.keep(await self.checked(r))

    async def change_password(self, old: str, new: str) -> None:
        async with httpx.AsyncClient() as http:
            r = await http.post(f"{self.base}/auth/change-password", headers=self.auth_headers,
                                json={"old_password": old, "new_password": new})
            self.keep(await self.checked(r))

    async def logout(self, all_sessions: bool = True) -> None:
        async with httpx.AsyncClient() as http:
            r = await http.post(f"{self.base}/auth/logout", headers=self.auth_headers,
                                params={"refresh_token": self.refresh_token},
                                json={"all": all_sessions})
            await self.checked(r)
        self.access_token = self.refresh_token = None

    async def me(self, token: str) -> int:
        async with httpx.AsyncClient() as http:
            r = await http.get(f"{self.base}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            return r.status_code


async def main(base_url: str, namespace: str, mail_dir: str) -> None:
    email = f"py-{uuid.uuid4().hex[:8]}@example.com"
    first, second, third = "a first long passphrase", "the chosen passphrase", "a third long passphrase"
    client = Client(base_url, namespace)

    # Register: accepted, nothing to sign in with until the mailbox confirms it.
    accepted = await client.register(email, first)
    assert accepted["statusCode"] == 202 and accepted["jwt_token"] is None, accepted
    mail = mail_to(mail_dir, email)
    token = re.search(r"/verify-email\?token=([A-Za-z0-9_-]+)", mail["text"]).group(1)
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{client.base}/api/v1/verify-email", json={"token": token, "password": second})
        assert r.status_code == 200, r.text

    # The password typed at sign-up was replaced by the one chosen from the mailbox.
    try:
        await client.login(email, first)
        raise AssertionError("the sign-up password still works")
    except ApiError as e:
        assert "invalid_credentials" in str(e), e
    payload = await client.login(email, second)
    assert payload["hasura"]["default_role"] == "user", payload
    assert payload["exp"] > time.time(), payload
    user_id = payload["hasura"]["x-hasura-user-id"]

    old_access, old_refresh = client.access_token, client.refresh_token
    payload = await client.refresh()
    assert payload["hasura"]["x-hasura-user-id"] == user_id
    assert client.refresh_token != old_refresh
    assert await client.me(client.access_token) == 200

    await client.change_password(second, third)
    assert await client.me(client.access_token) == 200
    other = Client(base_url, namespace)
    await other.login(email, third)

    # Two-step verification, added over the native API with the fresh sign-in.
    native = f"{client.base}/api/v1"
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{native}/mfa/totp", headers=other.auth_headers)
        assert r.status_code == 201, r.text
        setup = r.json()
        r = await http.post(f"{native}/mfa/totp/confirm", headers=other.auth_headers,
                            json={"enrollment": setup["enrollment"], "code": totp(setup["secret"])})
        assert r.status_code == 200, r.text
        recovery_codes = r.json()["recovery_codes"]
        assert len(recovery_codes) >= 8, recovery_codes

    await client.logout(all_sessions=True)
    assert await client.me(other.access_token) == 401, "logout of all sessions left one"
    assert await client.me(old_access) == 401

    # The one-step login of the seed's client now says a second step is owed.
    try:
        await client.login(email, third)
        raise AssertionError("a one-step login skipped the authenticator app")
    except ApiError as e:
        assert "mfa_required" in str(e), e

    async with httpx.AsyncClient() as http:
        # The native flow: password, then a TOTP code (a later step than the one that turned
        # the app on: each step's code is good once).
        flow = (await http.post(f"{native}/sign-in", json={"email": email})).json()
        r = await http.post(f"{native}/sign-in/{flow['flow']}/steps",
                            json={"method": "password", "password": third})
        assert r.status_code == 200, r.text
        second_step = r.json()
        assert "access_token" not in second_step, second_step
        assert set(second_step["allowed_methods"]) == {"totp", "recovery_code"}, second_step
        valid = {totp(setup["secret"], step) for step in (-1, 0, 1)}
        wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)
        r = await http.post(f"{native}/sign-in/{second_step['flow']}/steps",
                            json={"method": "totp", "code": wrong})
        assert r.status_code == 401 and r.json()["error"] == "invalid_credentials", r.text
        r = await http.post(f"{native}/sign-in/{second_step['flow']}/steps",
                            json={"method": "totp", "code": totp(setup["secret"], 1)})
        assert r.status_code == 200, r.text
        tokens = r.json()
        assert await client.me(tokens["access_token"]) == 200

        # The seed's user-account interface: password, then a recovery code, used up.
        for attempt in range(2):
            r = await http.post(f"{client.base}/userAccount/initAuth", json={"email": email})
            r = await http.post(f"{client.base}/userAccount/authenticate",
                                headers={"x-session-token": r.headers["x-session-token"]},
                                json={"method": "password", "credentials": {"password": third}})
            assert r.status_code == 200 and r.json()["nextStep"] == 1, r.text
            r = await http.post(f"{client.base}/userAccount/authenticate",
                                headers={"x-session-token": r.headers["x-session-token"]},
                                json={"method": "recovery_code",
                                      "credentials": {"code": recovery_codes[0]}})
            if attempt == 0:
                assert r.status_code == 200 and r.json()["message"] == "Fully authenticated", r.text
                assert await client.me(r.json()["accessToken"]) == 200
            else:
                assert r.status_code == 401, "a recovery code worked twice"
    print("api client: register, confirm, login, refresh, change password, logout all, "
          "TOTP and recovery code as second steps: ok")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
