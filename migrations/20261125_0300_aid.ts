import type { Knex } from 'knex';

// Emergency-aid cases (DESIGN §4): the case, its timeline, approvals, public objections.
export async function up(knex: Knex) {
  await knex.schema.createTable('aid_case_counters', (t) => {
    t.integer('year').notNullable();
    t.string('district', 8).notNullable();
    t.integer('last').notNullable();
    t.primary(['year', 'district']);
  });

  await knex.schema.createTable('aid_cases', (t) => {
    t.increments('id');
    t.string('case_no', 20).notNullable().unique();
    t.integer('household_id').notNullable().index();
    t.string('masked_name', 40).notNullable();
    t.string('district', 8).notNullable().references('districts.code');
    t.string('fund', 40).notNullable();
    t.string('reason', 20).notNullable();
    t.string('description', 2000).notNullable();
    t.decimal('requested_amount', 18, 2).notNullable();
    t.decimal('recommended_amount', 18, 2);
    t.decimal('approved_amount', 18, 2);
    t.boolean('urgent').notNullable().defaultTo(false);
    t.string('status', 12).notNullable();
    t.jsonb('attachments').notNullable().defaultTo('[]');
    t.integer('created_by').notNullable();
    t.integer('reviewed_by');
    t.timestamp('notice_start', { useTz: true });
    t.timestamp('notice_end', { useTz: true });
    t.boolean('paid_before_notice').notNullable().defaultTo(false);
    t.date('paid_date');
    t.string('payment_ref', 100);
    t.string('recovery_note', 2000);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['status', 'notice_end']);
    t.index(['district', 'status']);
    t.index(['paid_date']);
  });
  await knex.raw(`ALTER TABLE aid_cases ADD CONSTRAINT aid_status_known CHECK (status IN
    ('draft','submitted','reviewed','approved','in_notice','payable','paid','rejected','withdrawn','cancelled'))`);
  await knex.raw(`ALTER TABLE aid_cases ADD CONSTRAINT aid_amounts_positive CHECK (requested_amount > 0
    AND (recommended_amount IS NULL OR recommended_amount > 0) AND (approved_amount IS NULL OR approved_amount > 0))`);
  // A paid case has its amount, date and payment reference; nothing else is ever 'paid'.
  await knex.raw(`ALTER TABLE aid_cases ADD CONSTRAINT aid_paid_complete CHECK (status <> 'paid'
    OR (approved_amount IS NOT NULL AND paid_date IS NOT NULL AND payment_ref IS NOT NULL))`);

  await knex.schema.createTable('aid_case_events', (t) => {
    t.bigIncrements('id');
    t.integer('case_id').notNullable().references('aid_cases.id').index();
    t.string('action', 32).notNullable();
    t.string('from_status', 12);
    t.string('to_status', 12).notNullable();
    t.integer('actor_id');
    t.string('actor', 100).notNullable();
    t.decimal('amount', 18, 2);
    t.string('note', 2000);
    t.timestamp('at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('aid_approvals', (t) => {
    t.integer('case_id').notNullable().references('aid_cases.id');
    t.integer('approver_id').notNullable();
    t.string('approver', 100).notNullable();
    t.decimal('amount', 18, 2).notNullable();
    t.timestamp('at', { useTz: true }).notNullable();
    t.primary(['case_id', 'approver_id']);
  });

  await knex.schema.createTable('aid_objections', (t) => {
    t.increments('id');
    t.integer('case_id').notNullable().references('aid_cases.id').index();
    t.string('text', 2000).notNullable();
    t.text('contact_sealed');
    t.string('status', 10).notNullable().defaultTo('open');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.integer('resolved_by');
    t.timestamp('resolved_at', { useTz: true });
    t.string('resolution_note', 2000);
  });
  await knex.raw(`ALTER TABLE aid_objections ADD CONSTRAINT aid_objection_status CHECK (status IN ('open','upheld','dismissed'))`);
}

export async function down(knex: Knex) {
  for (const t of ['aid_objections', 'aid_approvals', 'aid_case_events', 'aid_cases', 'aid_case_counters']) await knex.schema.dropTable(t);
}
