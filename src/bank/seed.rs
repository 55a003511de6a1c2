//! What a first start puts in an empty bank: demo customers with a few weeks of
//! history in development, only an admin in production.

use super::{Bank, BankError, NewUser};
use crate::domain::{
    Account, AccountKind, Amount, Currency, Email, EntryKind, Password, Posting, Role, User,
    Username,
};

/// Demo logins, shown on the login page and in the log in development.
pub const DEMO_LOGINS: &[(&str, &str); 3] = &[
    ("alice", "alice-demo-1"),
    ("bob", "bob-demo-1"),
    ("admin", "admin-demo-1"),
];

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Creates the admin user; returns the password when it was generated here.
pub async fn admin(
    bank: &Bank,
    password: Option<&str>,
    currency: Currency,
) -> Result<Option<String>, BankError> {
    let (password, generated) = match password {
        Some(p) => (p.to_string(), false),
        None => (hex::encode(rand::random::<[u8; 12]>()), true),
    };
    bank.create_user(
        NewUser {
            username: Username::parse("admin")?,
            email: Email::parse("admin@bankbox.local")?,
            password: Password::parse(&password)?,
            role: Role::Admin,
        },
        currency,
    )
    .await?;
    Ok(generated.then_some(password))
}

async fn customer(
    bank: &Bank,
    name: &str,
    password: &str,
    currency: Currency,
) -> Result<(User, Account), BankError> {
    let user = bank
        .create_user(
            NewUser {
                username: Username::parse(name)?,
                email: Email::parse(&format!("{name}@example.com"))?,
                password: Password::parse(password)?,
                role: Role::User,
            },
            currency,
        )
        .await?;
    let checking = bank.store.accounts_of(user.id).await?.remove(0);
    Ok((user, checking))
}

/// alice and bob with salaries, rent, savings and payments to each other over
/// the last five weeks, plus the demo admin.
pub async fn demo(bank: &Bank, currency: Currency) -> Result<(), BankError> {
    let [(alice_name, alice_pw), (bob_name, bob_pw), (_, admin_pw)] = *DEMO_LOGINS;
    admin(bank, Some(admin_pw), currency).await?;
    let (alice, a_chk) = customer(bank, alice_name, alice_pw, currency).await?;
    let (_, b_chk) = customer(bank, bob_name, bob_pw, currency).await?;
    let a_sav = bank
        .open_account(
            alice.id,
            "alice",
            AccountKind::Savings,
            currency,
            Some("Savings"),
        )
        .await?;
    let cash = bank.store.system_account(currency).await?;
    let start = crate::clock::now_millis() - 35 * DAY_MS;
    let moves: &[(i64, &Account, &Account, i64, &str, EntryKind)] = &[
        (0, &cash, &a_chk, 320_000, "Salary", EntryKind::Deposit),
        (0, &cash, &b_chk, 280_000, "Salary", EntryKind::Deposit),
        (1, &a_chk, &cash, 95_000, "Rent", EntryKind::Withdrawal),
        (
            2,
            &a_chk,
            &a_sav,
            50_000,
            "Monthly savings",
            EntryKind::Transfer,
        ),
        (3, &b_chk, &cash, 80_000, "Rent", EntryKind::Withdrawal),
        (
            5,
            &a_chk,
            &b_chk,
            4_250,
            "Dinner, thanks!",
            EntryKind::Transfer,
        ),
        (
            8,
            &b_chk,
            &a_chk,
            1_999,
            "Concert ticket",
            EntryKind::Transfer,
        ),
        (
            12,
            &a_chk,
            &cash,
            12_000,
            "Cash withdrawal",
            EntryKind::Withdrawal,
        ),
        (
            15,
            &b_chk,
            &a_chk,
            6_000,
            "Groceries split",
            EntryKind::Transfer,
        ),
        (
            20,
            &a_chk,
            &b_chk,
            15_000,
            "Weekend trip",
            EntryKind::Transfer,
        ),
        (30, &cash, &a_chk, 320_000, "Salary", EntryKind::Deposit),
        (30, &cash, &b_chk, 280_000, "Salary", EntryKind::Deposit),
        (31, &a_chk, &cash, 95_000, "Rent", EntryKind::Withdrawal),
        (
            32,
            &a_chk,
            &a_sav,
            50_000,
            "Monthly savings",
            EntryKind::Transfer,
        ),
        (
            33,
            &b_chk,
            &a_chk,
            2_500,
            "Coffee beans",
            EntryKind::Transfer,
        ),
    ];
    for (i, (day, from, to, amount, what, kind)) in moves.iter().enumerate() {
        let posting = Posting {
            kind: *kind,
            debit: from.id,
            credit: to.id,
            amount: Amount::new(*amount)?,
            description: (*what).to_string(),
            created_by: None,
            at: Some(start + day * DAY_MS + i as i64 * 60_000),
        };
        if let Err(refusal) = bank.store.post(posting, None).await?.result {
            return Err(crate::store::StoreError::Corrupt(format!(
                "demo posting refused: {refusal}"
            ))
            .into());
        }
    }
    Ok(())
}
