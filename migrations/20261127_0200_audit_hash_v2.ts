import type { Knex } from 'knex';

// Hash version 2 of the audit chain (docs/audit-chain.md): actor and subject enter the row hash too.
// Rows written before this migration keep their version-1 hash and verify under it; every row appended
// from now on states its version (no default: the append must say which formula it used).
export async function up(knex: Knex) {
  // A column with a constant default is added without rewriting the table, so no row is updated (and the
  // immutability trigger is not involved): every existing row reads 1.
  await knex.raw('ALTER TABLE audit_log ADD COLUMN hash_version smallint NOT NULL DEFAULT 1');
  await knex.raw('ALTER TABLE audit_log ALTER COLUMN hash_version DROP DEFAULT');
  await knex.raw('ALTER TABLE audit_log ADD CONSTRAINT audit_hash_version_known CHECK (hash_version IN (1, 2))');
}

export async function down() {
  throw new Error('the audit hash version cannot be removed: rows of version 2 need it to verify');
}
