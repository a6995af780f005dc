import type { Knex } from 'knex';

// Bulk import of household files (issue 18): one row per import (who, when, which file by its SHA-256, how
// many rows it had, created and skipped), and the files it created with the sheet row each came from.
export async function up(knex: Knex) {
  await knex.schema.createTable('household_imports', (t) => {
    t.increments('id');
    t.string('created_by', 100).notNullable();
    /** The importer's district (an officer's); null for a city-wide user. Officers list their district's imports. */
    t.string('actor_district', 8);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.string('file_name', 200);
    t.string('format', 8).notNullable();
    t.string('encoding', 16).notNullable();
    t.string('file_sha256', 64).notNullable();
    t.integer('row_count').notNullable();
    t.integer('created_count').notNullable();
    t.integer('skipped_count').notNullable();
    t.boolean('only_valid').notNullable();
    /** Rows left out with onlyValid: [{row, problems: [message]}] (the first 1,000). */
    t.jsonb('skipped').notNullable().defaultTo('[]');
    t.index(['actor_district', 'id']);
  });
  await knex.raw(`ALTER TABLE household_imports ADD CONSTRAINT household_imports_format CHECK (format IN ('xlsx','xls','csv'))`);

  await knex.schema.createTable('household_import_files', (t) => {
    t.integer('import_id').notNullable().references('household_imports.id');
    t.integer('household_id').notNullable().references('households.id');
    t.integer('row').notNullable();
    t.primary(['import_id', 'household_id']);
    t.index(['household_id']);
  });
}

export async function down(knex: Knex) {
  await knex.schema.dropTableIfExists('household_import_files');
  await knex.schema.dropTableIfExists('household_imports');
}
