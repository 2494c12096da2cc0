//! Configuration from flags and environment variables, checked before anything starts.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "gatehouse", about = "Gatehouse identity console")]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (the default).
    Serve,
    /// Apply the database migrations (as a superuser). With --app-role, also create or update
    /// the login role the server connects as: no superuser, no BYPASSRLS, granted `authn_app`,
    /// so row-level security applies to it. With --operator-role, likewise the login role of
    /// the server's small operator pool, granted `authn_operator` only. Passwords come from
    /// GATEHOUSE_APP_ROLE_PASSWORD and GATEHOUSE_OPERATOR_ROLE_PASSWORD, or else from a line
    /// of standard input each (app role first); never from the command line.
    Migrate {
        #[arg(long)]
        app_role: Option<String>,
        #[arg(long)]
        operator_role: Option<String>,
    },
    /// Create the demo namespace and its users (idempotent).
    SeedDemo,
    /// Create a user with a confirmed address; the password is read from standard input,
    /// never from the command line.
    CreateUser {
        #[arg(long)]
        namespace: String,
        #[arg(long)]
        email: String,
    },
    /// Set whether people can sign up by themselves in a namespace.
    SetSignUp {
        #[arg(long)]
        namespace: String,
        #[arg(long, value_parser = ["open", "invite-only"])]
        mode: String,
    },
    /// Create an admin of a namespace, or with --operator a platform operator (a user of the
    /// operator namespace); the password is read from standard input.
    CreateAdmin {
        #[arg(long)]
        namespace: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        operator: bool,
    },
    /// Set whether a namespace's admins (and, in the operator namespace, its operators) must
    /// have two-step verification to use the console (required unless turned off).
    SetConsoleMfa {
        #[arg(long)]
        namespace: String,
        #[arg(long, value_parser = ["required", "optional"])]
        mode: String,
    },
    /// Set whether every account of a namespace must have two-step verification (optional
    /// unless turned on). Only such a namespace takes passwords shorter than 12 characters,
    /// when GATEHOUSE_PASSWORD_MIN_CHARS allows them.
    SetAccountMfa {
        #[arg(long)]
        namespace: String,
        #[arg(long, value_parser = ["required", "optional"])]
        mode: String,
    },
    /// What the console refuses to do to admins and operators: disable, enable, unlock,
    /// remove every two-step method of, or delete an account. Audited with the reason, as
    /// the command line.
    Account {
        #[arg(long)]
        namespace: String,
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ["disable", "enable", "unlock", "reset-methods", "delete"])]
        action: String,
        /// Why (10–500 characters), recorded in the audit log.
        #[arg(long)]
        reason: String,
    },
    /// Remove expired sessions, tokens and keys of every namespace, delivered mail older than
    /// 30 days, and create the coming audit partitions (the server also does this hourly).
    Cleanup,
    /// Write a new Ed25519 key for signing the API's access tokens to FILE (created with mode
    /// 0600; an existing file is left alone unless --force). Point GATEHOUSE_TOKEN_KEY_FILE at
    /// it; to rotate, move the old file to GATEHOUSE_TOKEN_PREVIOUS_KEY_FILE first.
    TokenKey {
        #[arg(long)]
        out: std::path::PathBuf,
        #[arg(long)]
        force: bool,
    },
}

