// npm run bench -- ledger
// 1. Posts 2-line and 6-line journal entries over HTTP at concurrency 1, 8 and 32 for a fixed time each, and
//    runs `pgbench -b tpcb-like` against the same PostgreSQL server (its own database) at the same client
//    counts: entries/s, p50/p99 latency, and the ratio to pgbench tps.
// 2. Trial balance and fund balance latency at 10k and at 1M journal lines (a bulk loader builds them with
//    INSERT … SELECT generate_series, and adds their sums to the maintained balances and the day balances so
//    they stay consistent).
// 3. Posting with the overdraft-by-date check at 1M lines: a payment (Dr 5101 / Cr 1002) dated today and one
//    back-dated 300 days, at 1 and 8 clients, after one posting per fund per day for the last 330 days (so a
//    back-dated payment moves ~300 day rows: the worst case). BENCH_SKIP_THROUGHPUT=1 skips part 1.
// The service runs on the embedded PostgreSQL (durable settings, as in production) in a temp folder.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/platform/config';
import { startService } from '../../src/server';
import { createUser } from '../../src/auth';
import { createFund } from '../../src/ledger';
import { createKnex } from '../../src/platform/db';
import { freePort } from '../../src/platform/free-port';
import type { Knex } from 'knex';
import { ServiceProcess, serviceEnv } from '../../test/chaos/harness';
import { startHeapFlags } from '../service-process';

const run$ = promisify(execFile);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
// BENCH_CLIENTS=8 (or 1,8): only those client counts; BENCH_NO_BATCHES=1 skips the batch loads.
const CONCURRENCY = (process.env.BENCH_CLIENTS ?? '1,8,32').split(',').map(Number);
const PGBENCH = process.env.PGBENCH ?? '/usr/bin/pgbench';
const FUNDS = 32;


