import type { Knex } from 'knex';
import { POST_ENTRIES_SQL } from './20261127_0800_ledger_post_set_based';

// Issue 15: auto_explain of a group of 1,000 found ledger_post_entries spending ~450 ms of its ~600 ms joining
// the entries it had just inserted back to its own list by number — a nested loop, since the planner cannot
// count a jsonb parameter's elements and expects one row on each side. The entry ids are now drawn from their
// sequence in list order before the insert, so the lines and the answer use them directly: no join.
const BEFORE = {
  named: `named AS (SELECT numbered.*, to_char(numbered.d, 'YYYY') || '-' || lpad(numbered.seq::text, greatest(6, length(numbered.seq::text)), '0') AS number FROM numbered),`,
  insert: `INSERT INTO journal_entries (number, date, description, source, source_ref, reverses_id, created_by, created_at)
    SELECT named.number, named.d,`,
  ids: `ids AS (SELECT named.ord, en.id, en.number, named.e, named.d FROM en JOIN named ON named.number = en.number),`,
};
const AFTER = {
  named: `named AS MATERIALIZED (
    SELECT n.*, nextval('journal_entries_id_seq') AS id
      FROM (SELECT numbered.*, to_char(numbered.d, 'YYYY') || '-' || lpad(numbered.seq::text, greatest(6, length(numbered.seq::text)), '0') AS number
              FROM numbered ORDER BY numbered.ord) n),`,
  insert: `INSERT INTO journal_entries (id, number, date, description, source, source_ref, reverses_id, created_by, created_at)
    SELECT named.id, named.number, named.d,`,
  ids: `ids AS (SELECT named.ord, named.id, named.number, named.e, named.d FROM named),`,
};

function rewrite(sql: string, from: typeof BEFORE, to: typeof AFTER) {
  let out = sql;
  for (const part of ['named', 'insert', 'ids'] as const) {
    if (!out.includes(from[part])) throw new Error(`ledger_post_entries: the ${part} part to rewrite was not found`);
    out = out.replace(from[part], to[part]);
  }
  return out;
}

export async function up(knex: Knex) {
  await knex.raw(rewrite(POST_ENTRIES_SQL, BEFORE, AFTER));
}

export async function down(knex: Knex) {
  await knex.raw(POST_ENTRIES_SQL);
}
