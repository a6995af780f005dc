import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import type { Knex } from 'knex';
import { testService, freePort, ADMIN, startIsolatedService, testEnv } from '../support/env';
import { api } from '../support/api';
import { fundWithMoney } from '../support/fixtures';
import { checkLeastPrivilege, createKnex, migrateToLatest } from '../../src/platform/db';
import { loadConfig, ConfigError } from '../../src/platform/config';
import { startEmbeddedDb, OWNER_ROLE } from '../../src/platform/embedded-db';
import { startService } from '../../src/server';

// Issue 12, least privilege: the service works as a role that owns nothing, so it cannot switch off the
// audit log's protections; migrations run as the owner. These tests talk to the real PostgreSQL.

/** The SQLSTATE a statement fails with, or null if it ran. */
async function failure(db: Knex, sql: string): Promise<string | null> {
  try {
    await db.transaction(async (trx) => {
      await trx.raw(sql);
    });
    return null;
  } catch (e) {
    return (e as { code?: string }).code ?? 'unknown';
  }
}

/** A fresh, empty database on the test server, made by its superuser; dropped by the returned function. */
async function freshDatabase() {
  const superuser = testService().superuserUrl;
  if (!superuser) throw new Error('the test service has no superuser URL');
  const name = `warmth_roles_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: superuser });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(superuser);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: superuser });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

describe('database roles: the service works as a role that owns nothing', function () {
  this.timeout(120_000);

  it('the working role cannot switch off triggers, set replica mode, change the immutable tables, truncate, alter or drop', async () => {
    const db = testService().ctx.db;
    // Something to aim at: the newest audit row and journal entry exist once a fund has been made.
    await fundWithMoney('1.00');
    const attempts: [string, string][] = [
      ['ALTER TABLE audit_log DISABLE TRIGGER ALL', '42501'],
      ['ALTER TABLE audit_log DISABLE TRIGGER USER', '42501'],
      ['ALTER TABLE journal_lines DISABLE TRIGGER journal_lines_immutable', '42501'],
      ['SET session_replication_role = replica', '42501'],
      ['SET LOCAL session_replication_role = replica', '42501'],
      // 42501 (no privilege), not the trigger's refusal: the grant alone stops it.
      [`UPDATE audit_log SET actor = 'someone else' WHERE seq = (SELECT max(seq) FROM audit_log)`, '42501'],
      ['DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)', '42501'],
      [`UPDATE journal_entries SET description = 'x' WHERE id = (SELECT max(id) FROM journal_entries)`, '42501'],
      ['DELETE FROM journal_lines WHERE id = (SELECT max(id) FROM journal_lines)', '42501'],
      ['DELETE FROM journal_entries WHERE id = (SELECT max(id) FROM journal_entries)', '42501'],
      // No UPDATE on any column of journal_entries, so not even a row lock on an entry (reversals use an advisory lock).
      [`UPDATE journal_entries SET id = id WHERE id = (SELECT max(id) FROM journal_entries)`, '42501'],
      ['SELECT id FROM journal_entries WHERE id = (SELECT max(id) FROM journal_entries) FOR UPDATE', '42501'],
      ['TRUNCATE audit_log', '42501'],
      ['TRUNCATE sessions', '42501'],
      ['TRUNCATE ledger_balances', '42501'],
      ['ALTER TABLE users ADD COLUMN sneaky text', '42501'],
      ['DROP TABLE idempotency_keys', '42501'],
      ['CREATE TABLE sneaky (id int)', '42501'],
      ['CREATE TRIGGER sneaky BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_change()', '42501'],
      ['CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$', '42501'],
      [`ALTER ROLE ${(await db.raw('SELECT current_user AS r')).rows[0].r} SUPERUSER`, '42501'],
    ];
    for (const [sql, code] of attempts) expect(await failure(db, sql), sql).to.equal(code);
    const update = await db.raw(`SELECT has_any_column_privilege(current_user, 'journal_entries', 'UPDATE') AS any_column, has_table_privilege(current_user, 'journal_entries', 'UPDATE') AS whole`);
    expect(update.rows[0]).to.deep.equal({ any_column: false, whole: false });
  });

  it('the working role is no superuser, owns no table, function, sequence or the database, and is not the owner URL', async () => {
    const db = testService().ctx.db;
    const { rows } = await db.raw(`
      SELECT r.rolname, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls,
        (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relowner = r.oid) AS relations,
        (SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.proowner = r.oid) AS functions,
        (SELECT datdba = r.oid FROM pg_database WHERE datname = current_database()) AS owns_database,
        (SELECT count(*)::int FROM pg_auth_members m WHERE m.member = r.oid) AS memberships
      FROM pg_roles r WHERE r.rolname = current_user`);
    expect(rows[0]).to.include({ rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolbypassrls: false, relations: 0, functions: 0, owns_database: false, memberships: 0 });
    const check = await checkLeastPrivilege(db);
    expect(check.problems).to.deep.equal([]);
    expect(check.leastPrivilege).to.equal(true);

    // The owner URL is the real owner: it owns audit_log and may do what the working role may not.
    const owner = createKnex(testService().ownerUrl, { min: 0, max: 1 });
    try {
      const o = (await owner.raw(`SELECT current_user AS me, pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname = 'audit_log' AND relnamespace = 'public'::regnamespace`)).rows[0];
      expect(o.me).to.equal(o.owner);
      expect(o.me).to.not.equal(rows[0].rolname);
      expect(await failure(owner, 'ALTER TABLE audit_log DISABLE TRIGGER USER; ALTER TABLE audit_log ENABLE TRIGGER USER')).to.equal(null);
    } finally {
      await owner.destroy();
    }
  });

  it('still does its work as that role: writes, a reversal, deletes where the code deletes, and /health says least privilege', async () => {
    const { fund, finance: fin } = await fundWithMoney('10.00'); // users, funds, a donation: writes of every kind
    const today = new Date().toISOString().slice(0, 10);
    const give = await api('POST', '/journal-entries', { token: fin, body: { date: today, description: '划转', lines: [{ account: '1001', fund, debit: '1.00' }, { account: '1002', fund, credit: '1.00' }] } });
    expect(give.status, give.text).to.equal(201);
    // reverseEntry queues concurrent reversals on an advisory lock keyed on the entry id: no UPDATE right needed.
    const rev = await api('POST', `/journal-entries/${give.body.id}/reverse`, { token: fin, body: { date: today, reason: '权限测试' } });
    expect(rev.status, rev.text).to.equal(201);
    const out = await api('POST', '/auth/logout', { token: fin });
    expect(out.status).to.be.below(300);
    const health = await api('GET', '/health');
    expect(health.body).to.deep.include({ status: 'ok', database: 'ok', databaseRole: { leastPrivilege: true } });
  });

  it('a second instance given only the working role (migrations done by the owner) starts and says least privilege', async () => {
    const appUrl = (testService().ctx.db.client.config.connection as { connectionString: string }).connectionString;
    const { service: svc, stop } = await startIsolatedService({ DATABASE_URL: appUrl, DATABASE_OWNER_URL: undefined });
    try {
      const health = (await (await fetch(`${svc.url}/health`)).json()) as any;
      expect(health.databaseRole).to.deep.equal({ leastPrivilege: true });
      expect(svc.ownerUrl, 'no owner URL to hand out').to.equal(appUrl);
    } finally {
      await stop();
    }
  });

  it('with only a superuser DATABASE_URL: works, logs the warning at start, /health says leastPrivilege false', async () => {
    const fresh = await freshDatabase();
    const lines: string[] = [];
    const logTo = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    try {
      const { service: svc, stop } = await startIsolatedService({ DATABASE_URL: fresh.url, DATABASE_OWNER_URL: undefined, LOG_LEVEL: 'info' }, { logTo });
      try {
        const warning = lines.map((l) => JSON.parse(l)).find((l) => l.level === 40);
        expect(warning, lines.join('')).to.not.equal(undefined);
        expect(warning.msg).to.match(/is a superuser/).and.match(/DATABASE_OWNER_URL/);
        const health = (await (await fetch(`${svc.url}/health`)).json()) as any;
        expect(health).to.include({ status: 'ok', database: 'ok' });
        expect(health.databaseRole.leastPrivilege).to.equal(false);
        expect(health.databaseRole.warning).to.match(/owner or superuser/);
      } finally {
        await stop();
      }
    } finally {
      await fresh.drop();
    }
  });

  it('with NODE_ENV=production and only a superuser DATABASE_URL: refuses to start with one line, exit 2, before migrating', async () => {
    const fresh = await freshDatabase();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warmth-roles-'));
    try {
      const env = await testEnv({ DATABASE_URL: fresh.url, DATABASE_OWNER_URL: undefined, NODE_ENV: 'production' }, dir);
      let refused: unknown;
      await startService(loadConfig(env)).then((s) => s.stop(), (e) => (refused = e));
      expect(refused).to.be.instanceOf(ConfigError);
      expect((refused as Error).message).to.match(/NODE_ENV=production/).and.match(/superuser/);

      const r = spawnSync(process.execPath, ['--import=tsx', 'src/server.ts'], { env, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).to.equal(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(/^configuration: refused with NODE_ENV=production: .*superuser/);
      const c = new pg.Client({ connectionString: fresh.url });
      await c.connect();
      const tables = await c.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`);
      await c.end();
      expect(tables.rows[0].n, 'nothing was migrated').to.equal(0);
    } finally {
      await fresh.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an embedded data folder of an earlier version (tables owned by postgres) keeps working: ownership moves to the owner role', async function () {
    this.timeout(180_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warmth-legacy-'));
    fs.chmodSync(dir, 0o755);
    const port = await freePort();
    try {
      // The earlier version: everything migrated and owned by the bootstrap superuser.
      const old = await startEmbeddedDb({ dataDir: dir, port, database: 'warmth', fast: true });
      const legacy = createKnex(old.url, { min: 0, max: 1 });
      try {
        await legacy.raw(`ALTER DATABASE warmth OWNER TO postgres`);
        await legacy.raw(`REASSIGN OWNED BY ${OWNER_ROLE} TO postgres`);
        await migrateToLatest(legacy);
        await legacy.raw(`CREATE SEQUENCE legacy_free_sequence`);
        const owners = await legacy.raw(`SELECT DISTINCT pg_get_userbyid(relowner) AS o FROM pg_class WHERE relnamespace = 'public'::regnamespace`);
        expect(owners.rows.map((r: any) => r.o)).to.deep.equal(['postgres']);
      } finally {
        await legacy.destroy();
        await old.stop();
      }

      const { service: svc, stop } = await startIsolatedService({ DATABASE_URL: undefined, DATABASE_OWNER_URL: undefined, DATA_DIR: dir, EMBEDDED_PG_PORT: String(port) });
      try {
        const login = await fetch(`${svc.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
        expect(login.status, 'the admin made at start as the working role can log in (a write)').to.equal(200);
        const health = (await (await fetch(`${svc.url}/health`)).json()) as any;
        expect(health.databaseRole).to.deep.equal({ leastPrivilege: true });
        const su = createKnex(svc.superuserUrl!, { min: 0, max: 1 });
        try {
          const owners = await su.raw(`
            SELECT DISTINCT pg_get_userbyid(relowner) AS o FROM pg_class WHERE relnamespace = 'public'::regnamespace
            UNION SELECT DISTINCT pg_get_userbyid(proowner) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
            UNION SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'warmth'`);
          expect(owners.rows.map((r: any) => r.o)).to.deep.equal([OWNER_ROLE]);
        } finally {
          await su.destroy();
        }
      } finally {
        await stop();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
