import type { Knex } from 'knex';

// Issue 15: the posting's database work in one call. ledger_post_entries(entries) takes a list of entries
// (already validated by the service: accounts and funds exist, amounts, balanced per fund, not in the future)
// and, in the caller's transaction, in list order:
//   - takes the period lock shared (the same advisory key a close takes exclusive) and reads closed_through;
//   - locks the balance rows of every (account, fund) of the whole list, in (account, fund) order — once, so a
//     list of many entries never takes its locks out of order (no deadlock with other postings);
//   - per entry: refuses it (writes nothing for it, goes on with the next) if its month is closed or it would
//     leave 1001/1002 of a fund negative at its date or any later day, or in total; else moves the day rows
//     from its date on, adds to the maintained balances, takes the year's next number, inserts entry and lines.
// A refusal is checked before anything of that entry is written, so no savepoint is needed: the others stay.
// It runs as the caller (SECURITY INVOKER): the working role's grants and the immutability triggers apply;
// the CHECKs on ledger_balances and ledger_daily_balances and the deferred balance trigger stay the guards.
// Answer: a JSON array, one element per entry, {id, number, lineIds} or {refused, …details}.
export async function up(knex: Knex) {
  await knex.raw(`
CREATE OR REPLACE FUNCTION ledger_post_entries(p_entries jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
  v_closed text;
  v_out jsonb := '[]'::jsonb;
  e jsonb;
  v_date date;
  v_acc text[];
  v_fund text[];
  v_delta numeric[];
  v_keys int;
  v_locked int;
  v_short record;
  v_id bigint;
  v_number text;
  v_lines jsonb;
BEGIN
  PERFORM pg_advisory_xact_lock_shared(7310100);
  SELECT closed_through INTO v_closed FROM ledger_period_state WHERE id = 1;

  -- Every balance row of the list, locked once in (account, fund) order; missing rows (an account added after
  -- the fund) are created first.
  SELECT count(*) INTO v_keys FROM (SELECT DISTINCT l->>'account', l->>'fund' FROM jsonb_array_elements(p_entries) x, jsonb_array_elements(x->'lines') l) k;
  PERFORM 1 FROM ledger_balances b
    WHERE (b.account, b.fund) IN (SELECT l->>'account', l->>'fund' FROM jsonb_array_elements(p_entries) x, jsonb_array_elements(x->'lines') l)
    ORDER BY b.account, b.fund FOR UPDATE;
  GET DIAGNOSTICS v_locked = ROW_COUNT;
  IF v_locked < v_keys THEN
    INSERT INTO ledger_balances (account, fund)
      SELECT DISTINCT l->>'account', l->>'fund' FROM jsonb_array_elements(p_entries) x, jsonb_array_elements(x->'lines') l
      ORDER BY 1, 2 ON CONFLICT DO NOTHING;
    PERFORM 1 FROM ledger_balances b
      WHERE (b.account, b.fund) IN (SELECT l->>'account', l->>'fund' FROM jsonb_array_elements(p_entries) x, jsonb_array_elements(x->'lines') l)
      ORDER BY b.account, b.fund FOR UPDATE;
  END IF;

  FOR e IN SELECT x.value FROM jsonb_array_elements(p_entries) WITH ORDINALITY x ORDER BY x.ordinality LOOP
    v_date := (e->>'date')::date;
    IF v_closed IS NOT NULL AND to_char(v_date, 'YYYY-MM') <= v_closed THEN
      v_out := v_out || jsonb_build_array(jsonb_build_object('refused', 'period_closed', 'period', to_char(v_date, 'YYYY-MM'), 'closedThrough', v_closed));
      CONTINUE;
    END IF;

    -- The entry's net change of 1001/1002 per fund.
    SELECT coalesce(array_agg(d.account ORDER BY d.account, d.fund), '{}'), coalesce(array_agg(d.fund ORDER BY d.account, d.fund), '{}'),
           coalesce(array_agg(d.delta ORDER BY d.account, d.fund), '{}')
      INTO v_acc, v_fund, v_delta
      FROM (SELECT l->>'account' AS account, l->>'fund' AS fund,
                   sum(coalesce((l->>'debit')::numeric, 0) - coalesce((l->>'credit')::numeric, 0)) AS delta
              FROM jsonb_array_elements(e->'lines') l WHERE l->>'account' IN ('1001', '1002')
             GROUP BY 1, 2 HAVING sum(coalesce((l->>'debit')::numeric, 0) - coalesce((l->>'credit')::numeric, 0)) <> 0) d;

    IF cardinality(v_acc) > 0 THEN
      -- By date: the first day from the entry's date on whose closing would go below zero (or stay below it);
      -- then, in the same statement, the total (not reachable while the day rows agree with the lines).
      SELECT s.account, s.fund, s.date, s.closing, s.delta INTO v_short FROM (
        WITH cur AS (
          SELECT v.account, v.fund, v.delta,
                 coalesce((SELECT x.closing FROM ledger_daily_balances x WHERE x.account = v.account AND x.fund = v.fund AND x.date <= v_date
                            ORDER BY x.date DESC LIMIT 1), 0) AS at_date
            FROM unnest(v_acc, v_fund, v_delta) AS v(account, fund, delta))
        SELECT 1 AS k, cur.account, cur.fund, cur.delta, v_date AS date, cur.at_date AS closing FROM cur WHERE cur.at_date + cur.delta < 0
        UNION ALL
        SELECT 1, cur.account, cur.fund, cur.delta, f.date, f.closing FROM cur
          CROSS JOIN LATERAL (SELECT x.date, x.closing FROM ledger_daily_balances x
                               WHERE x.account = cur.account AND x.fund = cur.fund AND x.date > v_date AND x.closing + cur.delta < 0
                               ORDER BY x.date LIMIT 1) f
        UNION ALL
        SELECT 2, b.account, b.fund, cur.delta, v_date, b.debit_total - b.credit_total FROM cur
          JOIN ledger_balances b ON b.account = cur.account AND b.fund = cur.fund WHERE b.debit_total - b.credit_total + cur.delta < 0) s
        ORDER BY s.k, s.account, s.fund, s.date LIMIT 1;
      IF FOUND THEN
        v_out := v_out || jsonb_build_array(jsonb_build_object('refused', 'insufficient_funds', 'fund', v_short.fund, 'account', v_short.account,
          'date', to_char(v_short.date, 'YYYY-MM-DD'), 'balance', v_short.closing::text, 'required', (CASE WHEN v_short.delta < 0 THEN -v_short.delta ELSE 0 END)::text));
        CONTINUE;
      END IF;
      -- Move the day rows: the row of the date (from the day before's closing if missing), then every later one.
      WITH v AS (SELECT * FROM unnest(v_acc, v_fund, v_delta) AS v(account, fund, delta)),
      ins AS (
        INSERT INTO ledger_daily_balances (account, fund, date, closing)
        SELECT v.account, v.fund, v_date,
               coalesce((SELECT x.closing FROM ledger_daily_balances x WHERE x.account = v.account AND x.fund = v.fund AND x.date <= v_date
                          ORDER BY x.date DESC LIMIT 1), 0) + v.delta
          FROM v
        ON CONFLICT (account, fund, date) DO UPDATE SET closing = excluded.closing
        RETURNING 1)
      UPDATE ledger_daily_balances x SET closing = x.closing + v.delta FROM v
       WHERE x.account = v.account AND x.fund = v.fund AND x.date > v_date;
    END IF;

    -- Balances, the year's next number (the counter row stays locked until commit: gapless), entry and lines.
    WITH bal AS (
      UPDATE ledger_balances b SET debit_total = b.debit_total + v.d, credit_total = b.credit_total + v.c
        FROM (SELECT l->>'account' AS account, l->>'fund' AS fund, sum(coalesce((l->>'debit')::numeric, 0)) AS d, sum(coalesce((l->>'credit')::numeric, 0)) AS c
                FROM jsonb_array_elements(e->'lines') l GROUP BY 1, 2) v
       WHERE b.account = v.account AND b.fund = v.fund
      RETURNING 1),
    c AS (
      INSERT INTO ledger_counters (year, last) VALUES (extract(year FROM v_date)::int, 1)
        ON CONFLICT (year) DO UPDATE SET last = ledger_counters.last + 1 RETURNING last),
    en AS (
      INSERT INTO journal_entries (number, date, description, source, source_ref, reverses_id, created_by, created_at)
      SELECT to_char(v_date, 'YYYY') || '-' || lpad(c.last::text, greatest(6, length(c.last::text)), '0'), v_date, e->>'description', e->>'source',
             e->>'source_ref', (e->>'reverses_id')::bigint, e->>'created_by', (e->>'created_at')::timestamptz FROM c
      RETURNING id, number),
    ins AS (
      INSERT INTO journal_lines (entry_id, line_no, date, account, fund, debit, credit, memo, household_id, aid_case_id)
      SELECT en.id, l.ord, v_date, l.value->>'account', l.value->>'fund', coalesce((l.value->>'debit')::numeric, 0), coalesce((l.value->>'credit')::numeric, 0),
             l.value->>'memo', (l.value->>'household_id')::integer, (l.value->>'aid_case_id')::integer
        FROM en, jsonb_array_elements(e->'lines') WITH ORDINALITY AS l(value, ord)
      RETURNING id, line_no)
    SELECT en.id, en.number, (SELECT jsonb_agg(ins.id ORDER BY ins.line_no) FROM ins), (SELECT count(*) FROM bal) INTO v_id, v_number, v_lines, v_locked FROM en;
    v_out := v_out || jsonb_build_array(jsonb_build_object('id', v_id, 'number', v_number, 'lineIds', v_lines));
  END LOOP;
  RETURN v_out;
END $fn$;
`);
}

export async function down(knex: Knex) {
  await knex.raw('DROP FUNCTION IF EXISTS ledger_post_entries(jsonb)');
}
