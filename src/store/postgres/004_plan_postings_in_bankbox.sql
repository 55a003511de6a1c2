-- bankbox schema, version 4: bankbox plans a batch of postings itself, with
-- the rule the embedded store applies (domain::ledger::enter), and writes it
-- with one statement per table (posting.rs). The functions of versions 2 and
-- 3 restated that rule in SQL and are no longer called.

DROP FUNCTION bankbox_post_batch;
DROP FUNCTION bankbox_post;
