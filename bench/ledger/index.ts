// npm run bench -- ledger
// 1. Posts 2-line and 6-line journal entries over HTTP at concurrency 1, 8 and 32 for a fixed time each, and
//    runs `pgbench -b tpcb-like` against the same PostgreSQL server (its own database) at the same client
//    counts: entries/s, p50/p99 latency, and the ratio to pgbench tps.
// 2. Trial balance and fund balance latency at 10k and at 1M journal lines (a bulk loader builds them with
//    INSERT … SELECT generate_series, and adds their sums to the maintained balances so they stay consistent).
// The service runs on the embedded PostgreSQL (durable settings, as in production) in a temp folder.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/platform/config';
import { startService, type RunningService } from '../../src/server';
import { createUser } from '../../src/auth';
import { createFund } from '../../src/ledger';
import { freePort } from '../../src/platform/free-port';
import { ServiceProcess, serviceEnv } from '../../test/chaos/harness';

const run$ = promisify(execFile);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = [1, 8, 32];
const PGBENCH = process.env.PGBENCH ?? '/usr/bin/pgbench';
const FUNDS = 32;


const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');

async function postLoad(url: string, token: string, lineCount: 2 | 6, concurrency: number, seconds: number) {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  const worker = async (w: number) => {
    const fund = `BF-${String(w % FUNDS).padStart(2, '0')}`;
    const lines =
      lineCount === 2
        ? [{ account: '1002', fund, debit: '10.00' }, { account: '4101', fund, credit: '10.00' }]
        : [
            { account: '1002', fund, debit: '10.00' }, { account: '4101', fund, credit: '10.00' },
            { account: '1001', fund, debit: '5.00' }, { account: '1002', fund, credit: '5.00' },
            { account: '5101', fund, debit: '1.00' }, { account: '1001', fund, credit: '1.00' },
          ];
    const body = JSON.stringify({ date: today, description: `bench ${lineCount}-line`, lines });
    while (performance.now() < until) {
      const t = performance.now();
      const r = await fetch(`${url}/api/v1/journal-entries`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
      await r.arrayBuffer();
      if (r.status === 201) latencies.push(performance.now() - t);
      else errors++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  const elapsed = (performance.now() - started) / 1000;
  return { perSecond: latencies.length / elapsed, p50: pct(latencies, 50), p99: pct(latencies, 99), errors };
}

async function pgbench(pgUrl: string, clients: number, seconds: number, logDir: string) {
  for (const f of fs.readdirSync(logDir)) fs.rmSync(path.join(logDir, f));
  const { stdout } = await run$(PGBENCH, ['-b', 'tpcb-like', '-n', '-c', String(clients), '-j', String(Math.min(clients, 4)), '-T', String(seconds), '-l', '--log-prefix', path.join(logDir, 'pgb'), pgUrl], { maxBuffer: 1 << 24 });
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1] ?? /tps = ([\d.]+)/.exec(stdout)?.[1]);
  const lat: number[] = [];
  for (const f of fs.readdirSync(logDir)) {
    for (const line of fs.readFileSync(path.join(logDir, f), 'utf8').split('\n')) {
      const parts = line.split(' ');
      if (parts.length > 3) lat.push(Number(parts[2]) / 1000);
    }
  }
  return { tps, p50: pct(lat, 50), p99: pct(lat, 99) };
}

async function timeGets(url: string, token: string, pathQ: string, n = 30) {
  const xs: number[] = [];
  for (let i = 0; i < n + 3; i++) {
    const t = performance.now();
    const r = await fetch(`${url}/api/v1${pathQ}`, { headers: { authorization: `Bearer ${token}` } });
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`${pathQ}: ${r.status}`);
    if (i >= 3) xs.push(performance.now() - t);
  }
  return { p50: pct(xs, 50), p99: pct(xs, 99) };
}

