import type { Knex } from 'knex';

// The request that caused each audit row (X-Request-Id, docs/operations.md "Request ids"): leads from a row to the
// request's log line. Not part of the row hash (docs/audit-chain.md): it is the service's own bookkeeping, set
// by whoever sent the header, and public verifiers never see it.
export async function up(knex: Knex) {
  // Nullable without a default: no row is rewritten or updated (the immutability trigger is not involved);
  // rows from before, and writes outside a request (jobs, CLIs, start), have none.
  await knex.raw('ALTER TABLE audit_log ADD COLUMN request_id text');
  await knex.raw(`ALTER TABLE audit_log ADD CONSTRAINT audit_request_id_token CHECK (request_id ~ '^[A-Za-z0-9._:-]{1,64}$')`);
}

export async function down(knex: Knex) {
  await knex.raw('ALTER TABLE audit_log DROP COLUMN request_id');
}
