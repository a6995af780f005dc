import type { Knex } from 'knex';

// 两节送温暖 Relief campaigns (issue 17): the campaign, its roll (one line per household), its timeline,
// approvals and public objections per line. Money is in the ledger; lines carry their payment state.
export async function up(knex: Knex) {
  await knex.schema.createTable('campaigns', (t) => {
    t.increments('id');
    t.string('name', 100).notNullable();
    t.string('kind', 20).notNullable();
    t.integer('year').notNullable();
    // A campaign of one district (made by a district officer) or city-wide (null).
    t.string('district', 8).references('districts.code');
    t.specificType('funds', 'text[]').notNullable();
    t.jsonb('rules').notNullable();
    t.jsonb('eligibility').notNullable();
    t.jsonb('quotas').notNullable().defaultTo('{}');
    t.string('status', 12).notNullable();
    t.integer('created_by').notNullable();
    t.timestamp('built_at', { useTz: true });
    t.timestamp('notice_start', { useTz: true });
    t.timestamp('notice_end', { useTz: true });
    t.decimal('approved_total', 18, 2);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['status', 'notice_end']);
  });
  await knex.raw(`ALTER TABLE campaigns ADD CONSTRAINT campaigns_kind_known CHECK (kind IN ('new_year_spring','autumn_school','summer_cooling','other'))`);
  await knex.raw(`ALTER TABLE campaigns ADD CONSTRAINT campaigns_status_known CHECK (status IN
    ('draft','built','submitted','in_notice','payable','paying','paid','cancelled'))`);

  await knex.schema.createTable('campaign_lines', (t) => {
    t.increments('id');
    t.integer('campaign_id').notNullable().references('campaigns.id');
    t.integer('line_no').notNullable();
    t.integer('household_id').notNullable();
    t.string('masked_name', 40).notNullable();
    t.string('district', 8).notNullable();
    t.string('category', 16).notNullable();
    t.string('fund', 40).notNullable();
    t.decimal('rule_amount', 18, 2).notNullable();
    t.decimal('amount', 18, 2).notNullable();
    t.string('rule', 300).notNullable();
    // included | excluded (by a reviewer or over the district quota) | removed (an upheld objection)
    t.string('status', 10).notNullable();
    t.string('review_note', 500);
    t.string('reviewed_by', 100);
    t.timestamp('reviewed_at', { useTz: true });
    // unpaid | paid (posted, bank result pending) | confirmed (bank success or cash) | returned (bank failure: payable open)
    t.string('pay_state', 10).notNullable().defaultTo('unpaid');
    t.integer('pay_attempt').notNullable().defaultTo(0);
    t.integer('entry_id');
    t.string('entry_number', 20);
    t.date('paid_date');
    t.string('pay_method', 8);
    t.string('bank_reason', 200);
    t.unique(['campaign_id', 'line_no']);
    t.unique(['campaign_id', 'household_id']);
    t.index(['campaign_id', 'district']);
  });
  await knex.raw(`ALTER TABLE campaign_lines ADD CONSTRAINT campaign_lines_status_known CHECK (status IN ('included','excluded','removed'))`);
  await knex.raw(`ALTER TABLE campaign_lines ADD CONSTRAINT campaign_lines_pay_state_known CHECK (pay_state IN ('unpaid','paid','confirmed','returned'))`);
  await knex.raw(`ALTER TABLE campaign_lines ADD CONSTRAINT campaign_lines_amount_positive CHECK (amount > 0 AND rule_amount > 0)`);
  // Money moved only on included lines.
  await knex.raw(`ALTER TABLE campaign_lines ADD CONSTRAINT campaign_lines_paid_included CHECK (pay_state = 'unpaid' OR status = 'included')`);

  await knex.schema.createTable('campaign_events', (t) => {
    t.bigIncrements('id');
    t.integer('campaign_id').notNullable().references('campaigns.id').index();
    t.string('action', 32).notNullable();
    t.string('from_status', 12);
    t.string('to_status', 12).notNullable();
    t.integer('actor_id');
    t.string('actor', 100).notNullable();
    t.decimal('amount', 18, 2);
    t.string('note', 2000);
    t.timestamp('at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('campaign_approvals', (t) => {
    t.integer('campaign_id').notNullable().references('campaigns.id');
    t.integer('approver_id').notNullable();
    t.string('approver', 100).notNullable();
    t.decimal('total', 18, 2).notNullable();
    t.timestamp('at', { useTz: true }).notNullable();
    t.primary(['campaign_id', 'approver_id']);
  });

  await knex.schema.createTable('campaign_objections', (t) => {
    t.increments('id');
    t.integer('campaign_id').notNullable().references('campaigns.id');
    t.integer('line_id').notNullable().references('campaign_lines.id');
    t.string('text', 2000).notNullable();
    t.text('contact_sealed');
    t.string('status', 10).notNullable().defaultTo('open');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.integer('resolved_by');
    t.timestamp('resolved_at', { useTz: true });
    t.string('resolution_note', 2000);
    t.index(['campaign_id', 'status']);
  });
  await knex.raw(`ALTER TABLE campaign_objections ADD CONSTRAINT campaign_objections_status_known CHECK (status IN ('open','upheld','dismissed'))`);
}

export async function down(knex: Knex) {
  for (const t of ['campaign_objections', 'campaign_approvals', 'campaign_events', 'campaign_lines', 'campaigns']) await knex.schema.dropTableIfExists(t);
}
