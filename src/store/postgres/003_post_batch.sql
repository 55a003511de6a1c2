-- bankbox schema, version 3: postings grouped into one call, one transaction
-- and one commit. bankbox_post_batch takes one array per bankbox_post
-- argument, element i being posting i, and returns bankbox_post's row for
-- each, numbered n from 1, in order.
--
-- Posting i sees postings 1 to i-1, as if posted one by one: both functions
-- are VOLATILE, so under READ COMMITTED each statement in them takes a new
-- snapshot, which includes the transaction's own earlier writes.
--
-- Every account of the batch is locked first, in id order, so two batches,
-- or a batch and a single posting, cannot deadlock on accounts.

CREATE FUNCTION bankbox_post_batch(
    p_entry UUID[], p_kind TEXT[], p_debit UUID[], p_credit UUID[], p_amount BIGINT[],
    p_description TEXT[], p_at BIGINT[], p_by UUID[],
    p_key_user UUID[], p_key TEXT[], p_fingerprint BYTEA[], p_now BIGINT)
RETURNS TABLE (n INT, entry entries, outcome TEXT, refusal TEXT)
LANGUAGE plpgsql AS $$
BEGIN
    -- A lone posting locks its two accounts itself, in the same order.
    IF cardinality(p_entry) > 1 THEN
        PERFORM 1 FROM accounts WHERE id = ANY (p_debit || p_credit) ORDER BY id FOR NO KEY UPDATE;
    END IF;
    FOR i IN 1 .. cardinality(p_entry) LOOP
        RETURN QUERY SELECT i, p.* FROM bankbox_post(
            p_entry[i], p_kind[i], p_debit[i], p_credit[i], p_amount[i],
            p_description[i], p_at[i], p_by[i],
            p_key_user[i], p_key[i], p_fingerprint[i], p_now) p;
    END LOOP;
END
$$;
