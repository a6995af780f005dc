import type { Knex } from 'knex';

// Issue 15, second step: ledger_post_entries(jsonb) set-based. Measured (bench/ledger/group.ts), the first
// version spent ~1 ms per entry of a group — five statements per entry, each of them updating the same hot rows
// again (the day row, the balance rows, the year's counter: a new row version per entry, and every later
// statement walks the versions the group already made) — and pg_stat_statements put it at 33 s of the 35 s the
// server worked during the bench. Same answers, same guards, now a fixed number of statements per group:
//   - period lock shared and closed_through, balance rows of the whole list locked once in (account, fund) order
//     (missing rows created first), as before;
//   - the decisions, in list order, in the function's memory: for every (1001/1002, fund) of the list, its day
//     closings from the list's first date for it on (the rows there, plus the entries' dates) and its total are
//     read once; each entry is refused (period closed, or below zero at its date, any later day, or in total:
//     the same first refusal, same details, as before) or accepted and its change added to those running
//     figures — so the second of two payments from one fund still sees the first;
//   - then the accepted entries only, each row written once: the day rows that changed, the balances by
//     (account, fund) sums, the year's counter once per year (numbers in list order: gapless), the entries and
//     their lines by INSERT … SELECT.
// It runs as the caller (SECURITY INVOKER); the CHECKs and the deferred balance trigger stay the guards.
/** The function's source as this step created it (20261127_1000 changes one part of it). */
export const POST_ENTRIES_SQL = `
CREATE OR REPLACE FUNCTION ledger_post_entries(p_entries jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
  v_n int := jsonb_array_length(p_entries);
  v_closed text;
  v_keys int;
  v_locked int;
  v_refusal jsonb[];   -- per entry (list order): null while accepted, else its refusal
  v_date date[];       -- per entry: its date
  -- cash rows: per (entry, 1001/1002 account, fund) its net change, ordered by entry, account, fund
  c_ord int[]; c_key int[]; c_delta numeric[]; c_pos int[];
  -- cash keys (account, fund), ordered: total, first and last point
  k_acc text[]; k_fund text[]; k_total numeric[]; k_first int[]; k_last int[];
  -- points: per key, the day closings from its first date on (step function of the day rows)
  p_key int[]; p_day date[]; p_closing numeric[]; p_orig numeric[]; p_indb boolean[]; p_touched boolean[];
  v_fail jsonb;
  i int; j int; m int; p int; kk int;
  v_out jsonb;
BEGIN
  IF v_n = 0 THEN RETURN '[]'::jsonb; END IF;
  PERFORM pg_advisory_xact_lock_shared(7310100);
  SELECT closed_through INTO v_closed FROM ledger_period_state WHERE id = 1;

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

  -- Dates and period refusals.
  SELECT array_agg(d ORDER BY ord),
         array_agg(CASE WHEN v_closed IS NOT NULL AND to_char(d, 'YYYY-MM') <= v_closed
                        THEN jsonb_build_object('refused', 'period_closed', 'period', to_char(d, 'YYYY-MM'), 'closedThrough', v_closed) END ORDER BY ord)
    INTO v_date, v_refusal
    FROM (SELECT x.ord::int AS ord, (x.value->>'date')::date AS d FROM jsonb_array_elements(p_entries) WITH ORDINALITY x(value, ord)) e;

  -- Cash keys of the entries still in, with their totals (rows locked above).
  SELECT coalesce(array_agg(s.account ORDER BY s.account, s.fund), '{}'), coalesce(array_agg(s.fund ORDER BY s.account, s.fund), '{}'),
         coalesce(array_agg(b.debit_total - b.credit_total ORDER BY s.account, s.fund), '{}')
    INTO k_acc, k_fund, k_total
    FROM (SELECT DISTINCT l->>'account' AS account, l->>'fund' AS fund
            FROM jsonb_array_elements(p_entries) WITH ORDINALITY x(value, ord), jsonb_array_elements(x.value->'lines') l
           WHERE l->>'account' IN ('1001', '1002') AND v_refusal[x.ord] IS NULL) s
    JOIN ledger_balances b ON b.account = s.account AND b.fund = s.fund;

  IF cardinality(k_acc) > 0 THEN
    -- Cash rows (entry, key, net change), and the points: per key, its entries' dates and its day rows after its
    -- first date, each with the closing of the last day row on or before it (0 if none).
    WITH c AS (
      SELECT x.ord::int AS ord, (x.value->>'date')::date AS d, l->>'account' AS account, l->>'fund' AS fund,
             sum(coalesce((l->>'debit')::numeric, 0) - coalesce((l->>'credit')::numeric, 0)) AS delta
        FROM jsonb_array_elements(p_entries) WITH ORDINALITY x(value, ord), jsonb_array_elements(x.value->'lines') l
       WHERE l->>'account' IN ('1001', '1002') AND v_refusal[x.ord] IS NULL
       GROUP BY 1, 2, 3, 4
      HAVING sum(coalesce((l->>'debit')::numeric, 0) - coalesce((l->>'credit')::numeric, 0)) <> 0),
    k AS (SELECT k.account, k.fund, k.ki::int AS ki, (SELECT min(c.d) FROM c WHERE c.account = k.account AND c.fund = k.fund) AS first
            FROM unnest(k_acc, k_fund) WITH ORDINALITY k(account, fund, ki)),
    pts AS (
      SELECT k.ki, k.account, k.fund, dd.d FROM k CROSS JOIN LATERAL (
        SELECT c.d FROM c WHERE c.account = k.account AND c.fund = k.fund
        UNION
        SELECT x.date FROM ledger_daily_balances x WHERE x.account = k.account AND x.fund = k.fund AND x.date > k.first) dd
       WHERE k.first IS NOT NULL),
    pp AS (
      SELECT pts.*, (row_number() OVER (ORDER BY pts.ki, pts.d))::int AS pos,
             coalesce((SELECT x.closing FROM ledger_daily_balances x WHERE x.account = pts.account AND x.fund = pts.fund AND x.date <= pts.d
                        ORDER BY x.date DESC LIMIT 1), 0) AS closing,
             EXISTS (SELECT 1 FROM ledger_daily_balances x WHERE x.account = pts.account AND x.fund = pts.fund AND x.date = pts.d) AS indb
        FROM pts),
    pa AS (
      SELECT array_agg(ki ORDER BY pos) AS pk, array_agg(d ORDER BY pos) AS pd, array_agg(closing ORDER BY pos) AS pc, array_agg(indb ORDER BY pos) AS pi FROM pp),
    ca AS (
      SELECT array_agg(c.ord ORDER BY c.ord, c.account, c.fund) AS co, array_agg(pp.ki ORDER BY c.ord, c.account, c.fund) AS ck,
             array_agg(c.delta ORDER BY c.ord, c.account, c.fund) AS cd, array_agg(pp.pos ORDER BY c.ord, c.account, c.fund) AS cp
        FROM c JOIN pp ON pp.account = c.account AND pp.fund = c.fund AND pp.d = c.d)
    SELECT pa.pk, pa.pd, pa.pc, pa.pc, pa.pi, ca.co, ca.ck, ca.cd, ca.cp
      INTO p_key, p_day, p_closing, p_orig, p_indb, c_ord, c_key, c_delta, c_pos
      FROM pa, ca;

    IF cardinality(c_ord) > 0 THEN
      p_touched := array_fill(false, ARRAY[cardinality(p_key)]);
      k_first := array_fill(0, ARRAY[cardinality(k_acc)]);
      k_last := array_fill(0, ARRAY[cardinality(k_acc)]);
      FOR p IN 1 .. cardinality(p_key) LOOP
        IF k_first[p_key[p]] = 0 THEN k_first[p_key[p]] := p; END IF;
        k_last[p_key[p]] := p;
      END LOOP;

      -- The decisions, entry by entry in list order, on the running figures.
      i := 1;
      WHILE i <= cardinality(c_ord) LOOP
        j := i;
        WHILE j < cardinality(c_ord) AND c_ord[j + 1] = c_ord[i] LOOP j := j + 1; END LOOP;
        v_fail := NULL;
        -- By date: the first day from the entry's date on whose closing would go (or stay) below zero …
        <<bydate>>
        FOR m IN i .. j LOOP
          kk := c_key[m];
          FOR p IN c_pos[m] .. k_last[kk] LOOP
            IF p_closing[p] + c_delta[m] < 0 THEN
              v_fail := jsonb_build_object('refused', 'insufficient_funds', 'fund', k_fund[kk], 'account', k_acc[kk], 'date', to_char(p_day[p], 'YYYY-MM-DD'),
                'balance', p_closing[p]::text, 'required', (CASE WHEN c_delta[m] < 0 THEN -c_delta[m] ELSE 0 END)::text);
              EXIT bydate;
            END IF;
          END LOOP;
        END LOOP;
        -- … then the total.
        IF v_fail IS NULL THEN
          FOR m IN i .. j LOOP
            kk := c_key[m];
            IF k_total[kk] + c_delta[m] < 0 THEN
              v_fail := jsonb_build_object('refused', 'insufficient_funds', 'fund', k_fund[kk], 'account', k_acc[kk], 'date', to_char(v_date[c_ord[m]], 'YYYY-MM-DD'),
                'balance', k_total[kk]::text, 'required', (CASE WHEN c_delta[m] < 0 THEN -c_delta[m] ELSE 0 END)::text);
              EXIT;
            END IF;
          END LOOP;
        END IF;
        IF v_fail IS NULL THEN
          FOR m IN i .. j LOOP
            kk := c_key[m];
            p_touched[c_pos[m]] := true;
            FOR p IN c_pos[m] .. k_last[kk] LOOP p_closing[p] := p_closing[p] + c_delta[m]; END LOOP;
            k_total[kk] := k_total[kk] + c_delta[m];
          END LOOP;
        ELSE
          v_refusal[c_ord[i]] := v_fail;
        END IF;
        i := j + 1;
      END LOOP;

      -- Day rows, each once: the accepted entries' dates, and the rows after them that moved.
      INSERT INTO ledger_daily_balances (account, fund, date, closing)
      SELECT k_acc[q.pk], k_fund[q.pk], q.d, q.closing
        FROM unnest(p_key, p_day, p_closing, p_orig, p_indb, p_touched) AS q(pk, d, closing, orig, indb, touched)
       WHERE q.touched OR (q.indb AND q.closing <> q.orig)
       ORDER BY 1, 2, 3
      ON CONFLICT (account, fund, date) DO UPDATE SET closing = excluded.closing;
    END IF;
  END IF;

  -- Balances: one update per (account, fund) with the accepted entries' sums.
  UPDATE ledger_balances b SET debit_total = b.debit_total + v.dr, credit_total = b.credit_total + v.cr
    FROM (SELECT l->>'account' AS account, l->>'fund' AS fund, sum(coalesce((l->>'debit')::numeric, 0)) AS dr, sum(coalesce((l->>'credit')::numeric, 0)) AS cr
            FROM jsonb_array_elements(p_entries) WITH ORDINALITY x(value, ord), jsonb_array_elements(x.value->'lines') l
           WHERE v_refusal[x.ord] IS NULL GROUP BY 1, 2) v
   WHERE b.account = v.account AND b.fund = v.fund;

  -- Numbers (the counter once per year, its row locked until commit: gapless, in list order), entries, lines.
  WITH a AS (
    SELECT x.ord::int AS ord, x.value AS e, v_date[x.ord] AS d, extract(year FROM v_date[x.ord])::int AS year
      FROM jsonb_array_elements(p_entries) WITH ORDINALITY x(value, ord) WHERE v_refusal[x.ord] IS NULL),
  y AS (SELECT a.year, count(*)::int AS n FROM a GROUP BY a.year),
  cnt AS (
    INSERT INTO ledger_counters (year, last) SELECT y.year, y.n FROM y ORDER BY y.year
      ON CONFLICT (year) DO UPDATE SET last = ledger_counters.last + excluded.last RETURNING year, last),
  numbered AS (
    SELECT a.*, cnt.last - y.n + row_number() OVER (PARTITION BY a.year ORDER BY a.ord) AS seq
      FROM a JOIN y ON y.year = a.year JOIN cnt ON cnt.year = a.year),
  named AS (SELECT numbered.*, to_char(numbered.d, 'YYYY') || '-' || lpad(numbered.seq::text, greatest(6, length(numbered.seq::text)), '0') AS number FROM numbered),
  en AS (
    INSERT INTO journal_entries (number, date, description, source, source_ref, reverses_id, created_by, created_at)
    SELECT named.number, named.d, named.e->>'description', named.e->>'source', named.e->>'source_ref', (named.e->>'reverses_id')::bigint,
           named.e->>'created_by', (named.e->>'created_at')::timestamptz
      FROM named ORDER BY named.ord
    RETURNING id, number),
  ids AS (SELECT named.ord, en.id, en.number, named.e, named.d FROM en JOIN named ON named.number = en.number),
  ins AS (
    INSERT INTO journal_lines (entry_id, line_no, date, account, fund, debit, credit, memo, household_id, aid_case_id)
    SELECT ids.id, l.ord, ids.d, l.value->>'account', l.value->>'fund', coalesce((l.value->>'debit')::numeric, 0), coalesce((l.value->>'credit')::numeric, 0),
           l.value->>'memo', (l.value->>'household_id')::integer, (l.value->>'aid_case_id')::integer
      FROM ids, jsonb_array_elements(ids.e->'lines') WITH ORDINALITY AS l(value, ord)
     ORDER BY ids.id, l.ord
    RETURNING id, entry_id, line_no),
  li AS (SELECT ins.entry_id, jsonb_agg(ins.id ORDER BY ins.line_no) AS line_ids FROM ins GROUP BY ins.entry_id)
  SELECT jsonb_agg(CASE WHEN v_refusal[g.ord] IS NOT NULL THEN v_refusal[g.ord] ELSE jsonb_build_object('id', ids.id, 'number', ids.number, 'lineIds', li.line_ids) END
                   ORDER BY g.ord)
    INTO v_out
    FROM generate_series(1, v_n) g(ord) LEFT JOIN ids ON ids.ord = g.ord LEFT JOIN li ON li.entry_id = ids.id;
  RETURN v_out;
END $fn$;
`;

export async function up(knex: Knex) {
  await knex.raw(POST_ENTRIES_SQL);
}

// The first version comes back (migrations/20261127_0700).
export async function down(knex: Knex) {
  const first = await import('./20261127_0700_ledger_post_function');
  await first.up(knex);
}
