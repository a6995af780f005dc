import type { Knex } from 'knex';

// Households (hardship worker files), their income assessments, their history, and the yearly exit target.
// ID numbers, phones and addresses are stored only encrypted (AES-256-GCM, DATA_KEY); the ID number also as a
// keyed hash so that "one active file per ID number" is a unique index without decrypting anything.
export async function up(knex: Knex) {
  await knex.schema.createTable('households', (t) => {
    t.increments('id');
    t.string('head_name', 50).notNullable();
    t.text('id_number_enc').notNullable();
    t.string('id_number_hash', 64).notNullable();
    t.text('phone_enc');
    t.text('address_enc');
    t.string('district', 8).notNullable().references('districts.code');
    t.string('union_org', 200);
    t.jsonb('members').notNullable().defaultTo('[]');
    t.decimal('monthly_income', 18, 2).notNullable();
    t.integer('member_count').notNullable();
    t.string('category', 16).notNullable();
    t.specificType('causes', 'text[]').notNullable();
    t.text('notes');
    t.string('status', 16).notNullable().defaultTo('registered');
    t.date('status_date').notNullable();
    t.string('created_by', 100).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['district', 'status']);
    t.index(['status']);
  });
  await knex.raw(`
    ALTER TABLE households
      ADD CONSTRAINT households_category CHECK (category IN ('deep','relative','accidental')),
      ADD CONSTRAINT households_status CHECK (status IN ('registered','assisted','exited','returned','archived')),
      ADD CONSTRAINT households_causes CHECK (cardinality(causes) > 0 AND causes <@ ARRAY['illness','disability','education','unemployment','single_parent','disaster','other']::text[]),
      ADD CONSTRAINT households_income CHECK (monthly_income >= 0),
      ADD CONSTRAINT households_members CHECK (member_count BETWEEN 1 AND 30);
    CREATE UNIQUE INDEX households_one_active_file ON households (id_number_hash) WHERE status <> 'archived';
    CREATE INDEX households_head_name ON households (head_name text_pattern_ops);
  `);

  await knex.schema.createTable('household_assessments', (t) => {
    t.increments('id');
    t.integer('household_id').notNullable().references('households.id');
    t.date('date').notNullable();
    t.decimal('monthly_income', 18, 2).notNullable();
    t.integer('member_count').notNullable();
    t.decimal('rigid_expenses', 18, 2).notNullable();
    t.decimal('per_capita_income', 18, 2).notNullable();
    t.string('evidence', 1000);
    t.string('created_by', 100).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['household_id', 'date']);
  });
  await knex.raw(`
    ALTER TABLE household_assessments
      ADD CONSTRAINT household_assessments_amounts CHECK (monthly_income >= 0 AND rigid_expenses >= 0 AND per_capita_income >= 0 AND member_count BETWEEN 1 AND 30)
  `);

  // The file's history: creation, every changed field, assessments and every status transition.
  await knex.schema.createTable('household_events', (t) => {
    t.bigIncrements('id');
    t.integer('household_id').notNullable().references('households.id');
    t.string('kind', 16).notNullable(); // created | updated | assessed | transition
    t.string('from_status', 16);
    t.string('to_status', 16);
    t.date('date');
    t.string('actor', 100).notNullable();
    t.timestamp('at', { useTz: true }).notNullable();
    t.string('reason', 1000);
    t.string('evidence', 1000);
    t.jsonb('changes');
    t.index(['household_id', 'id']);
  });
  // The tracker reads exits and returns by date.
  await knex.raw(`CREATE INDEX household_events_status_by_date ON household_events (date) WHERE kind = 'transition' AND to_status IN ('exited','returned')`);

  await knex.schema.createTable('household_targets', (t) => {
    t.integer('year').primary();
    t.integer('target').notNullable();
    t.jsonb('quotas').notNullable().defaultTo('{}');
    t.string('updated_by', 100).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
  });

  // Optional per-district exit thresholds (per person per month); a district without a row uses EXIT_INCOME_THRESHOLD.
  await knex.schema.createTable('household_exit_thresholds', (t) => {
    t.string('district', 8).primary().references('districts.code');
    t.decimal('threshold', 18, 2).notNullable();
  });
}

export async function down(knex: Knex) {
  for (const t of ['household_exit_thresholds', 'household_targets', 'household_events', 'household_assessments', 'households']) await knex.schema.dropTableIfExists(t);
}
