import { expect } from 'chai';
import net, { type AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import pino from 'pino';
import { createApp, createMetricsApp } from '../../src/app';
import { createKnex } from '../../src/platform/db';
import { auditHead } from '../../src/audit';
import { api, apiAt, userToken } from '../support/api';
import { fundWithMoney } from '../support/fixtures';
import { testService } from '../support/env';

// Issue 19: /health/live, /health/ready (not ready while the database is away) and /metrics in the Prometheus
// text format, read with a real parser.

interface Sample {
  labels?: Record<string, string>;
  value?: string;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}
interface Family {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Sample[];
}
// parse-prometheus-text-format (prom2json's output shape) ships no types.
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

const TOKEN = 'metrics-token-0123456789abcdef';
const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());

/** A TCP proxy to the test database that can be taken away and brought back on the same port. */
async function databaseProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const up = async () => {
    server = net.createServer((client) => {
      const upstream = net.connect(target.port, target.host);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  };
  const down = async () => {
    await new Promise<void>((r) => {
      server?.close(() => r());
      for (const s of sockets) s.destroy();
    });
  };
  await up();
  return { port: () => port, up, down };
}

async function listen(app: ReturnType<typeof createApp>) {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
}

async function scrape(url: string, token = TOKEN) {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).to.equal(200);
  expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return Object.assign(parsePrometheus(text), { text });
}

/**
 * One series of a labelled histogram. The parser folds all series of a labelled histogram into one (its
 * flattening knows only unlabelled ones), so it is given the lines of the one series, other labels than le dropped.
 */
function histogramSeries(text: string, name: string, labels: Record<string, string>): Sample | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const lines = text.split('\n').filter((l) => /^\w+_(bucket|sum|count)\{/.test(l) && l.startsWith(`${name}_`) && want.every((w) => l.includes(w)));
  const onlyLe = lines.map((l) => l.replace(/\{([^}]*)\}/, (_m, inner: string) => {
    const le = /le="[^"]*"/.exec(inner);
    return le ? `{${le[0]}}` : '';
  }));
  return parsePrometheus([`# TYPE ${name} histogram`, ...onlyLe, ''].join('\n'))[0]?.metrics[0];
}

const family = (families: Family[], name: string): Family => {
  const f = families.find((x) => x.name === name);
  if (!f) throw new Error(`no metric ${name} in the scrape`);
  return f;
};
const value = (f: Family, labels: Record<string, string> = {}) => {
  const s = f.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return s === undefined ? undefined : Number(s.value ?? s.count);
};

