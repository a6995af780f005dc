import type { Knex } from 'knex';
import type { Db } from '../platform/db';
import { clock } from '../platform/clock';
import { invariant } from '../platform/errors';
import { currentRequestId } from '../platform/request-context';
import { GENESIS_HASH, HASH_VERSION, canonicalPayload, chainHash, privateDigestOf, type ChainRow, type HashVersion } from './chain';
import { EMPTY_CHAIN_TIME, signCheckpoint, type Checkpoint } from './checkpoint';

let secret: string | undefined;

/** The HMAC key of private payloads, from AUDIT_SECRET; set once at start. */
export function configureAuditSecret(value: string) {
  secret = value;
}

function auditSecret() {
  invariant(secret, 'the audit secret is not configured');
  return secret;
}

export interface AuditEntry {
  /** Username, or 'public' / 'system'. */
  actor: string;
  /** domain.verb, e.g. 'ledger.posted', 'aid.approved'. */
  action: string;
  /** What the row is about, e.g. 'journal-entry:12', 'aid-case:2026-CY-0001'. */
  subject: string;
  /** Shown to everyone: must already be masked (no ID numbers, phones, addresses or full names). */
  publicPayload?: Record<string, unknown> | null;
  /** Seen by auditors only; its HMAC is in the public chain. */
  privatePayload?: Record<string, unknown>;
  /** The request that caused the write, when it is not the one running (group commit); not hashed (docs/audit-chain.md). */
  requestId?: string;
}

/**
 * Appends one row to the chain inside the caller's transaction, so the change and its audit row commit
 * together or not at all. Locking the head row serialises appends: concurrent writers queue here, and the
 * chain stays one line with gapless seq. Call it last in a transaction to hold the lock briefly.
 */
export async function appendAudit(trx: Knex.Transaction, entry: AuditEntry): Promise<{ seq: number; hash: string }> {
  return (await appendAuditBatch(trx, [entry]))[0]!;
}

/** The chain head as audit_lock_head() answers it: locked FOR UPDATE by this transaction until it ends. */
export interface LockedAuditHead {
  seq: number;
  hash: string;
}

/**
 * Appends several rows in list order: lock the head (FOR UPDATE re-reads the head a concurrent append has just
 * committed, so the chain cannot fork), hash each new row onto the one before with chainHash() (version 2), then
 * insert the rows and move the head (audit_append_rows: one call, its plans kept per connection). A posting group
 * (src/ledger/batch.ts) takes the head lock in the same round trip as its entries, with SQL's audit_lock_head(),
 * and passes it as lockedHead; it must have been taken in this transaction.
 */
export async function appendAuditBatch(trx: Knex.Transaction, entries: AuditEntry[], lockedHead?: LockedAuditHead): Promise<{ seq: number; hash: string }[]> {
  if (!entries.length) return [];
  const time = clock.now().toISOString();
  const key = auditSecret();
  const head = lockedHead ?? ((await trx.raw('SELECT audit_lock_head() AS head')).rows[0].head as LockedAuditHead);
  let seq = Number(head.seq);
  let prevHash: string = head.hash;
  const requestId = currentRequestId() ?? null;
  const rows = entries.map((entry) => {
    const publicPayload = entry.publicPayload ? canonicalPayload(entry.publicPayload) : 'null';
    // actor and subject last: a private payload can never claim another actor or subject than the row's.
    const privatePayload = canonicalPayload({ ...entry.privatePayload, actor: entry.actor, subject: entry.subject });
    const privateDigest = privateDigestOf(key, privatePayload);
    seq += 1;
    const hash = chainHash({ hashVersion: HASH_VERSION, seq, time, actor: entry.actor, action: entry.action, subject: entry.subject, publicPayload, privateDigest, prevHash });
    const row = {
      seq, time, actor: entry.actor, action: entry.action, subject: entry.subject, hash_version: HASH_VERSION,
      public_payload: entry.publicPayload ? publicPayload : null, private_payload: privatePayload, private_digest: privateDigest, prev_hash: prevHash, hash,
      request_id: entry.requestId ?? requestId,
    };
    prevHash = hash;
    return row;
  });
  const last = rows[rows.length - 1]!;
  const { rows: out } = await trx.raw('SELECT audit_append_rows(?::jsonb, ?, ?) AS inserted', [JSON.stringify(rows), last.seq, last.hash]);
  invariant(Number(out[0].inserted) === entries.length, 'every audit row was appended and the head moved');
  return rows.map((r) => ({ seq: r.seq, hash: r.hash }));
}

export async function auditHead(db: Db): Promise<{ seq: number; hash: string }> {
  const head = await db('audit_head').where({ id: 1 }).first();
  return { seq: Number(head.seq), hash: head.hash };
}

