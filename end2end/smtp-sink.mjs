// A real SMTP server for the end-to-end run: scripts/e2e starts it before Gatehouse, points
// GATEHOUSE_SMTP_URL at it, and every message received is written as JSON into the folder
// given, where tests read links and codes (tests/mail.ts).
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { simpleParser } from "mailparser";

const [port, dir] = process.argv.slice(2);
if (!port || !dir) {
  console.error("usage: node smtp-sink.mjs PORT DIR");
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
let count = 0;

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS", "AUTH"],
  logger: false,
  onData(stream, session, callback) {
    simpleParser(stream)
      .then((mail) => {
        const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        count += 1;
        const name = `${Date.now()}-${String(count).padStart(5, "0")}.json`;
        // Written aside and renamed into place, so a reader never sees half a mail.
        const partial = join(dir, `.${name}.partial`);
        writeFileSync(
          partial,
          JSON.stringify({ to, subject: mail.subject ?? "", text: mail.text ?? "", html: mail.html || "" }),
        );
        renameSync(partial, join(dir, name));
        callback();
      })
      .catch(callback);
  },
});
// A client that goes away mid-conversation (a Gatehouse instance killed by scripts/chaos) is
// reported as an error on the server; without a listener Node would end the whole sink.
server.on("error", (err) => console.error(`smtp sink: ${err.code ?? ""} ${err.message}`));
server.listen(Number(port), "127.0.0.1", () => console.log(`smtp sink on 127.0.0.1:${port}, writing ${dir}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
