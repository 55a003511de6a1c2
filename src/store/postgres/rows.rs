//! Rows to domain values and back. Text columns are parsed with the same
//! validating constructors as input, so a bad row is reported, not trusted.

use std::sync::LazyLock;

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::pg;
use crate::domain::{
    Account, AccountId, AccountKind, AccountNumber, Amount, Currency, Email, Entry, EntryId,
    EntryKind, Refusal, Role, Side, User, UserId, Username,
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

/// Inserts entry rows as they are, all in one statement.
pub async fn insert_entries<'a>(
    client: &impl GenericClient,
    entries: impl Iterator<Item = &'a Entry> + Clone,
) -> Result<(), StoreError> {
    let insert = client.prepare_cached(&INSERT_ENTRIES).await.map_err(pg)?;
    client
        .execute(&insert, &EntryColumns::of(entries).params())
        .await
        .map_err(pg)?;
    Ok(())
}

/// Takes one array per entry column, element i being entry i.
pub static INSERT_ENTRIES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO entries ({ENTRY_COLUMNS}) SELECT * FROM unnest(\
         $1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::uuid[], \
         $8::uuid[], $9::text[], $10::text[], $11::uuid[], $12::bigint[], \
         $13::uuid[], $14::text[], $15::text[], $16::uuid[], $17::bigint[])"
    )
});

/// Entries as the arrays `INSERT_ENTRIES` takes.
pub struct EntryColumns<'a> {
    id: Vec<Uuid>,
    kind: Vec<&'static str>,
    amount: Vec<i64>,
    currency: Vec<&'a str>,
    description: Vec<&'a str>,
    created_at: Vec<i64>,
    created_by: Vec<Option<Uuid>>,
    sides: [SideColumns<'a>; 2],
}

#[derive(Default)]
struct SideColumns<'a> {
    account: Vec<Uuid>,
    number: Vec<&'a str>,
    holder: Vec<&'a str>,
    owner: Vec<Option<Uuid>>,
    balance_after: Vec<i64>,
}

impl<'a> SideColumns<'a> {
    fn of(entries: impl Iterator<Item = &'a Entry>, side: fn(&Entry) -> &Side) -> Self {
        let mut c = Self::default();
        for s in entries.map(side) {
            c.account.push(s.account.0);
            c.number.push(s.number.as_str());
            c.holder.push(&s.holder);
            c.owner.push(s.owner.map(|u| u.0));
            c.balance_after.push(s.balance_after);
        }
        c
    }
}

impl<'a> EntryColumns<'a> {
    pub fn of(entries: impl Iterator<Item = &'a Entry> + Clone) -> Self {
        Self {
            id: entries.clone().map(|e| e.id.0).collect(),
            kind: entries.clone().map(|e| kind_str(e.kind)).collect(),
            amount: entries.clone().map(|e| e.amount.minor()).collect(),
            currency: entries.clone().map(|e| e.currency.code()).collect(),
            description: entries.clone().map(|e| e.description.as_str()).collect(),
            created_at: entries.clone().map(|e| e.created_at).collect(),
            created_by: entries.clone().map(|e| e.created_by.map(|u| u.0)).collect(),
            sides: [
                SideColumns::of(entries.clone(), |e| &e.debit),
                SideColumns::of(entries, |e| &e.credit),
            ],
        }
    }

    pub fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        let mut p: Vec<&(dyn ToSql + Sync)> = vec![
            &self.id,
            &self.kind,
            &self.amount,
            &self.currency,
            &self.description,
            &self.created_at,
            &self.created_by,
        ];
        for s in &self.sides {
            p.extend([
                &s.account as &(dyn ToSql + Sync),
                &s.number,
                &s.holder,
                &s.owner,
                &s.balance_after,
            ]);
        }
        p
    }
}

/// A refusal as stored: its name in the `Refusal` enum.
pub fn refusal_str(r: Refusal) -> String {
    match serde_json::to_value(r) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{r:?}"),
    }
}

pub fn parse_refusal(s: &str) -> Result<Refusal, StoreError> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| StoreError::Corrupt(format!("unknown stored refusal {s:?}")))
}