/** Adds 2-line entries (Dr 1002 / Cr 4101, 1.00, on the bench funds, dated in 2001) until the ledger has `target` lines. */
async function bulkLoad(svc: RunningService, target: number) {
  const db = svc.ctx.db;
  const have = Number((await db('journal_lines').count('* as c').first())!.c);
  const entries = Math.max(0, Math.ceil((target - have) / 2));
  if (!entries) return have;
  const funds = Array.from({ length: FUNDS }, (_, i) => `BF-${String(i).padStart(2, '0')}`);
  await db.transaction(async (trx) => {
    // Bulk path only: triggers (immutability, per-entry balance check) off for this transaction; the lines
    // are balanced by construction and their sums are added to the maintained balances below.
    await trx.raw(`SET LOCAL session_replication_role = replica`);
    await trx.raw('SET LOCAL statement_timeout = 0'); // one statement loads a million lines: longer than STATEMENT_TIMEOUT_SECONDS
    const maxBefore = Number((await trx('journal_lines').max('id as m').first())!.m ?? 0);
    const start = Number((await trx('ledger_counters').where({ year: 2001 }).first())?.last ?? 0);
    await trx.raw(
      `WITH e AS (
         INSERT INTO journal_entries (number, date, description, source, created_by, created_at)
         SELECT '2001-' || lpad((? + g)::text, 6, '0'), date '2001-01-01' + (g % 360), 'bulk', 'manual', 'bench', now()
           FROM generate_series(1, ?) g
         RETURNING id, date)
       INSERT INTO journal_lines (entry_id, line_no, date, account, fund, debit, credit)
       SELECT e.id, s.n, e.date, CASE s.n WHEN 1 THEN '1002' ELSE '4101' END, (?::text[])[1 + (e.id % ?)],
              CASE s.n WHEN 1 THEN 1.00 ELSE 0 END, CASE s.n WHEN 1 THEN 0 ELSE 1.00 END
         FROM e CROSS JOIN (VALUES (1), (2)) AS s(n)`,
      [start, entries, funds, FUNDS],
    );
    await trx.raw(
      `UPDATE ledger_balances b SET debit_total = b.debit_total + x.d, credit_total = b.credit_total + x.c
         FROM (SELECT account, fund, sum(debit) AS d, sum(credit) AS c FROM journal_lines WHERE id > ? GROUP BY account, fund) x
        WHERE b.account = x.account AND b.fund = x.fund`,
      [maxBefore],
    );
    await trx.raw(`INSERT INTO ledger_counters (year, last) VALUES (2001, ?) ON CONFLICT (year) DO UPDATE SET last = excluded.last`, [start + entries]);
  });
  await db.raw('VACUUM ANALYZE journal_lines');
  await db.raw('VACUUM ANALYZE journal_entries');
  return Number((await db('journal_lines').count('* as c').first())!.c);
}

