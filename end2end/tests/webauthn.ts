import { type CDPSession, type Page } from "@playwright/test";

/** Chromium's virtual authenticator (DevTools WebAuthn domain): a platform authenticator that
 * keeps discoverable credentials and verifies its user. Returns the DevTools session, to look
 * at or remove its credentials. */
export async function addVirtualAuthenticator(page: Page): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  });
  return cdp;
}
