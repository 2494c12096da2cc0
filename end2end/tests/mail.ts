// Mail as the SMTP sink received it (see ../smtp-sink.mjs).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { join } from "node:path";

export interface Mail {
  to: string[];
  subject: string;
  text: string;
}

function mailDir(): string {
  const dir = process.env.GATEHOUSE_E2E_MAIL_DIR;
  if (!dir) throw new Error("GATEHOUSE_E2E_MAIL_DIR is not set (run the tests through scripts/test)");
  return dir;
}

export function mailsTo(address: string): Mail[] {
  const dir = mailDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json") && !f.startsWith("."))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as Mail)
    .filter((m) => m.to.includes(address.toLowerCase()));
}

/** Waits for the `n`-th (1-based) mail to `address`. */
export async function waitForMail(address: string, n = 1, timeoutMs = 15_000): Promise<Mail> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const mails = mailsTo(address);
    if (mails.length >= n) return mails[n - 1];
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail #${n} to ${address} within ${timeoutMs} ms`);
}

/** The first link in the mail's text to a path ending in `page`. */
export function linkIn(mail: Mail, page: string): string {
  const match = mail.text.match(new RegExp(`https?://\\S+/${page}\\?token=[A-Za-z0-9_-]+`));
  if (!match) throw new Error(`no ${page} link in: ${mail.text}`);
  return match[0];
}

export function codeIn(mail: Mail): string {
  const match = mail.text.match(/^\s*(\d{6})\s*$/m);
  if (!match) throw new Error(`no code in: ${mail.text}`);
  return match[1];
}

/** An address no other test (nor another run of this one) uses: the SMTP sink is shared. */
export function uniqueAddress(name: string): string {
  return `${name}-${randomUUID().slice(0, 8)}@example.com`;
}
