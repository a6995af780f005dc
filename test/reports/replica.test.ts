import { expect } from 'chai';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Response } from 'express';
import pino from 'pino';
import { createApp } from '../../src/app';
import { createKnex } from '../../src/platform/db';
import { loadConfig } from '../../src/platform/config';
import { startService, type RunningService } from '../../src/server';
import { stateAsOf, reportsReaderOf } from '../../src/reports/replica';
import { auditHead } from '../../src/audit';
import { apiAt, auditSeq, userToken } from '../support/api';
import { freePort, testEnv, testService } from '../support/env';
import { pdfText, squash } from './support';

// REPORTS_DATABASE_URL: the read-only report queries on their own pool (a replica in production; here the same
// server as the working role, told apart by its application_name), the figures stated at the head that pool
// has reached, and a clear 503 when it does not answer.

const urlOf = (db: Knex) => (db.client.config as { connection: { connectionString: string } }).connection.connectionString;
const year = () => new Date().getFullYear();

describe('reports on a replica (REPORTS_DATABASE_URL)', function () {
  this.timeout(120_000);
  let svc: RunningService;
  let dir: string;

  before(async () => {
    const base = testService();
    const appUrl = urlOf(base.ctx.db);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warmth-replica-'));
    const env = await testEnv({ DATABASE_URL: appUrl, DATABASE_OWNER_URL: base.ownerUrl === appUrl ? undefined : base.ownerUrl, REPORTS_DATABASE_URL: appUrl }, dir);
    svc = await startService(loadConfig(env));
  });
  after(async () => {
    await svc?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const reportsConnections = async () =>
    Number((await testService().ctx.db.raw(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'warmth-ledger-reports'`)).rows[0].n);

  it('a public PDF is read on the reports pool and printed at the head that pool reached; the publication names the same head', async () => {
    expect(svc.ctx.reportsDb).to.not.equal(undefined);
    const res = await fetch(`${svc.url}/api/v1/reports/aid-disclosure.pdf?from=${year()}-01-01&to=${year()}-12-31`);
    expect(res.status).to.equal(200);
    const buf = Buffer.from(await res.arrayBuffer());
    expect(res.headers.get('x-reports-database')).to.equal('replica');
    expect(res.headers.get('x-replica-lag')).to.equal('0');
    const asOf = Number(res.headers.get('x-as-of-head'));
    expect(asOf).to.be.greaterThan(0);
    expect(await reportsConnections()).to.be.greaterThan(0);
    // The PDF prints the head it was made at, and the published row says the same.
    expect(squash((await pdfText(buf)).text)).to.include(`审计链第${asOf}行`);
    const sha = crypto.createHash('sha256').update(buf).digest('hex');
    const v = await apiAt(svc.url, 'GET', `/public/reports/verify?sha256=${sha}`);
    expect(v.body.issued).to.equal(true);
    expect(v.body.headSeq).to.equal(asOf);
  });

  it('open data and the finance CSV state their head and come from the reports pool', async () => {
    const finance = await userToken(['finance']);
    const csv = await fetch(`${svc.url}/api/v1/reports/360giving.csv?from=${year()}-01-01&to=${year()}-12-31`, { headers: { authorization: `Bearer ${finance.token}` } });
    expect(csv.status).to.equal(200);
    await csv.arrayBuffer();
    expect(csv.headers.get('x-reports-database')).to.equal('replica');
    expect(Number(csv.headers.get('x-as-of-head'))).to.equal((await auditHead(testService().ctx.db)).seq);
  });

  it('without a replica the answer still states its head, and says nothing of a replica', async () => {
    const res = await fetch(`${testService().url}/api/v1/reports/aid-disclosure.pdf?from=${year()}-01-01&to=${year()}-12-31`);
    await res.arrayBuffer();
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-as-of-head')).to.match(/^\d+$/);
    expect(res.headers.get('x-reports-database')).to.equal(null);
  });

  it('a replica behind the primary is said so (X-Replica-Lag), not passed off as current', async () => {
    const headers = new Map<string, string>();
    const res = { headersSent: false, setHeader: (k: string, v: string) => headers.set(k, v) } as unknown as Response;
    const app = { ...svc.ctx, log: pino({ level: 'silent' }) };
    const primary = await auditHead(app.db);
    await stateAsOf(res, app, reportsReaderOf(app), { seq: primary.seq - 3 }, { seq: primary.seq - 2 });
    expect(headers.get('X-As-Of-Head')).to.equal(String(primary.seq - 3));
    expect(headers.get('X-Replica-Lag')).to.equal('2');
  });

  it('a replica that does not answer is a clear 503 naming it, and nothing is published', async () => {
    const ctx = testService().ctx;
    const away = createKnex(`postgres://nobody:nothing@127.0.0.1:${await freePort()}/none`, { min: 0, max: 1 }, 5_000, 'warmth-ledger-reports');
    const app = createApp({ ...ctx, reportsDb: away, log: pino({ level: 'silent' }) });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const finance = await userToken(['finance']);
      const before = await auditSeq();
      for (const [p, token] of [
        [`/reports/aid-disclosure.pdf?from=${year()}-01-01&to=${year()}-12-31`, undefined],
        [`/reports/aid-disclosure.pdf?from=${year()}-01-01&to=${year()}-12-31`, finance.token],
        [`/public/export/360giving.json?from=${year()}-01-01&to=${year()}-12-31`, undefined],
        [`/reports/360giving.csv?from=${year()}-01-01&to=${year()}-12-31`, finance.token],
      ] as const) {
        const r = await apiAt(url, 'GET', p, { token });
        expect(r.status, p).to.equal(503);
        expect(r.body.error.code, p).to.equal('unavailable');
        expect(r.body.error.message, p).to.include('REPORTS_DATABASE_URL');
        expect(r.headers.get('cache-control') ?? '', p).to.not.match(/public/);
      }
      expect(await auditSeq()).to.equal(before);
      // The rest of the service works: the primary answers.
      expect((await apiAt(url, 'GET', '/public/notices')).status).to.equal(200);
    } finally {
      server.close();
      await away.destroy();
    }
  });
});
