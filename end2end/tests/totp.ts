// RFC 6238 (TOTP: HMAC-SHA1, 6 digits, 30-second steps), written for the tests so they do not
// trust the app's own implementation.
import { createHmac } from "node:crypto";

export function base32Decode(text: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of text.replace(/=+$/, "").toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** The code for the step `offset` steps away from now. */
export function totp(secretBase32: string, offset = 0, now = Date.now()): string {
  const counter = Math.floor(now / 1000 / 30) + offset;
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const digest = createHmac("sha1", base32Decode(secretBase32)).update(message).digest();
  const at = digest[19] & 0x0f;
  const binary = digest.readUInt32BE(at) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, "0");
}
