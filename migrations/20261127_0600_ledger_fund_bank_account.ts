import type { Knex } from 'knex';

// 基金银行账号 The fund's bank account (issue 13): optional, so a bank file holding several accounts' statements
// (camt.053 Stmt blocks, MT940 :20: blocks) can be matched to the fund by Acct/Id or :25:. Several funds may
// share one bank account (sub-funds kept in one account), so it is not unique.
export async function up(knex: Knex) {
  await knex.schema.alterTable('ledger_funds', (t) => {
    t.string('bank_account', 64).nullable();
  });
  await knex.raw(`CREATE INDEX ledger_funds_bank_account ON ledger_funds (bank_account) WHERE bank_account IS NOT NULL`);
}

export async function down(knex: Knex) {
  await knex.raw('DROP INDEX IF EXISTS ledger_funds_bank_account');
  await knex.schema.alterTable('ledger_funds', (t) => {
    t.dropColumn('bank_account');
  });
}