/** The head with the time of its row, signed (GET /public/log/checkpoint). */
export async function headCheckpoint(db: Db): Promise<Checkpoint> {
  const { rows } = await db.raw('SELECT h.seq, h.hash, a.time FROM audit_head h LEFT JOIN audit_log a ON a.seq = h.seq WHERE h.id = 1');
  const r = rows[0];
  return signCheckpoint({ seq: Number(r.seq), hash: r.hash, time: r.time ? new Date(r.time).toISOString() : EMPTY_CHAIN_TIME });
}

/**
 * Runs fn in one REPEATABLE READ, READ ONLY snapshot, so a verification that reads in many batches sees one
 * state while writers go on (a caller's transaction is used as it is).
 */
export async function inSnapshot<T>(db: Db, fn: (snap: Db) => Promise<T>): Promise<T> {
  if ((db as Knex.Transaction).isTransaction) return fn(db);
  return (db as Knex).transaction(async (trx) => {
    await trx.raw('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    return fn(trx);
  });
}

export interface VerifyResult {
  ok: boolean;
  length: number;
  head: { seq: number; hash: string };
  firstBadSeq: number | null;
  /** Why the first bad row is bad, for people; null when the chain is intact. */
  problem: string | null;
}

/** A row of audit_log as the database gives it (hash_version is absent before the version-2 migration). */
export interface AuditLogRow {
  seq: number | string;
  time: Date | string;
  actor: string;
  action: string;
  subject: string;
  public_payload: string | null;
  private_payload: string;
  private_digest: string;
  prev_hash: string;
  hash: string;
  hash_version?: number | null;
}

/** A stored row as chainHash() takes it (no hash_version: version 1). */
export const chainRowOf = (r: AuditLogRow): ChainRow => ({
  hashVersion: Number(r.hash_version ?? 1) as HashVersion,
  seq: Number(r.seq),
  time: new Date(r.time).toISOString(),
  actor: r.actor,
  action: r.action,
  subject: r.subject,
  publicPayload: r.public_payload ?? 'null',
  privateDigest: r.private_digest,
  prevHash: r.prev_hash,
});

/** Why a row does not check, or null. Private payloads always hold the row's actor and subject (HMAC-covered, so version-1 rows are checked too). */
function rowProblem(key: string, r: AuditLogRow, row: ChainRow, expectSeq: number, prevHash: string, prevVersion: number): string | null {
  if (row.seq !== expectSeq) return `seq ${expectSeq} is missing`;
  if (row.prevHash !== prevHash) return 'prevHash does not link to the row before';
  if (row.hashVersion !== 1 && row.hashVersion !== 2) return `unknown hash version ${String(row.hashVersion)}`;
  if (row.hashVersion < prevVersion) return `a hash-version ${row.hashVersion} row after version-${prevVersion} rows`;
  if (privateDigestOf(key, r.private_payload) !== r.private_digest) return 'the private payload does not match its digest';
  let priv: Record<string, unknown>;
  try {
    priv = JSON.parse(r.private_payload);
  } catch {
    return 'the private payload is not JSON';
  }
  if (priv && typeof priv === 'object' && 'actor' in priv && priv.actor !== row.actor) return `the actor column (${row.actor}) differs from the private payload's (${String(priv.actor)})`;
  if (priv && typeof priv === 'object' && 'subject' in priv && priv.subject !== row.subject) return `the subject column (${row.subject}) differs from the private payload's (${String(priv.subject)})`;
  if (chainHash(row) !== r.hash) return 'the row does not match its hash';
  return null;
}

/**
 * Recomputes the chain from the genesis: every hash (each under its version), every link, no gap, the
 * private digests (with the secret) and the actor and subject they hold, and the head row. Reads in batches
 * in one snapshot, so a long chain does not sit in memory and concurrent appends do not disturb it.
 */
export async function verifyAuditChain(db: Db, batch = 5000): Promise<VerifyResult> {
  const key = auditSecret();
  return inSnapshot(db, async (snap) => {
    let prevHash = GENESIS_HASH;
    let prevVersion = 1;
    let expectSeq = 1;
    let bad: { seq: number; problem: string } | null = null;
    for (;;) {
      const rows = await snap('audit_log').where('seq', '>=', expectSeq).orderBy('seq').limit(batch);
      for (const r of rows) {
        const row = chainRowOf(r);
        const problem = rowProblem(key, r, row, expectSeq, prevHash, prevVersion);
        if (problem) {
          bad = { seq: Math.min(row.seq, expectSeq), problem };
          break;
        }
        prevHash = r.hash;
        prevVersion = row.hashVersion;
        expectSeq = row.seq + 1;
      }
      if (bad || rows.length < batch) break;
    }
    const head = await auditHead(snap);
    const length = expectSeq - 1;
    if (!bad && (head.seq !== length || head.hash !== prevHash)) bad = { seq: length + 1, problem: 'the chain ends before its recorded head' };
    return { ok: !bad, length: bad ? bad.seq - 1 : length, head, firstBadSeq: bad?.seq ?? null, problem: bad?.problem ?? null };
  });
}

/** One row of GET /public/log: every field the public needs to recompute its hash (docs/audit-chain.md). */
export interface PublicLogItem {
  seq: number;
  time: string;
  actor: string;
  action: string;
  subject: string;
  publicPayload: unknown;
  privateDigest: string;
  prevHash: string;
  hash: string;
  hashVersion: HashVersion;
}

export async function listPublicLog(db: Db, after: number, limit: number): Promise<{ items: PublicLogItem[]; nextCursor: string | null }> {
  const rows = await db('audit_log').where('seq', '>', after).orderBy('seq').limit(limit);
  const items = rows.map((r) => ({
    seq: Number(r.seq),
    time: new Date(r.time).toISOString(),
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    publicPayload: r.public_payload === null ? null : JSON.parse(r.public_payload),
    privateDigest: r.private_digest,
    prevHash: r.prev_hash,
    hash: r.hash,
    hashVersion: Number(r.hash_version ?? 1) as HashVersion,
  }));
  return { items, nextCursor: items.length === limit ? String(items[items.length - 1]!.seq) : null };
}

// ─────────── what the ledger's integrity check reads of the log (src/ledger/integrity.ts) ───────────

/** An audit row as the ledger check sees it: its seq, action, subject and public payload (hash-covered). */
export interface LoggedRow {
  seq: number;
  action: string;
  subject: string;
  publicPayload: unknown;
}

const loggedRow = (r: Pick<AuditLogRow, 'seq' | 'action' | 'subject' | 'public_payload'>): LoggedRow => ({
  seq: Number(r.seq), action: r.action, subject: r.subject, publicPayload: r.public_payload === null ? null : JSON.parse(r.public_payload),
});

/** The rows about these subjects with one of these actions, in seq order (uses the subject index). */
export async function auditRowsForSubjects(db: Db, subjects: string[], actions: readonly string[]): Promise<LoggedRow[]> {
  if (!subjects.length) return [];
  const rows = await db('audit_log').whereIn('subject', subjects).whereIn('action', actions).orderBy('seq').select('seq', 'action', 'subject', 'public_payload');
  return rows.map(loggedRow);
}

/** How many rows have one of these actions and a subject starting with the prefix. */
export async function countAuditRows(db: Db, actions: readonly string[], subjectPrefix: string): Promise<number> {
  const [r] = await db('audit_log').whereIn('action', actions).where('subject', 'like', `${subjectPrefix.replace(/[\\%_]/g, '\\$&')}%`).count<{ n: string }[]>('* as n');
  return Number(r!.n);
}

/** The next `limit` rows after seq `after` with one of these actions and a subject starting with the prefix. */
export async function auditRowsAfter(db: Db, actions: readonly string[], subjectPrefix: string, after: number, limit: number): Promise<LoggedRow[]> {
  const rows = await db('audit_log')
    .where('seq', '>', after).whereIn('action', actions).where('subject', 'like', `${subjectPrefix.replace(/[\\%_]/g, '\\$&')}%`)
    .orderBy('seq').limit(limit).select('seq', 'action', 'subject', 'public_payload');
  return rows.map(loggedRow);
}

export interface AuditQuery {
  from?: string;
  to?: string;
  subject?: string;
  action?: string;
  after: number;
  limit: number;
}

export async function listAuditRows(db: Db, q: AuditQuery) {
  const query = db('audit_log').where('seq', '>', q.after).orderBy('seq').limit(q.limit);
  if (q.from) query.where('time', '>=', q.from);
  if (q.to) query.where('time', '<', q.to);
  if (q.subject) query.where('subject', q.subject);
  if (q.action) query.where('action', q.action);
  const rows = await query;
  const items = rows.map((r) => ({
    seq: Number(r.seq),
    time: new Date(r.time).toISOString(),
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    publicPayload: r.public_payload === null ? null : JSON.parse(r.public_payload),
    privatePayload: JSON.parse(r.private_payload),
    privateDigest: r.private_digest,
    prevHash: r.prev_hash,
    hash: r.hash,
    hashVersion: Number(r.hash_version ?? 1),
  }));
  return { items, nextCursor: items.length === q.limit ? String(items[items.length - 1]!.seq) : null };
}

/** Counts by action and month, for the attestation report. */
export async function auditActionCounts(db: Db) {
  const rows = await db('audit_log')
    .select('action')
    .select(db.raw(`to_char(time AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month`))
    .count<{ action: string; month: string; count: string }[]>('* as count')
    .groupBy('action', 'month')
    .orderBy(['month', 'action']);
  return rows.map((r) => ({ action: r.action, month: r.month, count: Number(r.count) }));
}
