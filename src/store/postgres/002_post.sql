-- bankbox schema, version 2: a posting is one call to bankbox_post, one
-- statement and round trip instead of eight statements in five round trips,
-- and the accounts stay locked only while the server runs it. It relies on
-- READ COMMITTED (a locked row is read again once its lock is granted), which
-- bankbox sets on its connections.
--
-- The refusal rules restate domain::ledger::check_posting, in its order; the
-- store conformance tests post every refusal on both backends to keep the two
-- the same. Refusals are named as the Refusal enum serialises.

CREATE FUNCTION bankbox_post(
    p_entry UUID, p_kind TEXT, p_debit UUID, p_credit UUID, p_amount BIGINT,
    p_description TEXT, p_at BIGINT, p_by UUID,
    p_key_user UUID, p_key TEXT, p_fingerprint BYTEA, p_now BIGINT)
RETURNS TABLE (entry entries, outcome TEXT, refusal TEXT)
LANGUAGE plpgsql AS $$
DECLARE
    a accounts;
    d accounts;
    c accounts;
    d_after NUMERIC;
    c_after NUMERIC;
    stored idempotency;
    v_outcome TEXT := 'new';
    v_refusal TEXT;
    v_entry UUID;
BEGIN
    IF p_key IS NOT NULL THEN
        SELECT * INTO stored FROM idempotency i WHERE i.user_id = p_key_user AND i.key = p_key;
    END IF;
    IF stored.key IS NOT NULL THEN
        IF stored.fingerprint IS DISTINCT FROM p_fingerprint THEN
            v_outcome := 'reused';
        ELSE
            v_outcome := 'replayed';
            v_entry := stored.entry;
            v_refusal := stored.refusal;
        END IF;
    ELSE
        -- Locked in id order, so opposite transfers cannot deadlock.
        FOR a IN SELECT * FROM accounts WHERE id IN (p_debit, p_credit) ORDER BY id FOR NO KEY UPDATE LOOP
            IF a.id = p_debit THEN d := a; END IF;
            IF a.id = p_credit THEN c := a; END IF;
        END LOOP;
        d_after := d.balance::NUMERIC - p_amount;
        c_after := c.balance::NUMERIC + p_amount;
        v_refusal := CASE
            WHEN d.id IS NULL OR c.id IS NULL THEN 'AccountNotFound'
            WHEN d.id = c.id THEN 'SameAccount'
            WHEN d.closed OR c.closed THEN 'AccountClosed'
            WHEN d.frozen OR c.frozen THEN 'AccountFrozen'
            WHEN d.currency <> c.currency THEN 'CurrencyMismatch'
            WHEN d_after < -9223372036854775808 THEN 'BalanceOverflow'
            WHEN d_after < 0 AND d.kind <> 'system' THEN 'InsufficientFunds'
            WHEN c_after > 9223372036854775807 THEN 'BalanceOverflow'
        END;
        IF v_refusal IS NULL THEN
            UPDATE accounts SET balance = CASE WHEN id = d.id THEN d_after ELSE c_after END
            WHERE id IN (d.id, c.id);
            INSERT INTO entries (id, kind, amount, currency, description, created_at, created_by,
                debit, debit_number, debit_holder, debit_owner, debit_balance_after,
                credit, credit_number, credit_holder, credit_owner, credit_balance_after)
            VALUES (
                p_entry, p_kind, p_amount, d.currency, p_description, p_at, p_by,
                d.id, d.number, d.holder, d.owner, d_after,
                c.id, c.number, c.holder, c.owner, c_after);
            v_entry := p_entry;
        END IF;
        -- A concurrent first use of the same key fails here on the primary
        -- key, after that one commits, and the whole call rolls back: the
        -- caller then calls again and gets the stored outcome.
        IF p_key IS NOT NULL THEN
            INSERT INTO idempotency (user_id, key, fingerprint, entry, refusal, created_at)
            VALUES (p_key_user, p_key, p_fingerprint, v_entry, v_refusal, p_now);
        END IF;
    END IF;
    RETURN QUERY SELECT e, v_outcome, v_refusal FROM (SELECT) one LEFT JOIN entries e ON e.id = v_entry;
END
$$;
