import type { Knex } from 'knex';

// 银行账户 A household's bank account for relief transfers (issue 17): account number, account name and bank
// name, sealed together with DATA_KEY (AES-GCM, as ID numbers) in one column; nothing of it in clear.
export async function up(knex: Knex) {
  await knex.schema.alterTable('households', (t) => {
    t.text('bank_account_enc').nullable();
    t.timestamp('bank_account_updated_at', { useTz: true }).nullable();
  });
}

export async function down(knex: Knex) {
  await knex.schema.alterTable('households', (t) => {
    t.dropColumn('bank_account_enc');
    t.dropColumn('bank_account_updated_at');
  });
}
