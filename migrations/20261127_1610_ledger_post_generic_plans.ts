import type { Knex } from 'knex';

// Issue 15, step F: ledger_post_entries with generic plans. PL/pgSQL plans each statement with its parameter
// values for the first calls, then keeps a generic plan only if it looks no dearer; for this function it kept
// replanning (its statements are large CTEs, and the row counts of jsonb parameters are not known to the planner
// either way), so planning was more than half of a one-entry call: 1.4–1.9 ms per call, 0.8–0.9 ms with generic
// plans (`npx tsx bench/ledger/plans.ts`). Groups of 1,000 stay within the same time either way.
export async function up(knex: Knex) {
  await knex.raw('ALTER FUNCTION ledger_post_entries(jsonb) SET plan_cache_mode = force_generic_plan');
}

export async function down(knex: Knex) {
  await knex.raw('ALTER FUNCTION ledger_post_entries(jsonb) RESET plan_cache_mode');
}
