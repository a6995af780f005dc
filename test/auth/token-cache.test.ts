import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import pino from 'pino';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp } from '../../src/app';
import { startTokenCache } from '../../src/auth';
import { apiAt, adminToken, userToken } from '../support/api';
import { testService } from '../support/env';

/** The token check as a query count: how many times an instance asked the database for a token's session. */
function countSessionQueries(db: Knex) {
  const counter = { n: 0 };
  db.on('query', (q: { sql: string }) => {
    if (/from "sessions"/.test(q.sql)) counter.n++;
  });
  return counter;
}

async function until(check: () => Promise<boolean>, ms = 3000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** A second instance of the service on the same database: its own pool, its own token cache, its own port. */
async function secondInstance() {
  const ctx = testService().ctx;
  const settings = (ctx.db.client as { connectionSettings: pg.ClientConfig }).connectionSettings;
  const db = knexFactory({ client: 'pg', connection: settings as Knex.PgConnectionConfig, pool: { min: 0, max: 4 } });
  const cache = await startTokenCache(db, 30, pino({ level: 'silent' }));
  const server: Server = createApp({ ...ctx, db, log: pino({ level: 'silent' }) }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    db,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.close();
      await cache.stop();
      await db.destroy();
    },
  };
}

describe('token check cache (TOKEN_CACHE_SECONDS)', () => {
  const main = () => testService().url;

  it('answers a known token from memory: one database check for several requests', async () => {
    const u = await userToken(['auditor']);
    const counter = countSessionQueries(testService().ctx.db);
    for (let i = 0; i < 5; i++) expect((await apiAt(main(), 'GET', '/auth/me', { token: u.token })).status).to.equal(200);
    expect(counter.n).to.be.at.most(1);
  });

  it('a logout, a disabling or a change of rights is refused at once on the same instance', async () => {
    const a = await userToken(['auditor']);
    expect((await apiAt(main(), 'GET', '/auth/me', { token: a.token })).status).to.equal(200);
    expect((await apiAt(main(), 'POST', '/auth/logout', { token: a.token })).status).to.equal(200);
    expect((await apiAt(main(), 'GET', '/auth/me', { token: a.token })).status).to.equal(401);

    const b = await userToken(['finance']);
    expect((await apiAt(main(), 'GET', '/auth/me', { token: b.token })).status).to.equal(200);
    expect((await apiAt(main(), 'PATCH', `/users/${b.id}`, { token: await adminToken(), body: { roles: ['auditor'] } })).status).to.equal(200);
    const me = await apiAt(main(), 'GET', '/auth/me', { token: b.token });
    expect(me.body.roles).to.deep.equal(['auditor']);
  });

  it('another instance drops its cached token as soon as the revocation commits (LISTEN/NOTIFY)', async () => {
    const other = await secondInstance();
    try {
      const u = await userToken(['auditor']);
      expect((await apiAt(other.url, 'GET', '/auth/me', { token: u.token })).status).to.equal(200);
      const counter = countSessionQueries(other.db);
      expect((await apiAt(other.url, 'GET', '/auth/me', { token: u.token })).status).to.equal(200);
      expect(counter.n, 'the second request came from the cache').to.equal(0);
      expect((await apiAt(main(), 'POST', '/auth/logout', { token: u.token })).status).to.equal(200);
      expect(await until(async () => (await apiAt(other.url, 'GET', '/auth/me', { token: u.token })).status === 401, 1000)).to.equal(true);
    } finally {
      await other.close();
    }
  });

  it('a revocation by hand in SQL reaches the cache too', async () => {
    const u = await userToken(['auditor']);
    expect((await apiAt(main(), 'GET', '/auth/me', { token: u.token })).status).to.equal(200);
    const owner = new pg.Client({ connectionString: testService().ownerUrl });
    await owner.connect();
    try {
      await owner.query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1', [u.id]);
    } finally {
      await owner.end();
    }
    expect(await until(async () => (await apiAt(main(), 'GET', '/auth/me', { token: u.token })).status === 401, 1000)).to.equal(true);
  });

  it('while the listening connection is lost, every request asks the database; the cache comes back after reconnecting', async () => {
    const other = await secondInstance();
    const owner = new pg.Client({ connectionString: testService().superuserUrl ?? testService().ownerUrl });
    await owner.connect();
    try {
      const u = await userToken(['auditor']);
      expect((await apiAt(other.url, 'GET', '/auth/me', { token: u.token })).status).to.equal(200);
      const counter = countSessionQueries(other.db);
      // Only this instance's listener (the main service's is on another pool, started before).
      const { rows } = await owner.query(
        `SELECT pid FROM pg_stat_activity WHERE application_name = 'warmth-ledger-auth-listener' AND datname = current_database() ORDER BY backend_start DESC LIMIT 1`,
      );
      expect(rows).to.have.length(1);
      await owner.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
      await new Promise((r) => setTimeout(r, 100));
      for (let i = 0; i < 3; i++) expect((await apiAt(other.url, 'GET', '/auth/me', { token: u.token })).status).to.equal(200);
      expect(counter.n, 'no cache while not listening').to.be.at.least(3);
      // Reconnected (about a second later): cached again.
      expect(
        await until(async () => {
          const before = counter.n;
          await apiAt(other.url, 'GET', '/auth/me', { token: u.token });
          await apiAt(other.url, 'GET', '/auth/me', { token: u.token });
          return counter.n - before <= 1;
        }, 4000),
      ).to.equal(true);
    } finally {
      await owner.end();
      await other.close();
    }
  });
});
