import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { loadConfig, parseIsoDuration } from '../../src/platform/config';
import { testService } from '../support/env';
import { seedDemoData } from '../../seeds';
import { seedUsers } from '../../seeds/users';

const base = { DATA_DIR: '/tmp/warmth-config-test', AUDIT_SECRET: 'x'.repeat(20), DATA_KEY: 'ab'.repeat(32) };

describe('configuration', () => {
  it('takes the documented defaults (docs/api.md, README)', () => {
    const c = loadConfig(base);
    expect(c.port).to.equal(3000);
    expect(c.noticePeriodMs).to.equal(7 * 24 * 3600 * 1000);
    expect(c.demoData).to.equal(true);
    expect(c.exitIncomeThreshold).to.equal('1450.00');
  });

  it('reads ISO-8601 notice periods, PT5S included', () => {
    expect(parseIsoDuration('PT5S')).to.equal(5000);
    expect(parseIsoDuration('P1DT2H')).to.equal(26 * 3600 * 1000);
    expect(parseIsoDuration('PT0.5S')).to.equal(500);
    expect(parseIsoDuration('P')).to.equal(null);
    expect(parseIsoDuration('7 days')).to.equal(null);
    expect(loadConfig({ ...base, NOTICE_PERIOD: 'PT5S' }).noticePeriodMs).to.equal(5000);
  });

  for (const [name, value] of [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['NOTICE_PERIOD', 'seven days'],
    ['LOG_LEVEL', 'loud'],
    ['DEMO_DATA', 'maybe'],
    ['DATA_KEY', 'short'],
    ['DATABASE_URL', 'mysql://x'],
    ['TRUST_PROXY', 'x;rm -rf'],
  ]) {
    it(`refuses ${name}=${value} with a message naming the variable`, () => {
      expect(() => loadConfig({ ...base, [name]: value })).to.throw(new RegExp(name));
    });
  }

  it('needs AUDIT_SECRET and DATA_KEY with DATABASE_URL in production', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u@h/db', NODE_ENV: 'production', DATA_DIR: '/tmp/x' })).to.throw(/AUDIT_SECRET/);
  });

  it('DEMO_DATA defaults to off in production, and on is refused there (demo users have a published password)', () => {
    expect(loadConfig({ ...base, NODE_ENV: 'production' }).demoData).to.equal(false);
    expect(loadConfig({ ...base, NODE_ENV: 'production', DEMO_DATA: 'off' }).demoData).to.equal(false);
    expect(loadConfig({ ...base, DEMO_DATA: 'on' }).demoData).to.equal(true);
    expect(() => loadConfig({ ...base, NODE_ENV: 'production', DEMO_DATA: 'on' })).to.throw(/DEMO_DATA.*production/);
  });

  it('takes DATABASE_OWNER_URL for migrations beside DATABASE_URL, and only with it', () => {
    const c = loadConfig({ ...base, DATABASE_URL: 'postgres://app:x@db/warmth', DATABASE_OWNER_URL: 'postgres://owner:y@db/warmth' });
    expect(c).to.include({ databaseUrl: 'postgres://app:x@db/warmth', databaseOwnerUrl: 'postgres://owner:y@db/warmth' });
    expect(() => loadConfig({ ...base, DATABASE_OWNER_URL: 'postgres://owner:y@db/warmth' })).to.throw(/DATABASE_OWNER_URL/);
    expect(() => loadConfig({ ...base, DATABASE_URL: 'postgres://app:x@db/warmth', DATABASE_OWNER_URL: 'mysql://owner' })).to.throw(/DATABASE_OWNER_URL/);
  });

  it('refuses DEMO_DATA=on in production at start with one line and exit 2, and demo data can never be loaded there', async function () {
    this.timeout(30_000);
    const env: NodeJS.ProcessEnv = { ...process.env, ...base, NODE_ENV: 'production', DEMO_DATA: 'on' };
    delete env.DATABASE_URL;
    const r = spawnSync(process.execPath, ['--import=tsx', 'src/server.ts'], { env, encoding: 'utf8' });
    expect(r.status).to.equal(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/DEMO_DATA/);
    // Behind the configuration, the seeds refuse too (npm run seed, or a config built by hand).
    const ctx = testService().ctx;
    let refused = '';
    await seedDemoData({ ...ctx, config: { ...ctx.config, nodeEnv: 'production', demoData: true } }).catch((e) => (refused = e.message));
    expect(refused).to.match(/production/);
    const before = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      refused = '';
      await ctx.db.transaction((trx) => seedUsers(trx)).catch((e) => (refused = e.message));
      expect(refused).to.match(/production/);
    } finally {
      if (before === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = before;
    }
    expect(await ctx.db('users').where({ username: 'officer.cy2' }).first()).to.equal(undefined);
  });

  it('needs ADMIN_USERNAME and ADMIN_PASSWORD together', () => {
    expect(() => loadConfig({ ...base, ADMIN_USERNAME: 'boss' })).to.throw(/ADMIN_PASSWORD/);
  });

  it('stops the service with one clear line and a non-zero exit on a bad value', function () {
    this.timeout(30_000);
    const r = spawnSync(process.execPath, ['--import=tsx', 'src/server.ts'], { env: { ...process.env, PORT: 'not-a-port', DATABASE_URL: '' }, encoding: 'utf8' });
    expect(r.status).to.equal(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/PORT/);
  });
});
