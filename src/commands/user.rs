//! `bankbox user ...`: manage users from the command line.

use std::io::BufRead;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::auth::Hasher;
use crate::bank::{Bank, NewUser};
use crate::cache::moka::MokaCache;
use crate::cli::{GlobalArgs, UserCommand};
use crate::domain::{Currency, Email, Password, Role, Username};

/// The password from BANKBOX_USER_PASSWORD, or the first line of standard input.
fn read_password() -> anyhow::Result<Password> {
    let raw = match std::env::var("BANKBOX_USER_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            line.trim_end_matches(['\n', '\r']).to_string()
        }
    };
    if raw.is_empty() {
        bail!("no password given: set BANKBOX_USER_PASSWORD or pipe it on standard input");
    }
    Ok(Password::parse(&raw)?)
}

pub async fn run(global: &GlobalArgs, cmd: UserCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_store(global).await?;
    // A private cache: this process serves nobody, it only needs the bank's logic.
    let cache = Arc::new(MokaCache::new(Duration::from_secs(60), 1 << 20));
    let bank = Bank::new(store, cache, Arc::new(Hasher::new(1)));
    match cmd {
        UserCommand::Create {
            username,
            email,
            admin,
            currency,
        } => {
            let new = NewUser {
                username: Username::parse(&username)?,
                email: Email::parse(&email)?,
                password: read_password()?,
                role: if admin { Role::Admin } else { Role::User },
            };
            let user = bank
                .create_user(new, Currency::parse(&currency)?)
                .await
                .with_context(|| format!("cannot create user {username}"))?;
            println!("created {} ({})", user.username, user.id);
        }
        UserCommand::List => {
            println!(
                "{:<36}  {:<24}  {:<6}  {:<8}  email",
                "id", "username", "role", "status"
            );
            for u in bank.store.users().await? {
                let role = if u.role == Role::Admin {
                    "admin"
                } else {
                    "user"
                };
                let status = if u.disabled { "disabled" } else { "active" };
                println!(
                    "{:<36}  {:<24}  {:<6}  {:<8}  {}",
                    u.id,
                    u.username,
                    role,
                    status,
                    u.email.as_str()
                );
            }
        }
        UserCommand::SetPassword { username } => {
            let user = bank
                .set_password(&Username::parse(&username)?, &read_password()?)
                .await
                .with_context(|| format!("user {username}"))?;
            println!("password of {} changed", user.username);
        }
        UserCommand::Disable { username, enable } => {
            let user = bank
                .set_disabled(&Username::parse(&username)?, !enable)
                .await
                .with_context(|| format!("user {username}"))?;
            println!(
                "{} is {}",
                user.username,
                if enable { "enabled" } else { "disabled" }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
