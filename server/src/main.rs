//! `gatehouse`: the web server, its command line, and its background work.

use clap::Parser;
use tracing_subscriber::EnvFilter;

use gatehouse_server::config::{Cli, Command};
use gatehouse_server::{commands, web};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // GATEHOUSE_LOG_FORMAT=json for log collectors; readable lines otherwise.
    if std::env::var("GATEHOUSE_LOG_FORMAT").as_deref() == Ok("json") {
        tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_env_filter(filter)
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    let cli = Cli::parse();
    if let Err(e) = cli.config.check() {
        eprintln!("gatehouse: {e}");
        return std::process::ExitCode::FAILURE;
    }
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => web::serve(&cli.config).await,
        Command::Migrate {
            app_role,
            operator_role,
        } => {
            let roles = [
                (commands::RoleKind::App, app_role),
                (commands::RoleKind::Operator, operator_role),
            ]
            .into_iter()
            .filter_map(|(kind, name)| {
                name.map(|name| commands::LoginRole::from_environment(kind, name))
            })
            .collect::<Result<Vec<_>, String>>();
            match roles {
                Ok(roles) => commands::migrate(&cli.config, &roles).await,
                Err(e) => Err(e),
            }
        }
        Command::SeedDemo => commands::seed(&cli.config).await,
        Command::CreateUser { namespace, email } => {
            commands::create_user(&cli.config, &namespace, &email, commands::Grant::None).await
        }
        Command::CreateAdmin {
            namespace,
            email,
            operator,
        } => {
            let grant = if operator {
                commands::Grant::Operator
            } else {
                commands::Grant::Admin
            };
            commands::create_user(&cli.config, &namespace, &email, grant).await
        }
        Command::SetSignUp { namespace, mode } => {
            commands::set_sign_up(&cli.config, &namespace, &mode).await
        }
        Command::SetConsoleMfa { namespace, mode } => {
            commands::set_mfa_requirement(
                &cli.config,
                &namespace,
                identity::roles::MfaDue::Console,
                &mode,
            )
            .await
        }
        Command::SetAccountMfa { namespace, mode } => {
            commands::set_mfa_requirement(
                &cli.config,
                &namespace,
                identity::roles::MfaDue::Account,
                &mode,
            )
            .await
        }
        Command::Account {
            namespace,
            email,
            action,
            reason,
        } => commands::account(&cli.config, &namespace, &email, &action, &reason).await,
        Command::Cleanup => commands::cleanup(&cli.config).await,
        Command::TokenKey { out, force } => commands::write_token_key(&out, force),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("gatehouse: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
