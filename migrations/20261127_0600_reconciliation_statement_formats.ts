import type { Knex } from 'knex';

// Statement formats (issue 13): MT940 joins CSV and camt.053. The spreadsheet formats of the CSV side
// (xls, xlsx) are allowed here too, so the two changes of issue 13 need one constraint, not two that undo
// each other.
const FORMATS = ['csv', 'camt053', 'mt940', 'xls', 'xlsx'];

export async function up(knex: Knex) {
  await knex.raw(`ALTER TABLE bank_statements DROP CONSTRAINT IF EXISTS bank_statements_format`);
  await knex.raw(`ALTER TABLE bank_statements ADD CONSTRAINT bank_statements_format CHECK (format IN (${FORMATS.map((f) => `'${f}'`).join(',')}))`);
}

export async function down(knex: Knex) {
  await knex.raw(`ALTER TABLE bank_statements DROP CONSTRAINT IF EXISTS bank_statements_format`);
  await knex.raw(`ALTER TABLE bank_statements ADD CONSTRAINT bank_statements_format CHECK (format IN ('csv','camt053'))`);
}
