// Prometheus metrics (GET /metrics, docs/operations.md "Metrics"), with prom-client. The counters of work done
// (requests, postings, jobs, reports) are per process; what is read at scrape time (the database pool, the
// audit chain) belongs to one app and its pool, so each app merges its own gauges with the process's.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { NextFunction, Request, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { messageZhOf } from './errors';

const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry });

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const httpRequests = new Counter({
  name: 'warmth_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status',
  labelNames: ['method', 'route', 'status'] as const, registers: [processRegistry],
});
const httpDuration = new Histogram({
  name: 'warmth_http_request_duration_seconds', help: 'Time to answer an HTTP request, by method, route pattern and status',
  labelNames: ['method', 'route', 'status'] as const, buckets: SECONDS, registers: [processRegistry],
});
const postings = new Counter({ name: 'warmth_ledger_postings_total', help: 'Journal entries committed', registers: [processRegistry] });
const postingCommits = new Counter({
  name: 'warmth_ledger_posting_commits_total', help: 'Transactions that committed journal entries (a group commit or a batch is one)', registers: [processRegistry],
});
const postingsPerCommit = new Histogram({
  name: 'warmth_ledger_postings_per_commit', help: 'Journal entries per committing transaction (group commit and batch sizes)',
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024], registers: [processRegistry],
});
const jobRuns = new Counter({ name: 'warmth_job_runs_total', help: 'Background job runs, by job and outcome', labelNames: ['job', 'outcome'] as const, registers: [processRegistry] });
const jobDuration = new Histogram({ name: 'warmth_job_duration_seconds', help: 'Background job run time', labelNames: ['job'] as const, buckets: SECONDS, registers: [processRegistry] });
const jobLastSuccess = new Gauge({
  name: 'warmth_job_last_success_timestamp_seconds', help: 'When each background job last ran without error (Unix time)', labelNames: ['job'] as const, registers: [processRegistry],
});
const reportDuration = new Histogram({
  name: 'warmth_report_generation_seconds', help: 'Time to make and publish a report, by kind and outcome',
  labelNames: ['report', 'outcome'] as const, buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120], registers: [processRegistry],
});

const API_MOUNT = '/api/v1';

/**
 * The route pattern of an answered request ('/api/v1/households/:id'), never its raw URL: a label per URL would
 * make a series per household. An error answer leaves the router with baseUrl reset, so the mount is put back
 * from the path. No route matched (a 404, static assets, a refused body): '(unmatched)' or '(static)'.
 */
function routeOf(req: Request): string {
  const pattern: unknown = req.route?.path;
  if (typeof pattern === 'string') {
    const base = req.baseUrl || (req.originalUrl.startsWith(`${API_MOUNT}/`) ? API_MOUNT : '');
    return `${base}${pattern}`;
  }
  const p = req.originalUrl.split('?')[0] ?? '';
  if (p.startsWith('/assets/') || p.startsWith('/docs/') || p === '/docs') return '(static)';
  return '(unmatched)';
}

/** The methods the routes answer; any other the HTTP parser lets through (PROPFIND, PURGE, M-SEARCH …) is 'OTHER'. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Express middleware (first in the app): times every request and counts it by route pattern and status. */
export function httpMetrics(req: Request, res: Response, next: NextFunction) {
  const end = httpDuration.startTimer();
  let done = false;
  const record = () => {
    if (done) return;
    done = true;
    // A client that went away before the answer was sent is counted with status 499, as nginx logs it.
    const labels = { method: METHODS.has(req.method) ? req.method : 'OTHER', route: routeOf(req), status: res.writableFinished ? String(res.statusCode) : '499' };
    httpRequests.inc(labels);
    end(labels);
  };
  res.once('finish', record);
  res.once('close', record);
  next();
}

/**
 * Counts postings when the transaction that wrote them commits (src/ledger/service.ts writeEntries calls it
 * once per write): a rolled-back group counts nothing.
 */
export function countPostingsOnCommit(trx: Knex.Transaction, committed: number) {
  if (committed <= 0) return;
  trx.executionPromise.then(
    () => {
      postings.inc(committed);
      postingCommits.inc();
      postingsPerCommit.observe(committed);
    },
    () => undefined,
  );
}