describe('ops: health and metrics', () => {
  it('/health/live answers while the process runs; /health/ready names each check; /health is kept', async () => {
    const live = await api('GET', '/health/live');
    expect(live.status).to.equal(200);
    expect(live.body).to.include({ status: 'live' });
    const ready = await api('GET', '/health/ready');
    expect(ready.status, ready.text).to.equal(200);
    expect(ready.body.status).to.equal('ready');
    const checks = ready.body.checks;
    expect(checks.database.ok).to.equal(true);
    expect(checks.migrations).to.deep.include({ ok: true, pending: [] });
    expect(checks.migrations.applied).to.be.greaterThan(10);
    expect(checks.databaseRole).to.deep.include({ ok: true, leastPrivilege: true, sameAsAtStart: true });
    expect(checks.jobs.ok).to.equal(true);
    expect(checks.jobs.jobs.map((j: { name: string }) => j.name)).to.include('aid.notice-sweep');
    const old = await api('GET', '/health');
    expect(old.status).to.equal(200);
    expect(old.body).to.include({ status: 'ok', database: 'ok' });
  });

  it('/health/ready answers 503 while the database is away, and 200 again when it is back', async function () {
    this.timeout(60_000);
    const ctx = testService().ctx;
    const conn = new URL(String((ctx.db.client.config.connection as { connectionString: string }).connectionString));
    const proxy = await databaseProxy({ host: conn.hostname, port: Number(conn.port) });
    const viaProxy = new URL(conn);
    viaProxy.port = String(proxy.port());
    const db = createKnex(viaProxy.toString(), { min: 0, max: 4 });
    const app = await listen(createApp({ ...ctx, db, log: pino({ level: 'silent' }) }));
    const ready = () => apiAt(app.url, 'GET', '/health/ready');
    try {
      const before = await ready();
      expect(before.status, before.text).to.equal(200);
      expect(before.body.checks.jobs, 'a second app runs no jobs: not a check').to.equal(undefined);

      await proxy.down();
      const away = await ready();
      expect(away.status, away.text).to.equal(503);
      expect(away.body.status).to.equal('not_ready');
      expect(away.body.checks.database).to.include({ ok: false, problem: 'unreachable' });
      expect(away.text, 'no addresses or URLs in the answer').not.to.match(/127\.0\.0\.1|postgres:/);
      expect((await apiAt(app.url, 'GET', '/health/live')).status, 'live does not ask the database').to.equal(200);

      await proxy.up();
      let back = await ready();
      for (let i = 0; i < 20 && back.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 250));
        back = await ready();
      }
      expect(back.status, back.text).to.equal(200);
    } finally {
      await app.close();
      await db.destroy();
      await proxy.down();
    }
  });

  it('/metrics is not served on the service port without METRICS_TOKEN; with it, only to the bearer of the token', async () => {
    const direct = await fetch(`${testService().url}/metrics`);
    expect(direct.status).to.equal(404);
    const ctx = testService().ctx;
    const app = await listen(createApp({ ...ctx, config: { ...ctx.config, metricsToken: TOKEN }, log: pino({ level: 'silent' }) }));
    try {
      expect((await fetch(`${app.url}/metrics`)).status).to.equal(401);
      const wrong = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}x` } });
      expect(wrong.status).to.equal(401);
      expect(((await wrong.json()) as { error: { code: string } }).error.code).to.equal('unauthorized');
      expect(family(await scrape(app.url), 'warmth_http_requests_total').type).to.equal('COUNTER');
    } finally {
      await app.close();
    }
  });

  it('after traffic: requests by route pattern and status, pool, postings and groups, audit chain, jobs, reports', async function () {
    this.timeout(60_000);
    const { fund, finance } = await fundWithMoney('1000.00');
    const auditor = (await userToken(['auditor'])).token;
    const ctx = testService().ctx;
    const app = await listen(createApp({ ...ctx, config: { ...ctx.config, metricsToken: TOKEN }, log: pino({ level: 'silent' }) }));
    try {
      const first = await scrape(app.url);
      const postedBefore = value(family(first, 'warmth_ledger_postings_total')) ?? 0;
      const commitsBefore = value(family(first, 'warmth_ledger_posting_commits_total')) ?? 0;

      for (let i = 0; i < 3; i++) expect((await api('GET', `/funds/${fund}`, { token: finance })).status).to.equal(200);
      expect((await api('GET', '/funds/NO-SUCH-FUND', { token: finance })).status).to.equal(404);
      const posted = await Promise.all(Array.from({ length: 4 }, (_, i) => api('POST', '/journal-entries', {
        token: finance, body: { date: today(), description: `metrics ${i}`, lines: [{ account: '5101', fund, debit: '1.00' }, { account: '1002', fund, credit: '1.00' }] },
      })));
      expect(posted.map((r) => r.status)).to.deep.equal([201, 201, 201, 201]);
      const pdf = await fetch(`${testService().url}/api/v1/reports/audit-attestation.pdf`, { headers: { authorization: `Bearer ${auditor}` } });
      expect(pdf.status).to.equal(200);
      await pdf.arrayBuffer();
      await new Promise((r) => setTimeout(r, 1200)); // the notice sweep runs every 0.5 s in tests

      const m = await scrape(app.url);
      const requests = family(m, 'warmth_http_requests_total');
      expect(value(requests, { method: 'GET', route: '/api/v1/funds/:code', status: '200' })).to.be.at.least(3);
      expect(value(requests, { method: 'GET', route: '/api/v1/funds/:code', status: '404' })).to.be.at.least(1);
      expect(value(requests, { method: 'POST', route: '/api/v1/journal-entries', status: '201' })).to.be.at.least(4);
      // Patterns, never raw URLs: no label names a fund code or an id.
      expect(requests.metrics.map((s) => s.labels?.route ?? '').filter((r) => r.includes(fund) || r.includes('NO-SUCH-FUND'))).to.deep.equal([]);
      const latency = family(m, 'warmth_http_request_duration_seconds');
      expect(latency.type).to.equal('HISTOGRAM');
      const fundLatency = histogramSeries(m.text, 'warmth_http_request_duration_seconds', { method: 'GET', route: '/api/v1/funds/:code', status: '200' });
      expect(Number(fundLatency?.count)).to.be.at.least(3);
      expect(Number(fundLatency?.sum)).to.be.greaterThan(0);
      expect(Number(fundLatency?.buckets?.['+Inf'])).to.equal(Number(fundLatency?.count));

      const pool = family(m, 'warmth_db_pool_connections');
      expect(pool.metrics.map((s) => s.labels?.state).sort()).to.deep.equal(['creating', 'free', 'pending', 'used']);
      expect(value(family(m, 'warmth_db_pool_max'))).to.equal(20);
      expect(value(family(m, 'warmth_db_up'))).to.equal(1);

      expect(value(family(m, 'warmth_ledger_postings_total'))! - postedBefore).to.be.at.least(4);
      const commits = value(family(m, 'warmth_ledger_posting_commits_total'))! - commitsBefore;
      expect(commits).to.be.within(1, 4 + 2); // the four may share groups; the donation of the fixture was before
      expect(family(m, 'warmth_ledger_postings_per_commit').type).to.equal('HISTOGRAM');

      const chain = value(family(m, 'warmth_audit_chain_length'))!;
      expect(chain).to.be.at.most((await auditHead(ctx.db)).seq);
      expect(chain).to.be.at.least((await auditHead(ctx.db)).seq - 5);

      expect(value(family(m, 'warmth_job_runs_total'), { job: 'aid.notice-sweep', outcome: 'ok' })).to.be.greaterThan(0);
      expect(value(family(m, 'warmth_job_last_success_timestamp_seconds'), { job: 'aid.notice-sweep' })).to.be.closeTo(Date.now() / 1000, 30);
      expect(family(m, 'warmth_report_generation_seconds').type).to.equal('HISTOGRAM');
      expect(Number(histogramSeries(m.text, 'warmth_report_generation_seconds', { report: 'audit-attestation', outcome: 'ok' })?.count)).to.be.at.least(1);
      expect(family(m, 'process_resident_memory_bytes').type).to.equal('GAUGE');
    } finally {
      await app.close();
    }
  });

  it('the METRICS_PORT app serves /metrics without a token (its listener is the protection) and nothing else', async () => {
    const app = await listen(createMetricsApp({ ...testService().ctx, log: pino({ level: 'silent' }) }) as ReturnType<typeof createApp>);
    try {
      const res = await fetch(`${app.url}/metrics`);
      expect(res.status).to.equal(200);
      expect(parsePrometheus(await res.text()).map((f) => f.name)).to.include('warmth_audit_chain_length');
      expect((await fetch(`${app.url}/api/v1/public/log/head`)).status).to.equal(404);
    } finally {
      await app.close();
    }
  });
});
