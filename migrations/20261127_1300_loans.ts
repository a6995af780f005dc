import type { Knex } from 'knex';

// Worker start-up micro-loans (issue 20, docs/loans.md): programme and pilot units, products, loans (the
// application and the loan are one row that moves through the loan workflow), its timeline and approvals,
// the schedule, repayments and the daily penalty accruals. The ledger gets the source 'loan'.
export async function up(knex: Knex) {
  await knex.schema.createTable('loan_programmes', (t) => {
    t.integer('year').primary();
    t.decimal('target', 18, 2).notNullable();
    t.string('fund', 40).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
  });
  await knex.raw(`ALTER TABLE loan_programmes ADD CONSTRAINT loan_programmes_target CHECK (target > 0 AND year BETWEEN 2000 AND 2099)`);

  await knex.schema.createTable('loan_pilot_units', (t) => {
    t.increments('id');
    t.integer('year').notNullable().references('loan_programmes.year');
    t.string('code', 32).notNullable();
    t.string('name_zh', 100).notNullable();
    t.string('kind', 20).notNullable();
    t.string('district', 8).references('districts.code');
    t.decimal('quota', 18, 2).notNullable();
    t.string('fund', 40);
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.unique(['year', 'code']);
  });
  await knex.raw(`ALTER TABLE loan_pilot_units ADD CONSTRAINT loan_pilot_units_kind CHECK (kind IN ('district','enterprise_group','institution') AND quota >= 0 AND (kind <> 'district' OR district IS NOT NULL))`);

  await knex.schema.createTable('loan_products', (t) => {
    t.increments('id');
    t.string('code', 32).notNullable().unique();
    t.string('name_zh', 100).notNullable();
    t.decimal('min_amount', 18, 2).notNullable();
    t.decimal('max_amount', 18, 2).notNullable();
    t.integer('term_months').notNullable();
    t.decimal('annual_rate', 7, 4).notNullable();
    t.decimal('subsidy_percent', 5, 2).notNullable();
    t.string('method', 20).notNullable();
    t.integer('grace_months').notNullable();
    t.decimal('penalty_rate', 7, 4).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
  });
  await knex.raw(`ALTER TABLE loan_products ADD CONSTRAINT loan_products_valid CHECK (
    min_amount > 0 AND max_amount >= min_amount AND term_months BETWEEN 1 AND 360 AND annual_rate >= 0 AND penalty_rate >= 0
    AND subsidy_percent BETWEEN 0 AND 100 AND method IN ('equal_instalment','equal_principal','bullet')
    AND grace_months >= 0 AND grace_months < term_months AND (method <> 'bullet' OR grace_months = 0))`);

  await knex.schema.createTable('loan_counters', (t) => {
    t.integer('year').primary();
    t.integer('last').notNullable();
  });

  await knex.schema.createTable('loans', (t) => {
    t.increments('id');
    t.string('loan_no', 20).notNullable().unique();
    t.integer('year').notNullable().references('loan_programmes.year');
    t.integer('pilot_unit_id').notNullable().references('loan_pilot_units.id');
    t.integer('product_id').notNullable().references('loan_products.id');
    t.string('district', 8).references('districts.code');
    t.string('fund', 40).notNullable();
    t.string('status', 16).notNullable();
    t.string('masked_name', 40).notNullable();
    t.text('name_enc').notNullable();
    t.text('id_number_enc').notNullable();
    t.string('id_number_hash', 64).notNullable();
    t.text('phone_enc');
    t.integer('household_id');
    t.string('union_org', 200).notNullable();
    t.string('member_no', 40);
    t.string('business_plan', 5000).notNullable();
    t.jsonb('documents').notNullable().defaultTo('[]');
    t.jsonb('guarantors').notNullable().defaultTo('[]');
    t.decimal('requested_amount', 18, 2).notNullable();
    t.integer('requested_term').notNullable();
    t.decimal('recommended_amount', 18, 2);
    t.decimal('approved_amount', 18, 2);
    t.jsonb('refusal_reasons');
    t.date('disbursed_date');
    t.string('disbursement_entry', 20).unique();
    t.integer('schedule_version').notNullable().defaultTo(0);
    t.decimal('principal_outstanding', 18, 2).notNullable().defaultTo(0);
    t.decimal('penalty_accrued', 18, 2).notNullable().defaultTo(0);
    t.decimal('penalty_paid', 18, 2).notNullable().defaultTo(0);
    t.decimal('written_off', 18, 2).notNullable().defaultTo(0);
    t.date('closed_date');
    t.integer('created_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['status', 'year']);
    t.index(['id_number_hash']);
    t.index(['pilot_unit_id']);
  });
  await knex.raw(`ALTER TABLE loans ADD CONSTRAINT loans_status CHECK (status IN
    ('submitted','reviewed','approved','refused','withdrawn','active','closed','written_off'))`);
  await knex.raw(`ALTER TABLE loans ADD CONSTRAINT loans_amounts CHECK (requested_amount > 0 AND requested_term BETWEEN 1 AND 360
    AND principal_outstanding >= 0 AND penalty_paid <= penalty_accrued AND penalty_paid >= 0 AND written_off >= 0)`);
  // One disbursement per loan: a loan past approval has exactly one disbursement entry and date.
  await knex.raw(`ALTER TABLE loans ADD CONSTRAINT loans_disbursed_complete CHECK (status NOT IN ('active','closed','written_off')
    OR (disbursement_entry IS NOT NULL AND disbursed_date IS NOT NULL AND approved_amount IS NOT NULL))`);

  await knex.schema.createTable('loan_events', (t) => {
    t.bigIncrements('id');
    t.integer('loan_id').notNullable().references('loans.id').index();
    t.string('action', 40).notNullable();
    t.string('from_status', 16);
    t.string('to_status', 16).notNullable();
    t.integer('actor_id');
    t.string('actor', 100).notNullable();
    t.decimal('amount', 18, 2);
    t.string('note', 2000);
    t.timestamp('at', { useTz: true }).notNullable();
  });

  // Approvals of a step that may need two people: 'approve', 'write_off', 'restructure' (round = the
  // loan's schedule version at the time, so a later restructuring asks again).
  await knex.schema.createTable('loan_approvals', (t) => {
    t.integer('loan_id').notNullable().references('loans.id');
    t.string('step', 16).notNullable();
    t.integer('round').notNullable();
    t.integer('approver_id').notNullable();
    t.string('approver', 100).notNullable();
    t.decimal('amount', 18, 2);
    t.jsonb('terms');
    t.timestamp('at', { useTz: true }).notNullable();
    t.primary(['loan_id', 'step', 'round', 'approver_id']);
  });

  await knex.schema.createTable('loan_instalments', (t) => {
    t.integer('loan_id').notNullable().references('loans.id');
    t.integer('version').notNullable();
    t.integer('no').notNullable();
    t.date('due_date').notNullable();
    t.decimal('principal', 18, 2).notNullable();
    t.decimal('interest', 18, 2).notNullable();
    t.decimal('subsidy', 18, 2).notNullable();
    t.decimal('borrower_interest', 18, 2).notNullable();
    t.decimal('paid_principal', 18, 2).notNullable().defaultTo(0);
    t.decimal('paid_interest', 18, 2).notNullable().defaultTo(0);
    t.decimal('waived_interest', 18, 2).notNullable().defaultTo(0);
    t.boolean('subsidy_posted').notNullable().defaultTo(false);
    t.primary(['loan_id', 'version', 'no']);
    t.index(['due_date']);
  });
  await knex.raw(`ALTER TABLE loan_instalments ADD CONSTRAINT loan_instalments_paid CHECK (
    principal >= 0 AND interest >= 0 AND subsidy >= 0 AND borrower_interest = interest - subsidy
    AND paid_principal BETWEEN 0 AND principal AND paid_interest >= 0 AND waived_interest >= 0 AND paid_interest + waived_interest <= borrower_interest)`);

  await knex.schema.createTable('loan_repayments', (t) => {
    t.bigIncrements('id');
    t.integer('loan_id').notNullable().references('loans.id').index();
    t.date('date').notNullable();
    t.decimal('amount', 18, 2).notNullable();
    t.decimal('penalty', 18, 2).notNullable();
    t.decimal('interest', 18, 2).notNullable();
    t.decimal('principal', 18, 2).notNullable();
    t.decimal('subsidy', 18, 2).notNullable();
    t.string('entry_number', 20).notNullable();
    t.bigInteger('statement_line_id').unique();
    t.string('reference', 100);
    t.string('created_by', 100).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
  });
  await knex.raw(`ALTER TABLE loan_repayments ADD CONSTRAINT loan_repayments_sum CHECK (amount > 0 AND amount = penalty + interest + principal)`);

  // The daily job's guarantee: one accrual per loan per day, whatever the number of instances or runs.
  await knex.schema.createTable('loan_penalty_accruals', (t) => {
    t.integer('loan_id').notNullable().references('loans.id');
    t.date('date').notNullable();
    t.decimal('base', 18, 2).notNullable();
    t.decimal('amount', 18, 2).notNullable();
    t.primary(['loan_id', 'date']);
  });

  await knex.raw(`ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_source`);
  await knex.raw(`ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_source CHECK (source IN ('manual','donation','allocation','aid','reversal','closing','loan'))`);
}

export async function down(knex: Knex) {
  for (const t of ['loan_penalty_accruals', 'loan_repayments', 'loan_instalments', 'loan_approvals', 'loan_events', 'loans', 'loan_counters', 'loan_products', 'loan_pilot_units', 'loan_programmes']) {
    await knex.schema.dropTable(t);
  }
  await knex.raw(`ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_source`);
  await knex.raw(`ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_source CHECK (source IN ('manual','donation','allocation','aid','reversal','closing'))`);
}
