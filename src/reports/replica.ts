// Reports off the primary: with REPORTS_DATABASE_URL the read-only report and open-data queries (the data
// snapshot and the basis it is stated at) run on that replica; the publication (advisory lock, the
// report.published audit row, reports_published) stays on the primary. A physical replica is consistent at
// every point it has replayed to, so the figures and the basis printed on them come from one state: the
// replica's. When the replica has not yet replayed the primary's head, the answer says so (X-Replica-Lag)
// instead of passing the replica's state off as the primary's.
import type { Response } from 'express';
import type { Knex } from 'knex';
import { auditHead } from '../audit';
import { AppError } from '../platform/errors';
import { withTimeout } from '../platform/metrics';
import type { AppContext } from '../http/route';

export interface ReportsReader {
  db: Knex;
  replica: boolean;
}

export const reportsReaderOf = (app: AppContext): ReportsReader => ({ db: app.reportsDb ?? app.db, replica: !!app.reportsDb });

const connectionLost = (e: { code?: string; name?: string }) =>
  e.name === 'KnexTimeoutError' || (!!e.code && (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN'].includes(e.code) || /^(08|57P)/.test(e.code)));

/**
 * A replica that does not answer is a 503 that names it, never a 500. Only on this error path, the primary is
 * asked whether it answers, so a primary that is away keeps the general message.
 */
export async function replicaError(app: AppContext, reader: ReportsReader, e: unknown): Promise<unknown> {
  if (!reader.replica || !connectionLost(e as { code?: string; name?: string })) return e;
  if (!(await app.db.raw('SELECT 1').then(() => true, () => false))) return e;
  return new AppError(503, 'unavailable', 'the reports database (REPORTS_DATABASE_URL) does not answer: retry later; nothing was published')
    .zh('报表数据库（只读副本）暂时无法连接，请稍后重试；未发布任何报告');
}

/** Longest a report waits to reach a replica that holds no open connection (one that accepts and never answers). */
const REPLICA_CONNECT_MS = 3000;

interface PoolCounts { numUsed(): number; numFree(): number; max: number }
const poolOf = (db: Knex): PoolCounts | undefined => (db.client as { pool?: PoolCounts }).pool;

/**
 * Before a report holds anything on the primary: a replica pool with no open connection is asked once, within
 * REPLICA_CONNECT_MS, so a replica that hangs is a 503 in seconds (not the pool's acquire timeout) and never
 * keeps primary connections waiting. A pool with open connections is reaching it: not asked again.
 */
async function replicaReachable(app: AppContext, reader: ReportsReader) {
  const pool = poolOf(reader.db);
  if (!reader.replica || !pool || pool.numUsed() + pool.numFree() > 0) return;
  try {
    await withTimeout(reader.db.raw('SELECT 1'), REPLICA_CONNECT_MS);
  } catch (e) {
    const lost = (e as { code?: string }).code === 'timeout' ? Object.assign(new Error('the reports database did not answer in time'), { code: 'ETIMEDOUT' }) : e;
    throw await replicaError(app, reader, lost);
  }
}

/**
 * Publications at once, per primary pool: each holds two connections (the publication's transaction on the
 * primary and the snapshot on the reader, the same pool without a replica), so more of them than half the pool
 * would hold every connection while each waits for its second: a deadlock until the acquire timeout, and every
 * other request of the service waiting too. A third of the pool keeps the rest for everything else.
 */
const slots = new WeakMap<Knex, { free: number; waiting: (() => void)[] }>();
async function publicationSlot(db: Knex): Promise<() => void> {
  let s = slots.get(db);
  if (!s) slots.set(db, (s = { free: Math.max(1, Math.floor((poolOf(db)?.max ?? 3) / 3)), waiting: [] }));
  const gate = s;
  if (gate.free > 0) gate.free--;
  else await new Promise<void>((r) => gate.waiting.push(r));
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const next = gate.waiting.shift();
    if (next) next();
    else gate.free++;
  };
}

/** Runs read-only report work on the reader; `publishes`: it also holds a primary transaction (a PDF's publication). */
export async function onReader<T>(app: AppContext, reader: ReportsReader, run: (db: Knex) => Promise<T>, opts: { publishes?: boolean } = {}): Promise<T> {
  await replicaReachable(app, reader);
  const release = opts.publishes ? await publicationSlot(app.db) : undefined;
  try {
    return await run(reader.db);
  } catch (e) {
    throw await replicaError(app, reader, e);
  } finally {
    release?.();
  }
}

/**
 * Says which head the answer is stated at: `X-As-Of-Head` (seq), and from a replica `X-Reports-Database:
 * replica` and `X-Replica-Lag` (audit rows the primary has that the replica had not replayed; 0 when current).
 */
export async function stateAsOf(res: Response, app: AppContext, reader: ReportsReader, asOf: { seq: number }, replicaHead?: { seq: number }) {
  if (res.headersSent) return;
  res.setHeader('X-As-Of-Head', String(asOf.seq));
  if (!reader.replica) return;
  const primary = await auditHead(app.db);
  const lag = Math.max(0, primary.seq - (replicaHead ?? asOf).seq);
  res.setHeader('X-Reports-Database', 'replica');
  res.setHeader('X-Replica-Lag', String(lag));
  if (lag > 0) app.log.warn({ primaryHead: primary.seq, replicaHead: (replicaHead ?? asOf).seq }, 'reports replica is behind the primary: the report is stated at the replica’s head');
}
