import type { Knex } from 'knex';

// Issue 15: the stalls of the batch benchmark (a batch of 1,000 entries taking 12–13 s, all of it in COMMIT, the
// backend on the CPU) were the deferred check that each entry balances, journal_entry_balanced(), run at commit
// once per entry. Its per-fund sum was `… WHERE entry_id = NEW.id GROUP BY fund … LIMIT 1`: planned on a
// connection while journal_lines had grown past its statistics, the LIMIT made the planner walk the
// (fund, account, date) index for fund order, filtering on entry_id — the whole table per entry (auto_explain:
// 126,018 rows removed by the filter, 12 ms each; 13–15 s for 1,000 entries on a new connection, 17 ms on one that
// had planned it earlier: `npx tsx bench/ledger/commit-check.ts`). The entry's lines are now read on their own
// (OFFSET 0 keeps the subquery apart, so no LIMIT or order reaches it: the entry_id index answers it) and grouped
// after. Same checks, same messages.
const BALANCED = (lines: string) => `
CREATE OR REPLACE FUNCTION journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad record; n int;
BEGIN
  SELECT count(*) INTO n FROM journal_lines WHERE entry_id = NEW.id;
  IF n < 2 THEN
    RAISE EXCEPTION 'journal entry % has % line(s): at least two are needed', NEW.number, n USING ERRCODE = 'check_violation';
  END IF;
  SELECT fund, sum(debit) - sum(credit) AS diff INTO bad FROM ${lines}
    GROUP BY fund HAVING sum(debit) <> sum(credit) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal entry % does not balance in fund % (difference %)', NEW.number, bad.fund, bad.diff USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$`;

export async function up(knex: Knex) {
  await knex.raw(BALANCED('(SELECT fund, debit, credit FROM journal_lines WHERE entry_id = NEW.id OFFSET 0) l'));
}

export async function down(knex: Knex) {
  await knex.raw(BALANCED('journal_lines WHERE entry_id = NEW.id'));
}
