import type { Knex } from 'knex';

// Reference data, users and sessions, the audit chain and idempotency keys: what every domain stands on.
const DISTRICTS: [string, string, string][] = [
  ['DC', '东城区', 'Dongcheng'], ['XC', '西城区', 'Xicheng'], ['CY', '朝阳区', 'Chaoyang'], ['HD', '海淀区', 'Haidian'],
  ['FT', '丰台区', 'Fengtai'], ['SJS', '石景山区', 'Shijingshan'], ['MTG', '门头沟区', 'Mentougou'], ['FS', '房山区', 'Fangshan'],
  ['TZ', '通州区', 'Tongzhou'], ['SY', '顺义区', 'Shunyi'], ['CP', '昌平区', 'Changping'], ['DX', '大兴区', 'Daxing'],
  ['HR', '怀柔区', 'Huairou'], ['PG', '平谷区', 'Pinggu'], ['MY', '密云区', 'Miyun'], ['YQ', '延庆区', 'Yanqing'],
];

export async function up(knex: Knex) {
  await knex.schema.createTable('districts', (t) => {
    t.string('code', 8).primary();
    t.string('name_zh', 32).notNullable();
    t.string('name_en', 64).notNullable();
    t.integer('sort').notNullable();
  });
  await knex('districts').insert(DISTRICTS.map(([code, zh, en], i) => ({ code, name_zh: zh, name_en: en, sort: i + 1 })));

  await knex.schema.createTable('meta', (t) => {
    t.string('key', 64).primary();
    t.text('value').notNullable();
  });

  await knex.schema.createTable('users', (t) => {
    t.increments('id');
    t.string('username', 64).notNullable().unique();
    t.string('password_hash', 100).notNullable();
    t.string('display_name', 100).notNullable();
    t.specificType('roles', 'text[]').notNullable();
    t.string('district', 8).references('districts.code');
    t.boolean('disabled').notNullable().defaultTo(false);
    t.integer('failed_logins').notNullable().defaultTo(0);
    t.timestamp('locked_until', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`ALTER TABLE users ADD CONSTRAINT users_roles_known CHECK (roles <@ ARRAY['admin','officer','approver','finance','auditor']::text[] AND cardinality(roles) > 0)`);
  await knex.raw(`ALTER TABLE users ADD CONSTRAINT users_officer_has_district CHECK (NOT ('officer' = ANY(roles)) OR district IS NOT NULL)`);

  await knex.schema.createTable('sessions', (t) => {
    t.string('token_hash', 64).primary();
    t.integer('user_id').notNullable().references('users.id');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('revoked_at', { useTz: true });
  });

  // The chain: one row per write, gapless seq, never changed (see docs/audit-chain.md for the hash).
  await knex.schema.createTable('audit_log', (t) => {
    t.bigInteger('seq').primary();
    t.timestamp('time', { useTz: true }).notNullable();
    t.string('actor', 100).notNullable();
    t.string('action', 64).notNullable();
    t.string('subject', 100).notNullable();
    t.text('public_payload');
    t.text('private_payload').notNullable();
    t.string('private_digest', 64).notNullable();
    t.string('prev_hash', 64).notNullable();
    t.string('hash', 64).notNullable();
    t.index(['subject']);
    t.index(['time']);
  });
  await knex.raw('ALTER TABLE audit_log ADD CONSTRAINT audit_seq_positive CHECK (seq > 0)');
  // The single row every append locks: it serialises appends so the chain can never fork.
  await knex.schema.createTable('audit_head', (t) => {
    t.integer('id').primary();
    t.bigInteger('seq').notNullable();
    t.string('hash', 64).notNullable();
  });
  await knex.raw(`ALTER TABLE audit_head ADD CONSTRAINT audit_head_single CHECK (id = 1)`);
  await knex('audit_head').insert({ id: 1, seq: 0, hash: '0'.repeat(64) });
  await knex.raw(`
    CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% of % is refused: its rows are immutable', TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
    END $$;
    CREATE TRIGGER audit_log_immutable BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
  `);

  await knex.schema.createTable('idempotency_keys', (t) => {
    t.integer('user_id').notNullable();
    t.string('key', 200).notNullable();
    t.string('request_hash', 64).notNullable();
    t.integer('response_status');
    t.jsonb('response_body');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['user_id', 'key']);
  });
}

export async function down() {
  throw new Error('the platform migration is not reversible: audit rows are immutable');
}