// The load's HTTP client: node:http with keep-alive connections, one per client, and nothing else. pgbench's
// client is a small C program; fetch (undici's full Fetch API) spent a third of a core at 8 clients on this
// 2-core machine, taken from the service and the database it measures.
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
function post(url: string, token: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');

/**
 * 2- or 6-line postings; 'floor': the 2-line posting made unbalanced, so the service does all it does before the
 * database (HTTP, token, joi, checkEntry with its cached lookups) and answers 422 without a transaction: the most
 * postings per second this process could answer at that concurrency if the database cost nothing.
 */
async function postLoad(urls: string[], token: string, lineCount: 2 | 6 | 'floor', concurrency: number, seconds: number) {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  const worker = async (w: number) => {
    const fund = `BF-${String(w % FUNDS).padStart(2, '0')}`;
    const lines =
      lineCount === 2 || lineCount === 'floor'
        ? [{ account: '1002', fund, debit: '10.00' }, { account: '4101', fund, credit: lineCount === 2 ? '10.00' : '9.99' }]
        : [
            { account: '1002', fund, debit: '10.00' }, { account: '4101', fund, credit: '10.00' },
            { account: '1001', fund, debit: '5.00' }, { account: '1002', fund, credit: '5.00' },
            { account: '5101', fund, debit: '1.00' }, { account: '1001', fund, credit: '1.00' },
          ];
    const body = JSON.stringify({ date: today, description: `bench ${lineCount}-line`, lines });
    while (performance.now() < until) {
      const t = performance.now();
      const r = await post(`${urls[w % urls.length]}/api/v1/journal-entries`, token, body);
      if (r.status === (lineCount === 'floor' ? 422 : 201)) latencies.push(performance.now() - t);
      else errors++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  const elapsed = (performance.now() - started) / 1000;
  return { perSecond: latencies.length / elapsed, p50: pct(latencies, 50), p99: pct(latencies, 99), errors };
}

/** POST /journal-entries/batch of `size` 2-line entries (each with its own key), `concurrency` clients: entries/s, p50/p99 ms per request. */
async function batchLoad(url: string, token: string, size: number, concurrency: number, seconds: number) {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  const latencies: number[] = [];
  let entries = 0;
  let errors = 0;
  let n = 0;
  const until = performance.now() + seconds * 1000;
  const worker = async (w: number) => {
    const fund = `BF-${String(w % FUNDS).padStart(2, '0')}`;
    while (performance.now() < until) {
      const tag = `${process.pid}-${w}-${n++}`;
      const body = JSON.stringify({
        entries: Array.from({ length: size }, (_, i) => ({ idempotencyKey: `bb-${tag}-${i}`, date: today, description: 'bench batch', lines: [{ account: '1002', fund, debit: '10.00' }, { account: '4101', fund, credit: '10.00' }] })),
      });
      const t = performance.now();
      const r = await post(`${url}/api/v1/journal-entries/batch`, token, body);
      if (r.status === 201) {
        latencies.push(performance.now() - t);
        entries += size;
      } else errors++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  const elapsed = (performance.now() - started) / 1000;
  return { perSecond: entries / elapsed, p50: pct(latencies, 50), p99: pct(latencies, 99), errors };
}

/** Payments of 0.01 (Dr 5101 / Cr 1002) dated `date`, each client on its own fund: postings/s, p50/p95 ms. */
async function payLoad(url: string, token: string, date: string, concurrency: number, seconds: number) {
  const latencies: number[] = [];
  const failures = new Map<string, number>();
  const until = performance.now() + seconds * 1000;
  const worker = async (w: number) => {
    const fund = `BF-${String(w % FUNDS).padStart(2, '0')}`;
    const body = JSON.stringify({ date, description: 'bench payment', lines: [{ account: '5101', fund, debit: '0.01' }, { account: '1002', fund, credit: '0.01' }] });
    while (performance.now() < until) {
      const t = performance.now();
      const r = await post(`${url}/api/v1/journal-entries`, token, body);
      const text = r.text;
      if (r.status === 201) latencies.push(performance.now() - t);
      else failures.set(`${r.status} ${text.slice(0, 120)}`, (failures.get(`${r.status} ${text.slice(0, 120)}`) ?? 0) + 1);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  const elapsed = (performance.now() - started) / 1000;
  return { perSecond: latencies.length / elapsed, p50: pct(latencies, 50), p95: pct(latencies, 95), failures: [...failures.entries()].map(([k, n]) => `${n}× ${k}`).join('; ') };
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

/**
 * BENCH_WAITS=1: samples pg_stat_activity of the service's database every 100 ms while a load runs, and prints what
 * its backends were doing (state, wait event, statement), most seen first: where a stalled load waits.
 */
function sampleWaits(su: Knex | undefined) {
  if (!su || !process.env.BENCH_WAITS) return async () => undefined;
  const seen = new Map<string, number>();
  let samples = 0;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    su.raw(`SELECT state, coalesce(wait_event_type || ':' || wait_event, 'cpu') AS wait, regexp_replace(left(query, 70), '\\s+', ' ', 'g') AS q
              FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`)
      .then(({ rows }: { rows: { state: string; wait: string; q: string }[] }) => {
        samples++;
        for (const r of rows) seen.set(`${r.state} | ${r.wait} | ${r.q}`, (seen.get(`${r.state} | ${r.wait} | ${r.q}`) ?? 0) + 1);
      })
      .finally(() => (busy = false));
  }, 100);
  return async () => {
    clearInterval(timer);
    console.log(`    pg_stat_activity, ${samples} samples (backends seen × state | wait | statement):`);
    for (const [k, n] of [...seen].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`      ${String(n).padStart(5)} × ${k}`);
  };
}

const benchFunds = () => Array.from({ length: FUNDS }, (_, i) => `BF-${String(i).padStart(2, '0')}`);

/**
 * Bulk path only, as the schema owner: triggers (immutability, per-entry balance check) off for the
 * transaction; `insert` adds balanced lines; then their sums go into the maintained balances, the day
 * balances of the bench funds are rebuilt from the lines, and the year counters move past the new numbers.
 */
async function bulkInsert(owner: Knex, insert: (trx: Knex.Transaction) => Promise<void>) {
  await owner.transaction(async (trx) => {
    await trx.raw(`SET LOCAL session_replication_role = replica`);
    await trx.raw('SET LOCAL statement_timeout = 0'); // one statement loads a million lines: longer than STATEMENT_TIMEOUT_SECONDS
    const maxBefore = Number((await trx('journal_lines').max('id as m').first())!.m ?? 0);
    const maxEntryBefore = Number((await trx('journal_entries').max('id as m').first())!.m ?? 0);
    await insert(trx);
    await trx.raw(
      `UPDATE ledger_balances b SET debit_total = b.debit_total + x.d, credit_total = b.credit_total + x.c
         FROM (SELECT account, fund, sum(debit) AS d, sum(credit) AS c FROM journal_lines WHERE id > ? GROUP BY account, fund) x
        WHERE b.account = x.account AND b.fund = x.fund`,
      [maxBefore],
    );
    if ((await trx.raw(`SELECT to_regclass('ledger_daily_balances') AS t`)).rows[0].t) {
      await trx.raw(`DELETE FROM ledger_daily_balances WHERE fund = ANY(?)`, [benchFunds()]);
      await trx.raw(
        `INSERT INTO ledger_daily_balances (account, fund, date, closing)
         SELECT account, fund, date, sum(sum(debit) - sum(credit)) OVER (PARTITION BY account, fund ORDER BY date)
           FROM journal_lines WHERE account IN ('1001','1002') AND fund = ANY(?) GROUP BY account, fund, date`,
        [benchFunds()],
      );
    }
    await trx.raw(
      `INSERT INTO ledger_counters (year, last)
       SELECT substr(number, 1, 4)::int, max(substr(number, 6)::int) FROM journal_entries WHERE id > ? GROUP BY 1
       ON CONFLICT (year) DO UPDATE SET last = greatest(ledger_counters.last, excluded.last)`,
      [maxEntryBefore],
    );
  });
  await owner.raw('VACUUM ANALYZE journal_lines');
  await owner.raw('VACUUM ANALYZE journal_entries');
}

/** Adds 2-line entries (Dr 1002 / Cr 4101, 1.00, on the bench funds, dated in 2001) until the ledger has `target` lines. */
async function bulkLoad(owner: Knex, target: number) {
  const have = Number((await owner('journal_lines').count('* as c').first())!.c);
  const entries = Math.max(0, Math.ceil((target - have) / 2));
  if (!entries) return have;
  await bulkInsert(owner, async (trx) => {
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
      [start, entries, benchFunds(), FUNDS],
    );
  });
  return Number((await owner('journal_lines').count('* as c').first())!.c);
}

/** One donation (Dr 1002 / Cr 4101, 1.00) per bench fund per day for the `days` days before `today`. */
async function loadRecentDays(owner: Knex, today: string, days: number) {
  await bulkInsert(owner, async (trx) => {
    await trx.raw(
      `WITH src AS (
         SELECT d.date, f.fund, row_number() OVER (PARTITION BY extract(year FROM d.date) ORDER BY d.date, f.fund) AS n
           FROM (SELECT (?::date - g) AS date FROM generate_series(1, ?) g) d CROSS JOIN unnest(?::text[]) AS f(fund)),
       e AS (
         INSERT INTO journal_entries (number, date, description, source, source_ref, created_by, created_at)
         SELECT to_char(src.date, 'YYYY') || '-' || lpad((coalesce(c.last, 0) + src.n)::text, 6, '0'), src.date, 'bulk recent', 'manual', src.fund, 'bench', now()
           FROM src LEFT JOIN ledger_counters c ON c.year = extract(year FROM src.date)::int
         RETURNING id, date, source_ref)
       INSERT INTO journal_lines (entry_id, line_no, date, account, fund, debit, credit)
       SELECT e.id, s.n, e.date, CASE s.n WHEN 1 THEN '1002' ELSE '4101' END, e.source_ref,
              CASE s.n WHEN 1 THEN 1.00 ELSE 0 END, CASE s.n WHEN 1 THEN 0 ELSE 1.00 END
         FROM e CROSS JOIN (VALUES (1), (2)) AS s(n)`,
      [today, days, benchFunds()],
    );
  });
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
  if (process.env.BENCH_WAITS) env.LOG_LEVEL = 'debug';
  let svc = await startService(loadConfig(env));
  // BENCH_PG_STATS=1: restart the embedded server with pg_stat_statements loaded (it ships with the binaries).
  const pgStats = !!process.env.BENCH_PG_STATS && !!svc.superuserUrl;
  let su: Knex | undefined;
  if (pgStats) {
    const boot = createKnex(svc.superuserUrl!, { min: 0, max: 1 }, 0);
    await boot.raw(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`);
    await boot.destroy();
    await svc.stop();
    svc = await startService(loadConfig(env));
    const warmDb = (svc.ctx.db.client.config.connection as { connectionString: string }).connectionString;
    su = createKnex(Object.assign(new URL(svc.superuserUrl!), { pathname: new URL(warmDb).pathname }).toString(), { min: 0, max: 1 }, 0);
    await su.raw('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  }
  // BENCH_WAITS=1 without BENCH_PG_STATS: a superuser connection to the service's database for the sampler.
  const suWaits = !su && process.env.BENCH_WAITS && svc.superuserUrl
    ? createKnex(Object.assign(new URL(svc.superuserUrl), { pathname: new URL((svc.ctx.db.client.config.connection as { connectionString: string }).connectionString).pathname }).toString(), { min: 0, max: 1 }, 0)
    : undefined;
  let stopRemote = async () => undefined as unknown;
  let owner: Knex | undefined;
  try {
    if (suWaits) {
      // Statements over 500 ms, with their plans (nested ones too), go to the server log (LOG_LEVEL=debug prints it).
      const dbName = (await suWaits.raw('SELECT current_database() AS d')).rows[0].d;
      for (const [k, v] of [['session_preload_libraries', 'auto_explain'], ['auto_explain.log_min_duration', '500ms'], ['auto_explain.log_nested_statements', 'on']]) {
        await suWaits.raw(`ALTER DATABASE ?? SET ${k} = '${v}'`, [dbName]);
      }
    }
    const db = svc.ctx.db;
    await db.transaction(async (trx) => {
      await createUser(trx, 'bench', { username: 'bench-finance', password: 'Bench-finance-1', displayName: 'bench', roles: ['finance'] });
      await createFund(trx, 'bench', { code: 'BF', nameZh: '压测基金会', nameEn: 'Bench foundation', kind: 'foundation' });
      for (let i = 0; i < FUNDS; i++) await createFund(trx, 'bench', { code: `BF-${String(i).padStart(2, '0')}`, nameZh: `压测${i}`, nameEn: `Bench ${i}`, kind: 'district', parentCode: 'BF', district: 'CY' });
    });
    // The load goes to a service in its own process (as pgbench's client is apart from the server), on the
    // same database; this process only sends requests and measures.
    const dbUrl = (svc.ctx.db.client.config.connection as { connectionString: string }).connectionString;
    // With the heap settings of `npm start` (a 4 MB young generation collects more often: measured 10–20 % fewer
    // requests per second at 8 clients than node's defaults), so the figures are the service as operators run it.
    const serviceEnvOf = () => serviceEnv({ DATABASE_URL: dbUrl, DATA_DIR: dir, AUDIT_SECRET: env.AUDIT_SECRET!, DATA_KEY: env.DATA_KEY!, LOG_LEVEL: 'silent', NODE_OPTIONS: startHeapFlags().join(' ') });
    const remote = new ServiceProcess(await freePort(), serviceEnvOf());
    await remote.start();
    // BENCH_INSTANCES=2: single postings spread over that many service processes on the same database (client i
    // to instance i mod n), as several instances behind one proxy would take them.
    const more = await Promise.all(Array.from({ length: Number(process.env.BENCH_INSTANCES ?? 1) - 1 }, async () => {
      const p = new ServiceProcess(await freePort(), serviceEnvOf());
      await p.start();
      return p;
    }));
    const urls = [remote.url, ...more.map((p) => p.url)];
    stopRemote = async () => {
      for (const p of [remote, ...more]) await p.stop();
    };
    const login = await fetch(`${remote.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench-finance', password: 'Bench-finance-1' }) });
    const token = ((await login.json()) as { token: string }).token;

    // Bulk loads switch triggers off (session_replication_role), which only a superuser may: the embedded server's
    // superuser on the service's database (the schema owner is no superuser since the roles were split).
    const bulkUrl = svc.superuserUrl ? Object.assign(new URL(svc.superuserUrl), { pathname: new URL(dbUrl).pathname }).toString() : dbUrl;
    owner = createKnex(bulkUrl, { min: 0, max: 2 }, 0);
    // pgbench's own database, made by the server's superuser (the service's working role may not create one).
    const pgUrl = new URL(svc.superuserUrl ?? dbUrl);
    const admin = createKnex(pgUrl.toString(), { min: 0, max: 1 }, 0);
    await admin.raw('DROP DATABASE IF EXISTS pgbench_ledger');
    await admin.raw('CREATE DATABASE pgbench_ledger');
    await admin.destroy();
    pgUrl.pathname = '/pgbench_ledger';
    await run$(PGBENCH, ['-i', '-q', '-s', '10', pgUrl.toString()]);

    console.log(`machine: ${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, load avg ${os.loadavg().map((x) => x.toFixed(1)).join('/')}`);
    console.log(`posting over HTTP vs pgbench tpcb-like (scale 10), ${SECONDS}s each, same PostgreSQL server`);
    console.log('clients | pgbench tps  p50/p99 ms | 2-line entries/s  p50/p99 ms  ratio | 6-line entries/s  p50/p99 ms  ratio | HTTP floor/s  p50/p99 ms  ratio');
    if (su) await su.raw('SELECT pg_stat_statements_reset()');
    for (const c of process.env.BENCH_SKIP_THROUGHPUT ? [] : CONCURRENCY) {
      const pg = await pgbench(pgUrl.toString(), c, SECONDS, logDir);
      const two = await postLoad(urls, token, 2, c, SECONDS);
      const six = await postLoad(urls, token, 6, c, SECONDS);
      const floor = await postLoad(urls, token, 'floor', c, SECONDS);
      console.log(
        `${String(c).padStart(7)} | ${f1(pg.tps).padStart(11)}  ${f1(pg.p50)}/${f1(pg.p99)} | ${f1(two.perSecond).padStart(16)}  ${f1(two.p50)}/${f1(two.p99)}  ${(two.perSecond / pg.tps).toFixed(2)}` +
          ` | ${f1(six.perSecond).padStart(16)}  ${f1(six.p50)}/${f1(six.p99)}  ${(six.perSecond / pg.tps).toFixed(2)}` +
          ` | ${f1(floor.perSecond).padStart(9)}  ${f1(floor.p50)}/${f1(floor.p99)}  ${(floor.perSecond / pg.tps).toFixed(2)}${two.errors + six.errors + floor.errors ? `  (errors: ${two.errors + six.errors + floor.errors})` : ''}`,
      );
    }

    if (!process.env.BENCH_SKIP_THROUGHPUT && !process.env.BENCH_NO_BATCHES) {
      console.log('batches (POST /journal-entries/batch, 2-line entries, each with its key): entries/s, p50/p99 ms per request');
      for (const [size, c] of [[100, 1], [100, 8], [1000, 1], [1000, 2]] as const) {
        const waits = sampleWaits(su ?? suWaits);
        const b = await batchLoad(remote.url, token, size, c, SECONDS);
        await waits();
        console.log(`  ${String(size).padStart(4)} entries × ${c} client(s): ${f1(b.perSecond).padStart(8)} entries/s  ${f1(b.p50)}/${f1(b.p99)}${b.errors ? `  (errors: ${b.errors})` : ''}`);
      }
    }
    if (pgStats) {
      // What the server spent its time on during the runs above (pg_stat_statements, loaded by BENCH_PG_STATS=1).
      const top = await su!.raw(`SELECT calls, round(total_exec_time::numeric, 1) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms, rows,
                                        regexp_replace(left(query, 110), '\\s+', ' ', 'g') AS query
                                   FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY total_exec_time DESC LIMIT 12`);
      console.log('pg_stat_statements (database of the service), top 12 by total time:');
      for (const r of top.rows) console.log(`  ${String(r.calls).padStart(8)} calls ${String(r.total_ms).padStart(10)} ms total ${String(r.mean_ms).padStart(8)} ms mean  ${r.query}`);
    }
    if (process.env.BENCH_ONLY_POSTING) return;
    console.log('statement latency over HTTP (30 calls each, ms p50/p99)');
    for (const target of [10_000, 1_000_000]) {
      const t = performance.now();
      const lines = await bulkLoad(owner, target);
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
    // 3. Posting with the overdraft-by-date check at 1M lines, dense recent history (one day row per fund per day).
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
    const back = new Date(`${today}T00:00:00Z`);
    back.setUTCDate(back.getUTCDate() - 300);
    const backDated = back.toISOString().slice(0, 10);
    await loadRecentDays(owner, today, 330);
    const hasDaily = (await db.raw(`SELECT to_regclass('ledger_daily_balances') AS t`)).rows[0].t;
    const dayRows = hasDaily ? Number((await db.raw(`SELECT count(*) AS c FROM ledger_daily_balances WHERE fund = 'BF-00' AND date >= ?`, [backDated])).rows[0].c) : 0;
    const totalLines = Number((await db('journal_lines').count('* as c').first())!.c);
    console.log(`payments (Dr 5101 / Cr 1002 0.01) over HTTP at ${totalLines.toLocaleString('en')} lines, ${SECONDS}s each; ${hasDaily ? `day rows of one fund from ${backDated} on: ${dayRows}` : 'no day balances (code before issue 12)'}`);
    console.log('clients | dated today: postings/s  p50/p95 ms | back-dated 300 days: postings/s  p50/p95 ms');
    for (const c of [1, 8]) {
      const now = await payLoad(remote.url, token, today, c, SECONDS);
      const old = await payLoad(remote.url, token, backDated, c, SECONDS);
      console.log(
        `${String(c).padStart(7)} | ${f1(now.perSecond).padStart(22)}  ${f1(now.p50)}/${f1(now.p95)} | ${f1(old.perSecond).padStart(30)}  ${f1(old.p50)}/${f1(old.p95)}` +
          `${now.failures || old.failures ? `  (failures: ${[now.failures, old.failures].filter(Boolean).join('; ')})` : ''}`,
      );
    }
    if (hasDaily) {
      // The posting's database work alone (no HTTP, no other work): one payment through ledger_post_entries
      // (period, balance locks, by-date check and move, balances, number, entry, lines), rolled back each time.
      const timeStatement = async (date: string, n = 200) => {
        const xs: number[] = [];
        const entry = [{ date, description: 'bench', source: 'manual', source_ref: null, reverses_id: null, created_by: 'bench', created_at: new Date().toISOString(), lines: [{ account: '5101', fund: 'BF-03', debit: '0.01' }, { account: '1002', fund: 'BF-03', credit: '0.01' }] }];
        for (let i = 0; i < n; i++) {
          await db.transaction(async (trx) => {
            const t = performance.now();
            await trx.raw('SELECT ledger_post_entries(?::jsonb)', [JSON.stringify(entry)]);
            xs.push(performance.now() - t);
            await trx.rollback();
          }).catch(() => undefined);
        }
        return `${pct(xs, 50).toFixed(2)}/${pct(xs, 95).toFixed(2)}`;
      };
      console.log(`one posting's database work alone (ledger_post_entries, 200 × rolled back, ms p50/p95): dated today ${await timeStatement(today)}, back-dated 300 days ${await timeStatement(backDated)}`);
      const daily = await db.raw(`
        WITH run AS (SELECT account, fund, date, sum(sum(debit) - sum(credit)) OVER (PARTITION BY account, fund ORDER BY date) AS closing
                       FROM journal_lines WHERE account IN ('1001','1002') GROUP BY account, fund, date)
        SELECT count(*) AS c FROM run FULL JOIN ledger_daily_balances d USING (account, fund, date) WHERE run.closing IS DISTINCT FROM d.closing`);
      console.log(`day balances that differ from the lines: ${daily.rows[0].c}`);
    }
    const check = await db.raw(`SELECT count(*) AS c FROM ledger_balances b LEFT JOIN (SELECT account, fund, sum(debit) d, sum(credit) c FROM journal_lines GROUP BY 1, 2) l USING (account, fund) WHERE b.debit_total <> coalesce(l.d, 0) OR b.credit_total <> coalesce(l.c, 0)`);
    console.log(`maintained balances that differ from the lines: ${check.rows[0].c}; total run ${((performance.now() - t0) / 1000).toFixed(0)}s`);
  } finally {
    await stopRemote();
    await owner?.destroy();
    await su?.destroy();
    await suWaits?.destroy();
    await svc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}
