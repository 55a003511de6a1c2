-- bankbox schema, version 1. The schema enforces what it can: foreign keys,
-- unique account numbers and usernames, positive amounts, non-negative
-- customer balances.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    username      TEXT NOT NULL,
    username_key  TEXT NOT NULL UNIQUE,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('user', 'admin')),
    created_at    BIGINT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    CHECK (username_key = lower(username))
);

CREATE TABLE accounts (
    id         UUID PRIMARY KEY,
    owner      UUID REFERENCES users (id),
    holder     TEXT NOT NULL,
    number     TEXT NOT NULL UNIQUE CHECK (number ~ '^[0-9]{12}$'),
    kind       TEXT NOT NULL CHECK (kind IN ('checking', 'savings', 'system')),
    currency   TEXT NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    balance    BIGINT NOT NULL,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    frozen     BOOLEAN NOT NULL DEFAULT FALSE,
    closed     BOOLEAN NOT NULL DEFAULT FALSE,
    CHECK ((kind = 'system') = (owner IS NULL)),
    CHECK (kind = 'system' OR balance >= 0),
    CHECK (NOT closed OR balance = 0)
);
CREATE INDEX accounts_owner ON accounts (owner);
CREATE UNIQUE INDEX accounts_one_system_per_currency ON accounts (currency) WHERE kind = 'system';

CREATE TABLE entries (
    id                   UUID PRIMARY KEY,
    kind                 TEXT NOT NULL CHECK (kind IN ('transfer', 'deposit', 'withdrawal')),
    amount               BIGINT NOT NULL CHECK (amount > 0),
    currency             TEXT NOT NULL,
    description          TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    created_by           UUID REFERENCES users (id),
    debit                UUID NOT NULL REFERENCES accounts (id),
    debit_number         TEXT NOT NULL,
    debit_holder         TEXT NOT NULL,
    debit_owner          UUID REFERENCES users (id),
    debit_balance_after  BIGINT NOT NULL,
    credit               UUID NOT NULL REFERENCES accounts (id),
    credit_number        TEXT NOT NULL,
    credit_holder        TEXT NOT NULL,
    credit_owner         UUID REFERENCES users (id),
    credit_balance_after BIGINT NOT NULL,
    CHECK (debit <> credit)
);
CREATE INDEX entries_debit ON entries (debit, id);
CREATE INDEX entries_credit ON entries (credit, id);

CREATE TABLE idempotency (
    user_id     UUID NOT NULL REFERENCES users (id),
    key         TEXT NOT NULL,
    fingerprint BYTEA NOT NULL,
    entry       UUID REFERENCES entries (id),
    refusal     TEXT,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_created ON idempotency (created_at);
