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
    /// Apply the database migrations.
    Migrate,
    /// Create the demo namespace and its users (idempotent).
    SeedDemo,
    /// Create a user; the password is read from standard input, never from the command line.
    CreateUser {
        #[arg(long)]
        namespace: String,
        #[arg(long)]
        email: String,
    },
}

#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// PostgreSQL URL of the application database.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
    /// The URL people reach the console at; decides cookie security and the allowed origin.
    #[arg(
        long,
        env = "GATEHOUSE_BASE_URL",
        default_value = "http://127.0.0.1:3000"
    )]
    pub base_url: String,
    /// Namespace of `/` for single-tenant installs.
    #[arg(long, env = "GATEHOUSE_DEFAULT_NAMESPACE", default_value = "demo")]
    pub default_namespace: String,
    /// Session lifetime in hours.
    #[arg(long, env = "GATEHOUSE_SESSION_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=720))]
    pub session_hours: u32,
    /// Failed sign-ins that lock an e-mail address...
    #[arg(long, env = "GATEHOUSE_LOCKOUT_THRESHOLD", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub lockout_threshold: u32,
    /// ...within this many minutes.
    #[arg(long, env = "GATEHOUSE_LOCKOUT_WINDOW_MINUTES", default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub lockout_window_minutes: u32,
}

impl Config {
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

    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(base_url: &str) -> Config {
        Config {
            database_url: String::new(),
            base_url: base_url.into(),
            default_namespace: "demo".into(),
            session_hours: 12,
            lockout_threshold: 5,
            lockout_window_minutes: 15,
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
}
