"""A program written against Gatehouse's JSON API the way the seed's auth client is written
(httpx, async, `../shared/seeds/http-auth-client.md`): register, confirm the address from the
mail the SMTP sink received, log in, refresh, change the password, log out of every session.

    python api_client.py BASE_URL NAMESPACE MAIL_DIR

Run by scripts/e2e against the real server it starts (sign-up open in NAMESPACE).
"""

import asyncio
import base64
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

    await client.logout(all_sessions=True)
    assert await client.me(other.access_token) == 401, "logout of all sessions left one"
    assert await client.me(old_access) == 401
    print("api client: register, confirm, login, refresh, change password, logout all: ok")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
