//! `gatehouse`: the web server, its command line, and its background work.

mod config;
mod demo;
mod security;
mod web;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::config::{Cli, Command};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => web::serve(&cli.config).await,
        Command::Migrate => demo::migrate(&cli.config).await,
        Command::SeedDemo => demo::seed(&cli.config).await,
        Command::CreateUser { namespace, email } => {
            demo::create_user(&cli.config, &namespace, &email).await
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("gatehouse: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