#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// PostgreSQL URL of the application database.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
    /// PostgreSQL URL of the same database as the operator login role (`migrate
    /// --operator-role`): the only connection that may run the core's operator functions.
    /// Unset: support access across namespaces is off.
    #[arg(long, env = "GATEHOUSE_OPERATOR_DATABASE_URL", hide_env_values = true)]
    pub operator_database_url: Option<String>,
    /// The URL people reach the console at; decides cookie security and the allowed origin.
    #[arg(
        long,
        env = "GATEHOUSE_BASE_URL",
        default_value = "http://localhost:3000"
    )]
    pub base_url: String,
    /// Address the server listens on (defaults to LEPTOS_SITE_ADDR, then 127.0.0.1:3000).
    #[arg(long, env = "GATEHOUSE_BIND")]
    pub bind: Option<std::net::SocketAddr>,
    /// Namespace of `/` for single-tenant installs.
    #[arg(long, env = "GATEHOUSE_DEFAULT_NAMESPACE", default_value = "demo")]
    pub default_namespace: String,
    /// Namespace whose users can be platform operators.
    #[arg(long, env = "GATEHOUSE_OPERATOR_NAMESPACE", default_value = "platform")]
    pub operator_namespace: String,
    /// SMTP relay for outgoing mail, e.g. smtp://127.0.0.1:25 or
    /// smtps://user:pass@mail.example.com:465. Unset: mail waits in the outbox (and shows in
    /// the developer mailbox in dev mode).
    #[arg(long, env = "GATEHOUSE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of outgoing mail.
    #[arg(
        long,
        env = "GATEHOUSE_MAIL_FROM",
        default_value = "Gatehouse <no-reply@gatehouse.localhost>"
    )]
    pub mail_from: String,
    /// Development mode: the developer mailbox page lists sent mail with its links. Never in
    /// production.
    #[arg(long, env = "GATEHOUSE_DEV_MODE", default_value_t = false)]
    pub dev_mode: bool,
    /// Key for encrypting MFA secrets at rest: 32 bytes as 64 hex characters. Required
    /// outside dev mode.
    #[arg(long, env = "GATEHOUSE_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Session lifetime in hours.
    #[arg(long, env = "GATEHOUSE_SESSION_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=720))]
    pub session_hours: u32,
    /// Minutes without activity after which a session ends (within the lifetime above).
    #[arg(long, env = "GATEHOUSE_SESSION_IDLE_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(u32).range(5..=43200))]
    pub session_idle_minutes: u32,
    /// Failed sign-ins that lock an e-mail address...
    #[arg(long, env = "GATEHOUSE_LOCKOUT_THRESHOLD", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub lockout_threshold: u32,
    /// ...within this many minutes.
    #[arg(long, env = "GATEHOUSE_LOCKOUT_WINDOW_MINUTES", default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub lockout_window_minutes: u32,
    /// Address of the Prometheus `/metrics` listener (e.g. `127.0.0.1:9464`); unset: no metrics.
    /// Keep it off the public network: it tells how the service is used.
    #[arg(long, env = "GATEHOUSE_METRICS_BIND")]
    pub metrics_bind: Option<std::net::SocketAddr>,
    /// On SIGTERM, the longest the server waits for in-flight requests before it exits.
    #[arg(long, env = "GATEHOUSE_SHUTDOWN_GRACE_SECONDS", default_value_t = 20, value_parser = clap::value_parser!(u32).range(0..=600))]
    pub shutdown_grace_seconds: u32,
    /// Multiplies the per-client request limits of sign-in, sign-up, reset and sign-in links
    /// (raise it when many people share one address).
    #[arg(long, env = "GATEHOUSE_RATE_LIMIT_SCALE", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub rate_limit_scale: u32,
    /// Minutes after signing in or confirming the password during which sensitive changes
    /// (password, e-mail, MFA, API keys) need no new confirmation.
    #[arg(long, env = "GATEHOUSE_SUDO_MINUTES", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=120))]
    pub sudo_minutes: u32,
    /// The shortest password accepted (NIST 800-63B: 8 at the very least; 12 recommended).
    #[arg(long, env = "GATEHOUSE_PASSWORD_MIN_CHARS", default_value_t = 12, value_parser = clap::value_parser!(u16).range(8..=64))]
    pub password_min_chars: u16,
    /// The lowest strength-meter score (zxcvbn, 0–4) a new password needs; 3 is "safely
    /// unguessable". What the meter calls weak is refused with the meter's own advice.
    #[arg(long, env = "GATEHOUSE_PASSWORD_MIN_SCORE", default_value_t = 3, value_parser = clap::value_parser!(u8).range(0..=4))]
    pub password_min_score: u8,
    /// The longest impersonation an admin may start, in minutes (at most 60; the default
    /// duration offered is 15 minutes, or this if shorter).
    #[arg(long, env = "GATEHOUSE_IMPERSONATION_MAX_MINUTES", default_value_t = 60, value_parser = clap::value_parser!(u16).range(1..=60))]
    pub impersonation_max_minutes: u16,
    /// The form of a support ticket reference an operator must give to reach a customer's
    /// account (a regular expression, matched as written: anchor it).
    #[arg(long, env = "GATEHOUSE_TICKET_PATTERN", default_value = identity::support_access::SupportPolicy::DEFAULT_TICKET_PATTERN)]
    pub ticket_pattern: String,
    /// The longest support access an operator may start, in minutes (at most 240, the core's
    /// cap; the default offered is 30 minutes, or this if shorter).
    #[arg(long, env = "GATEHOUSE_SUPPORT_ACCESS_MAX_MINUTES", default_value_t = 240, value_parser = clap::value_parser!(u16).range(1..=240))]
    pub support_access_max_minutes: u16,
    /// The file holding the Ed25519 private key (PKCS#8, as `gatehouse token-key` writes it)
    /// that signs the API's access tokens. Unset: the token API is off.
    #[arg(long, env = "GATEHOUSE_TOKEN_KEY_FILE")]
    pub token_key_file: Option<std::path::PathBuf>,
    /// The previous signing key's file after a rotation: tokens it signed are still accepted
    /// (and its public key published) until they expire.
    #[arg(long, env = "GATEHOUSE_TOKEN_PREVIOUS_KEY_FILE")]
    pub token_previous_key_file: Option<std::path::PathBuf>,
    /// How long an API access token is valid, in minutes (at most 60: a relying party that only
    /// checks the signature honours it until then, whatever happened to its session).
    #[arg(long, env = "GATEHOUSE_ACCESS_TOKEN_MINUTES", default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=60))]
    pub access_token_minutes: u32,
    /// How long an API refresh token (and the API session) is valid, in hours.
    #[arg(long, env = "GATEHOUSE_REFRESH_TOKEN_HOURS", default_value_t = 168, value_parser = clap::value_parser!(u32).range(1..=2160))]
    pub refresh_token_hours: u32,
    /// Browser origins allowed to call the JSON API (`https://app.example.com`, comma-separated).
    /// Empty: none — a page on another origin gets nothing from the API.
    #[arg(long, env = "GATEHOUSE_CORS_ORIGINS", default_value = "")]
    pub cors_origins: String,
    /// Reverse proxies whose `X-Forwarded-For` and `X-Request-Id` are believed: addresses or
    /// networks, comma-separated (e.g. `10.0.0.0/8,::1`). Empty: the TCP peer is the client
    /// and every request id is made here.
    #[arg(long, env = "GATEHOUSE_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
}

