//! Rows to domain values and back. Text columns are parsed with the same
//! validating constructors as input, so a bad row is reported, not trusted.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

use super::pg;
use crate::domain::{
    Account, AccountId, AccountKind, AccountNumber, Amount, Currency, Email, Entry, EntryId,
    EntryKind, Role, Side, User, UserId, Username,
};
use crate::store::StoreError;

pub const USER_COLUMNS: &str = "id, username, email, password_hash, role, created_at, disabled";
pub const ACCOUNT_COLUMNS: &str =
    "id, owner, holder, number, kind, currency, balance, name, created_at, frozen, closed";
pub const ENTRY_COLUMNS: &str = "id, kind, amount, currency, description, created_at, created_by, \
     debit, debit_number, debit_holder, debit_owner, debit_balance_after, \
     credit, credit_number, credit_holder, credit_owner, credit_balance_after";

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

pub fn role_str(r: Role) -> &'static str {
    match r {
        Role::User => "user",
        Role::Admin => "admin",
    }
}

pub fn kind_str(k: EntryKind) -> &'static str {
    match k {
        EntryKind::Transfer => "transfer",
        EntryKind::Deposit => "deposit",
        EntryKind::Withdrawal => "withdrawal",
    }
}

pub fn user(row: &Row) -> Result<User, StoreError> {
    Ok(User {
        id: UserId(row.get(0)),
        username: Username::parse(row.get(1)).map_err(|e| corrupt("username", e))?,
        email: Email::parse(row.get(2)).map_err(|e| corrupt("email", e))?,
        password_hash: row.get(3),
        role: match row.get::<_, &str>(4) {
            "admin" => Role::Admin,
            "user" => Role::User,
            other => return Err(corrupt("role", other)),
        },
        created_at: row.get(5),
        disabled: row.get(6),
    })
}

pub fn account(row: &Row) -> Result<Account, StoreError> {
    Ok(Account {
        id: AccountId(row.get(0)),
        owner: row.get::<_, Option<Uuid>>(1).map(UserId),
        holder: row.get(2),
        number: AccountNumber::parse(row.get(3)).map_err(|e| corrupt("account number", e))?,
        kind: match row.get::<_, &str>(4) {
            "checking" => AccountKind::Checking,
            "savings" => AccountKind::Savings,
            "system" => AccountKind::System,
            other => return Err(corrupt("account kind", other)),
        },
        currency: Currency::parse(row.get(5)).map_err(|e| corrupt("currency", e))?,
        balance: row.get(6),
        name: row.get(7),
        created_at: row.get(8),
        frozen: row.get(9),
        closed: row.get(10),
    })
}

fn side(row: &Row, at: usize) -> Result<Side, StoreError> {
    Ok(Side {
        account: AccountId(row.get(at)),
        number: AccountNumber::parse(row.get(at + 1)).map_err(|e| corrupt("account number", e))?,
        holder: row.get(at + 2),
        owner: row.get::<_, Option<Uuid>>(at + 3).map(UserId),
        balance_after: row.get(at + 4),
    })
}

pub fn entry(row: &Row) -> Result<Entry, StoreError> {
    Ok(Entry {
        id: EntryId(row.get(0)),
        kind: match row.get::<_, &str>(1) {
            "transfer" => EntryKind::Transfer,
            "deposit" => EntryKind::Deposit,
            "withdrawal" => EntryKind::Withdrawal,
            other => return Err(corrupt("entry kind", other)),
        },
        amount: Amount::new(row.get(2)).map_err(|e| corrupt("amount", e))?,
        currency: Currency::parse(row.get(3)).map_err(|e| corrupt("currency", e))?,
        description: row.get(4),
        created_at: row.get(5),
        created_by: row.get::<_, Option<Uuid>>(6).map(UserId),
        debit: side(row, 7)?,
        credit: side(row, 12)?,
    })
}

pub async fn insert_account(client: &impl GenericClient, a: &Account) -> Result<u64, StoreError> {
    let sql = format!(
        "INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT DO NOTHING"
    );
    let owner = a.owner.map(|o| o.0);
    let n = client
        .execute(
            &sql,
            &[
                &a.id.0,
                &owner,
                &a.holder,
                &a.number.as_str(),
                &a.kind.as_str(),
                &a.currency.code(),
                &a.balance,
                &a.name,
                &a.created_at,
                &a.frozen,
                &a.closed,
            ],
        )
        .await
        .map_err(pg)?;
    Ok(n)
}

pub async fn insert_user(client: &impl GenericClient, u: &User) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO users ({USER_COLUMNS}, username_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    );
    client
        .execute(
            &sql,
            &[
                &u.id.0,
                &u.username.as_str(),
                &u.email.as_str(),
                &u.password_hash,
                &role_str(u.role),
                &u.created_at,
                &u.disabled,
                &u.username.key(),
            ],
        )
        .await
        .map_err(pg)?;
    Ok(())
}

/// Inserts an entry row as it is.
pub async fn insert_entry(txn: &impl GenericClient, e: &Entry) -> Result<(), StoreError> {
    let insert = txn
        .prepare_cached(&format!(
            "INSERT INTO entries ({ENTRY_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        ))
        .await
        .map_err(pg)?;
    let (d, c) = (&e.debit, &e.credit);
    txn.execute(
        &insert,
        &[
            &e.id.0,
            &kind_str(e.kind),
            &e.amount.minor(),
            &e.currency.code(),
            &e.description,
            &e.created_at,
            &e.created_by.map(|u| u.0),
            &d.account.0,
            &d.number.as_str(),
            &d.holder,
            &d.owner.map(|u| u.0),
            &d.balance_after,
            &c.account.0,
            &c.number.as_str(),
            &c.holder,
            &c.owner.map(|u| u.0),
            &c.balance_after,
        ],
    )
    .await
    .map_err(pg)?;
    Ok(())
}