export async function run() {
  const t0 = performance.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warmth-bench-'));
  fs.chmodSync(dir, 0o755);
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'warmth-pgbench-'));
  const env: Record<string, string | undefined> = {
    ...process.env, DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', DEMO_DATA: 'off', DATABASE_URL: undefined,
    ADMIN_USERNAME: 'bench-admin', ADMIN_PASSWORD: 'Bench-admin-pass-1', PASSWORD_HASH_ROUNDS: '4',
    EMBEDDED_PG_PORT: String(await freePort()), AUDIT_SECRET: 'bench-audit-secret-0123456789',
    DATA_KEY: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
  };
  delete env.DATABASE_URL;
  const svc = await startService(loadConfig(env));
  let stopRemote = async () => undefined as unknown;
  try {
    const db = svc.ctx.db;
    await db.transaction(async (trx) => {
      await createUser(trx, 'bench', { username: 'bench-finance', password: 'Bench-finance-1', displayName: 'bench', roles: ['finance'] });
      await createFund(trx, 'bench', { code: 'BF', nameZh: '压测基金会', nameEn: 'Bench foundation', kind: 'foundation' });
      for (let i = 0; i < FUNDS; i++) await createFund(trx, 'bench', { code: `BF-${String(i).padStart(2, '0')}`, nameZh: `压测${i}`, nameEn: `Bench ${i}`, kind: 'district', parentCode: 'BF', district: 'CY' });
    });
    // The load goes to a service in its own process (as pgbench's client is apart from the server), on the
    // same database; this process only sends requests and measures.
    const dbUrl = (svc.ctx.db.client.config.connection as { connectionString: string }).connectionString;
    const remote = new ServiceProcess(await freePort(), serviceEnv({ DATABASE_URL: dbUrl, DATA_DIR: dir, AUDIT_SECRET: env.AUDIT_SECRET!, DATA_KEY: env.DATA_KEY!, LOG_LEVEL: 'silent' }));
    await remote.start();
    stopRemote = () => remote.stop();
    const login = await fetch(`${remote.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench-finance', password: 'Bench-finance-1' }) });
    const token = ((await login.json()) as { token: string }).token;

    const pgUrl = new URL((svc.ctx.db.client.config.connection as { connectionString: string }).connectionString);
    await db.raw('DROP DATABASE IF EXISTS pgbench_ledger');
    await db.raw('CREATE DATABASE pgbench_ledger');
    pgUrl.pathname = '/pgbench_ledger';
    await run$(PGBENCH, ['-i', '-q', '-s', '10', pgUrl.toString()]);

    console.log(`machine: ${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, load avg ${os.loadavg().map((x) => x.toFixed(1)).join('/')}`);
    console.log(`posting over HTTP vs pgbench tpcb-like (scale 10), ${SECONDS}s each, same PostgreSQL server`);
    console.log('clients | pgbench tps  p50/p99 ms | 2-line entries/s  p50/p99 ms  ratio | 6-line entries/s  p50/p99 ms  ratio');
    for (const c of CONCURRENCY) {
      const pg = await pgbench(pgUrl.toString(), c, SECONDS, logDir);
      const two = await postLoad(remote.url, token, 2, c, SECONDS);
      const six = await postLoad(remote.url, token, 6, c, SECONDS);
      console.log(
        `${String(c).padStart(7)} | ${f1(pg.tps).padStart(11)}  ${f1(pg.p50)}/${f1(pg.p99)} | ${f1(two.perSecond).padStart(16)}  ${f1(two.p50)}/${f1(two.p99)}  ${(two.perSecond / pg.tps).toFixed(2)}` +
          ` | ${f1(six.perSecond).padStart(16)}  ${f1(six.p50)}/${f1(six.p99)}  ${(six.perSecond / pg.tps).toFixed(2)}${two.errors + six.errors ? `  (errors: ${two.errors + six.errors})` : ''}`,
      );
    }

    console.log('statement latency over HTTP (30 calls each, ms p50/p99)');
    for (const target of [10_000, 1_000_000]) {
      const t = performance.now();
      const lines = await bulkLoad(svc, target);
      const loadS = ((performance.now() - t) / 1000).toFixed(1);
      const tb = await timeGets(svc.url, token, '/reports/trial-balance');
      const tbFund = await timeGets(svc.url, token, '/reports/trial-balance?fund=BF-07');
      const bal = await timeGets(svc.url, token, '/funds/BF-07/balance');
      const balPast = await timeGets(svc.url, token, '/funds/BF-07/balance?asOf=2001-12-31', 10);
      console.log(
        `${lines.toLocaleString('en')} lines (loaded in ${loadS}s): trial balance ${f1(tb.p50)}/${f1(tb.p99)}, trial balance of one fund ${f1(tbFund.p50)}/${f1(tbFund.p99)}, ` +
          `fund balance ${f1(bal.p50)}/${f1(bal.p99)}, fund balance as of 2001-12-31 (reads the lines after it) ${f1(balPast.p50)}/${f1(balPast.p99)}`,
      );
    }
    const check = await db.raw(`SELECT count(*) AS c FROM ledger_balances b LEFT JOIN (SELECT account, fund, sum(debit) d, sum(credit) c FROM journal_lines GROUP BY 1, 2) l USING (account, fund) WHERE b.debit_total <> coalesce(l.d, 0) OR b.credit_total <> coalesce(l.c, 0)`);
    console.log(`maintained balances that differ from the lines: ${check.rows[0].c}; total run ${((performance.now() - t0) / 1000).toFixed(0)}s`);
  } finally {
    await stopRemote();
    await svc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}