impl Config {
    /// The CORS allow-list, each entry an exact origin (`scheme://host[:port]`, no path, no
    /// wildcard): a bad entry stops the server.
    pub fn cors_origins(&self) -> Result<Vec<http::HeaderValue>, String> {
        self.cors_origins
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|origin| {
                let host = origin
                    .strip_prefix("https://")
                    .or_else(|| origin.strip_prefix("http://"));
                if !host.is_some_and(|h| !h.is_empty() && !h.contains(['/', '*', '?', '#', ' '])) {
                    return Err(format!(
                        "GATEHOUSE_CORS_ORIGINS: {origin} is not an origin like https://app.example.com"
                    ));
                }
                http::HeaderValue::from_str(origin)
                    .map_err(|_| format!("GATEHOUSE_CORS_ORIGINS: {origin} is not a valid header value"))
            })
            .collect()
    }

    /// The base URL's origin (`scheme://host[:port]`), which state-changing requests must
    /// come from.
    pub fn origin(&self) -> Result<String, String> {
        let url = self.base_url.trim_end_matches('/');
        let (scheme, rest) = url.split_once("://").ok_or_else(|| {
            format!("GATEHOUSE_BASE_URL must start with http:// or https:// (got {url})")
        })?;
        if scheme != "http" && scheme != "https" {
            return Err(format!(
                "GATEHOUSE_BASE_URL must be http or https (got {scheme})"
            ));
        }
        let host = rest.split('/').next().unwrap_or_default();
        if host.is_empty() {
            return Err("GATEHOUSE_BASE_URL has no host".into());
        }
        Ok(format!("{scheme}://{host}"))
    }

    /// The key MFA secrets are sealed with. In dev mode without a configured key, a key for
    /// this process only (secrets enrolled with it stop opening at restart; `scripts/run`
    /// keeps one in `.data/` instead).
    pub fn secret_box(&self) -> Result<identity::SecretBox, String> {
        match &self.secret_key {
            Some(key) => identity::SecretBox::from_hex(key).map_err(|e| format!("GATEHOUSE_SECRET_KEY: {e}")),
            None if self.dev_mode => {
                tracing::warn!("no GATEHOUSE_SECRET_KEY: MFA secrets enrolled now will not open after a restart");
                let key: [u8; 32] = rand::random();
                identity::SecretBox::from_hex(&hex::encode(key)).map_err(|e| e.to_string())
            }
            None => Err("GATEHOUSE_SECRET_KEY is required outside dev mode; make one with: openssl rand -hex 32".into()),
        }
    }

    pub fn password_policy(&self) -> identity::PasswordPolicy {
        identity::PasswordPolicy {
            min_chars: self.password_min_chars.into(),
            min_score: self.password_min_score,
            ..identity::PasswordPolicy::default()
        }
    }

    /// The reverse proxies to believe; the error names the entry that is wrong.
    pub fn trusted_proxies(&self) -> Result<crate::client_address::TrustedProxies, String> {
        crate::client_address::TrustedProxies::parse(&self.trusted_proxies)
            .map_err(|e| format!("GATEHOUSE_TRUSTED_PROXIES: {e}"))
    }

    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// The SMTP URL, if one is set (an empty value, as compose files pass, counts as unset).
    pub fn smtp_url(&self) -> Option<&str> {
        self.smtp_url
            .as_deref()
            .filter(|url| !url.trim().is_empty())
    }

    /// Checks the settings every command reads or passes on (the base URL goes into mail
    /// links, the relay into the outbox), so that a malformed one stops any command before it
    /// changes something.
    pub fn check(&self) -> Result<(), String> {
        self.origin()?;
        self.trusted_proxies()?;
        if let Some(url) = self.smtp_url() {
            identity::MailDelivery::check_url(url, &self.mail_from)
                .map_err(|e| format!("GATEHOUSE_SMTP_URL / GATEHOUSE_MAIL_FROM: {e}"))?;
        }
        Ok(())
    }

    /// Checks what `serve` needs, with messages that say how to fix it.
    pub fn check_for_serving(&self) -> Result<(), String> {
        self.check()?;
        match (&self.secret_key, self.dev_mode) {
            (Some(key), _) => {
                let ok = key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit());
                if !ok {
                    return Err(
                        "GATEHOUSE_SECRET_KEY must be 64 hex characters (32 bytes); \
                                make one with: openssl rand -hex 32"
                            .into(),
                    );
                }
            }
            (None, true) => {}
            (None, false) => {
                return Err(
                    "GATEHOUSE_SECRET_KEY is required outside dev mode; make one with: \
                            openssl rand -hex 32"
                        .into(),
                )
            }
        }
        if self.dev_mode && self.is_https() {
            return Err(
                "GATEHOUSE_DEV_MODE is for local development only: it shows every mail at \
                 /dev/mailbox, so it refuses an https GATEHOUSE_BASE_URL. Turn dev mode off."
                    .into(),
            );
        }
        if !self.dev_mode && self.smtp_url().is_none() {
            return Err(
                "GATEHOUSE_SMTP_URL is required outside dev mode: sign-up, reset and sign-in \
                 links would never reach anyone (e.g. smtp://user:pass@mail.example.com:587?tls=required)"
                    .into(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(base_url: &str) -> Config {
        Config {
            database_url: String::new(),
            operator_database_url: None,
            base_url: base_url.into(),
            bind: None,
            default_namespace: "demo".into(),
            operator_namespace: "platform".into(),
            smtp_url: None,
            mail_from: "no-reply@example.com".into(),
            dev_mode: false,
            secret_key: None,
            session_hours: 12,
            session_idle_minutes: 30,
            lockout_threshold: 5,
            rate_limit_scale: 1,
            lockout_window_minutes: 15,
            shutdown_grace_seconds: 20,
            metrics_bind: None,
            sudo_minutes: 10,
            password_min_chars: 12,
            password_min_score: 3,
            impersonation_max_minutes: 60,
            ticket_pattern: identity::support_access::SupportPolicy::DEFAULT_TICKET_PATTERN.into(),
            support_access_max_minutes: 240,
            cors_origins: String::new(),
            token_key_file: None,
            token_previous_key_file: None,
            access_token_minutes: 15,
            refresh_token_hours: 168,
            trusted_proxies: String::new(),
        }
    }

    #[test]
    fn cors_origins_are_exact_origins() {
        let mut c = config("http://127.0.0.1:3000");
        assert!(c.cors_origins().unwrap().is_empty());
        c.cors_origins = " https://app.example.com, http://localhost:5173 ".into();
        assert_eq!(c.cors_origins().unwrap().len(), 2);
        for bad in [
            "*",
            "https://*.example.com",
            "app.example.com",
            "https://a.example/path",
            "ftp://a",
        ] {
            c.cors_origins = bad.into();
            assert!(c.cors_origins().is_err(), "{bad}");
        }
    }

    #[test]
    fn origin_is_scheme_and_host_of_the_base_url() {
        assert_eq!(
            config("https://id.example.com/console/").origin().unwrap(),
            "https://id.example.com"
        );
        assert_eq!(
            config("http://127.0.0.1:3000").origin().unwrap(),
            "http://127.0.0.1:3000"
        );
        assert!(config("ftp://x").origin().is_err());
        assert!(config("example.com").origin().is_err());
        assert!(config("https://id.example.com").is_https());
    }

    #[test]
    fn serving_needs_a_well_formed_secret_key_outside_dev_mode() {
        let mut c = config("http://127.0.0.1:3000");
        c.smtp_url = Some("smtp://127.0.0.1:2525".into());
        assert!(c.check_for_serving().is_err());
        c.dev_mode = true;
        assert!(c.check_for_serving().is_ok());
        c.secret_key = Some("abc".into());
        assert!(c.check_for_serving().is_err());
        c.secret_key = Some("ab".repeat(32));
        c.dev_mode = false;
        assert!(c.check_for_serving().is_ok());
        c.smtp_url = Some("nonsense".into());
        assert!(c.check_for_serving().is_err());
    }

    /// Issue 10.9: the defaults are ASVS Level 2's: sessions end after 30 idle minutes, and
    /// the password policy asks for 12 characters and a "good" strength score.
    #[test]
    fn defaults_are_those_of_asvs_level_2() {
        let cli = Cli::parse_from(["gatehouse", "--database-url", "postgres://x/y"]);
        assert_eq!(cli.config.session_idle_minutes, 30);
        assert_eq!(cli.config.session_hours, 12);
        let policy = cli.config.password_policy();
        assert_eq!((policy.min_chars, policy.min_score), (12, 3));
        assert!(Cli::try_parse_from([
            "gatehouse",
            "--database-url",
            "postgres://x/y",
            "--password-min-score",
            "5"
        ])
        .is_err());
    }

    /// Issue 10.7: outside dev mode mail must have somewhere to go, and dev mode (which shows
    /// every mail at /dev/mailbox) never runs behind https.
    #[test]
    fn serving_needs_smtp_outside_dev_mode_and_refuses_dev_mode_over_https() {
        let mut c = config("http://127.0.0.1:3000");
        c.secret_key = Some("ab".repeat(32));
        let err = c.check_for_serving().unwrap_err();
        assert!(err.contains("GATEHOUSE_SMTP_URL"), "{err}");
        c.smtp_url = Some(String::new());
        assert!(c.check_for_serving().is_err(), "empty means unset");
        c.dev_mode = true;
        assert!(
            c.check_for_serving().is_ok(),
            "dev mode keeps mail in the outbox"
        );
        let mut https = config("https://id.example.com");
        https.secret_key = Some("ab".repeat(32));
        https.smtp_url = Some("smtp://127.0.0.1:2525".into());
        assert!(https.check_for_serving().is_ok());
        https.dev_mode = true;
        let err = https.check_for_serving().unwrap_err();
        assert!(err.contains("GATEHOUSE_DEV_MODE"), "{err}");
    }

    #[test]
    fn serving_refuses_a_trusted_proxy_entry_it_cannot_read_and_names_it() {
        let mut c = config("http://127.0.0.1:3000");
        c.secret_key = Some("ab".repeat(32));
        c.smtp_url = Some("smtp://127.0.0.1:2525".into());
        c.trusted_proxies = "10.0.0.0/8, ::1".into();
        assert!(c.check_for_serving().is_ok());
        c.trusted_proxies = "10.0.0.0/8, 10.0.0.256".into();
        let err = c.check_for_serving().unwrap_err();
        assert!(
            err.contains("GATEHOUSE_TRUSTED_PROXIES") && err.contains("`10.0.0.256`"),
            "{err}"
        );
    }
}
