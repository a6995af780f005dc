import type { Knex } from 'knex';

// Real bank files (issue 13): zero-amount information lines (interest tax 0.00, notices) are kept, not
// refused; the counterparty's account is kept with a line; a statement remembers the account and bank its
// file printed and the import profile it was read with; import profiles save the column mapping of a
// layout the reader does not recognise, per bank and account.
const FORMATS = ['csv', 'camt053', 'mt940', 'xls', 'xlsx'];

export async function up(knex: Knex) {
  await knex.raw(`ALTER TABLE bank_statement_lines DROP CONSTRAINT IF EXISTS bank_statement_lines_amount`);
  await knex.schema.alterTable('bank_statement_lines', (t) => {
    t.string('counterparty_account', 100);
  });

  await knex.schema.createTable('bank_import_profiles', (t) => {
    t.increments('id');
    t.string('name', 100).notNullable();
    t.string('bank', 20);
    t.string('fund', 40);
    t.string('account', 40);
    t.integer('header_row');
    /** {meaning: header name or 0-based column index}; description may list several. */
    t.jsonb('columns').notNullable();
    t.string('date_format', 3);
    t.string('encoding', 10);
    t.string('created_by', 100).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.string('updated_by', 100).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['fund']);
  });
  await knex.raw(`CREATE UNIQUE INDEX bank_import_profiles_name ON bank_import_profiles (lower(name))`);
  await knex.raw(`ALTER TABLE bank_import_profiles ADD CONSTRAINT bank_import_profiles_header_row CHECK (header_row IS NULL OR header_row BETWEEN 1 AND 1000)`);
  await knex.raw(`ALTER TABLE bank_import_profiles ADD CONSTRAINT bank_import_profiles_date_format CHECK (date_format IS NULL OR date_format IN ('YMD','DMY','MDY'))`);
  await knex.raw(`ALTER TABLE bank_import_profiles ADD CONSTRAINT bank_import_profiles_encoding CHECK (encoding IS NULL OR encoding IN ('utf-8','gbk'))`);

  await knex.schema.alterTable('bank_statements', (t) => {
    t.string('file_account', 40);
    t.string('file_bank', 20);
    t.integer('profile_id').references('bank_import_profiles.id').onDelete('SET NULL');
  });
  // The same list as 20261127_0600_reconciliation_statement_formats (whichever runs, the list is one).
  await knex.raw(`ALTER TABLE bank_statements DROP CONSTRAINT IF EXISTS bank_statements_format`);
  await knex.raw(`ALTER TABLE bank_statements ADD CONSTRAINT bank_statements_format CHECK (format IN (${FORMATS.map((f) => `'${f}'`).join(',')}))`);
}

export async function down(knex: Knex) {
  await knex.schema.alterTable('bank_statements', (t) => {
    t.dropColumn('profile_id');
    t.dropColumn('file_bank');
    t.dropColumn('file_account');
  });
  await knex.schema.dropTable('bank_import_profiles');
  await knex.schema.alterTable('bank_statement_lines', (t) => {
    t.dropColumn('counterparty_account');
  });
  await knex.raw(`DELETE FROM bank_statement_lines WHERE amount = 0`);
  await knex.raw(`ALTER TABLE bank_statement_lines ADD CONSTRAINT bank_statement_lines_amount CHECK (amount <> 0)`);
}