/** Runs one background job's run, timed and counted (src/jobs.ts). */
export async function timeJob<T>(job: string, run: () => Promise<T>): Promise<T> {
  const end = jobDuration.startTimer({ job });
  try {
    const out = await run();
    jobRuns.inc({ job, outcome: 'ok' });
    jobLastSuccess.set({ job }, Date.now() / 1000); // wall time for monitoring, not a business instant
    return out;
  } catch (e) {
    jobRuns.inc({ job, outcome: 'error' });
    throw e;
  } finally {
    end();
  }
}

/** Makes and publishes one report, timed (src/reports/routes.ts). */
export async function timeReport<T>(report: string, make: () => Promise<T>): Promise<T> {
  const end = reportDuration.startTimer({ report });
  try {
    const out = await make();
    end({ outcome: 'ok' });
    return out;
  } catch (e) {
    end({ outcome: 'error' });
    throw e;
  }
}

// ─────────── what one app's scrape reads ───────────

/** The few tarn pool counts knex's pool has. */
interface PoolCounts {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
  max: number;
}

const poolOf = (db: Knex): PoolCounts | undefined => (db.client as { pool?: PoolCounts }).pool;

/** Longest a scrape waits for the database (a scrape must answer while the database is away). */
const SCRAPE_DB_TIMEOUT_MS = 2000;

/** p, or a rejection with code 'timeout' after ms (probes and scrapes answer while the database hangs). */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'timeout' })), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** One app's registry: the process's metrics plus its own pool and audit chain, read at scrape. */
export function appMetrics(db: Knex, chainLength: () => Promise<number>): Registry {
  const own = new Registry();
  new Gauge({
    name: 'warmth_db_pool_connections', help: 'Database pool connections: used (lent out), free (idle), pending (requests waiting for one), creating',
    labelNames: ['state'] as const, registers: [own],
    collect() {
      const pool = poolOf(db);
      if (!pool) return;
      this.set({ state: 'used' }, pool.numUsed());
      this.set({ state: 'free' }, pool.numFree());
      this.set({ state: 'pending' }, pool.numPendingAcquires());
      this.set({ state: 'creating' }, pool.numPendingCreates());
    },
  });
  new Gauge({
    name: 'warmth_db_pool_max', help: 'Largest number of database connections the pool opens', registers: [own],
    collect() {
      const pool = poolOf(db);
      if (pool) this.set(pool.max);
    },
  });
  const up = new Gauge({ name: 'warmth_db_up', help: '1 when the last scrape could read the database, else 0', registers: [own] });
  new Gauge({
    name: 'warmth_audit_chain_length', help: 'Rows in the audit chain (the head seq), read at scrape', registers: [own],
    async collect() {
      try {
        this.set(await withTimeout(chainLength(), SCRAPE_DB_TIMEOUT_MS));
        up.set(1);
      } catch {
        this.reset(); // no number rather than a stale one
        up.set(0);
      }
    },
  });
  return Registry.merge([processRegistry, own]);
}

/**
 * Who may read /metrics (docs/operations.md): with METRICS_TOKEN, a request with `Authorization: Bearer
 * <token>` (the scheme in any case, RFC 9110 11.1; never the query string), compared in constant time on the digests; without it, nobody on the service's port (404, as if there were no such route) — a separate
 * listener (METRICS_PORT on METRICS_HOST, loopback by default) is how to scrape without a token.
 */
export function metricsHandler(registry: Registry, token: string | undefined, opts: { open: boolean }) {
  const expected = token ? crypto.createHash('sha256').update(token).digest() : undefined;
  const refuse = (res: Response, status: number, code: string, message: string) =>
    res.status(status).json({ error: { code, message, messageZh: messageZhOf(code, code === 'unauthorized' ? '读取监控指标需要 METRICS_TOKEN 令牌' : undefined), details: null } });
  return async (req: Request, res: Response, next: NextFunction) => {
    if (expected) {
      const m = /^Bearer (\S{1,500})$/i.exec(req.headers.authorization ?? '');
      const given = crypto.createHash('sha256').update(m?.[1] ?? '').digest();
      if (!m || !crypto.timingSafeEqual(given, expected)) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
        return refuse(res, 401, 'unauthorized', 'the metrics need the bearer token of METRICS_TOKEN');
      }
    } else if (!opts.open) {
      return refuse(res, 404, 'not_found', `no route ${req.method} ${req.path}`);
    }
    try {
      const text = await registry.metrics();
      res.setHeader('Cache-Control', 'no-store');
      res.type(registry.contentType).send(text);
    } catch (e) {
      next(e);
    }
  };
}
