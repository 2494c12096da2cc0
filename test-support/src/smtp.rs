//! A real SMTP server for tests: accepts every message on 127.0.0.1 and keeps it, so tests
//! see exactly what a mail relay would have received.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One received message: the envelope recipient, and the decoded subject and text part.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub raw: String,
}

#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind SMTP sink");
        let port = listener.local_addr().expect("sink address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, store).await;
                });
            }
        });
        SmtpSink { port, received }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn all(&self) -> Vec<ReceivedMail> {
        self.received.lock().expect("sink lock").clone()
    }

    /// Waits up to 10 s for the `n`-th (1-based) message to `to`.
    pub async fn wait_for(&self, to: &str, n: usize) -> ReceivedMail {
        for _ in 0..200 {
            let found: Vec<_> = self.all().into_iter().filter(|m| m.to == to).collect();
            if found.len() >= n {
                return found[n - 1].clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "no mail #{n} to {to} within 10 s; received: {:?}",
            self.all()
        );
    }
}

async fn serve(
    stream: tokio::net::TcpStream,
    store: Arc<Mutex<Vec<ReceivedMail>>>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink ESMTP\r\n").await?;
    let mut to = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            write.write_all(b"250-sink\r\n250 8BITMIME\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            to = line[8..]
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned();
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("DATA") {
            write.write_all(b"354 go ahead\r\n").await?;
            let mut raw = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                raw.push_str(unstuffed);
            }
            store
                .lock()
                .expect("sink lock")
                .push(parse(to.clone(), raw));
            write.write_all(b"250 queued\r\n").await?;
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            write.write_all(b"250 OK\r\n").await?;
        }
    }
}

fn parse(to: String, raw: String) -> ReceivedMail {
    let subject = raw
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap_or_default()
        .trim()
        .to_owned();
    ReceivedMail {
        to,
        subject,
        text: text_part(&raw),
        raw,
    }
}

/// The decoded `text/plain` part (quoted-printable, base64 or plain).
fn text_part(raw: &str) -> String {
    let Some(start) = raw.find("Content-Type: text/plain") else {
        return String::new();
    };
    let part = &raw[start..];
    let Some(body_at) = part.find("\r\n\r\n") else {
        return String::new();
    };
    let headers = &part[..body_at];
    let body = &part[body_at + 4..];
    let body = &body[..body.find("\r\n--").unwrap_or(body.len())];
    if headers.contains("quoted-printable") {
        decode_qp(body)
    } else if headers.contains("base64") {
        use base64::Engine as _;
        let compact: String = body.split_whitespace().collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default()
    } else {
        body.to_owned()
    }
}

fn decode_qp(body: &str) -> String {
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 3 <= bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
