import type { Knex } from 'knex';
import type { Db } from '../platform/db';
import { clock } from '../platform/clock';
import { invariant } from '../platform/errors';
import { GENESIS_HASH, canonicalPayload, chainHash, privateDigestOf } from './chain';
import { sha256Hex } from '../platform/canonical-json';

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
}

/**
 * Appends one row to the chain inside the caller's transaction, so the change and its audit row commit
 * together or not at all. Locking the head row serialises appends: concurrent writers queue here, and the
 * chain stays one line with gapless seq. Call it last in a transaction to hold the lock briefly.
 */
export async function appendAudit(trx: Knex.Transaction, entry: AuditEntry): Promise<{ seq: number; hash: string }> {
  const time = clock.now().toISOString();
  const publicPayload = entry.publicPayload ? canonicalPayload(entry.publicPayload) : 'null';
  const privatePayload = canonicalPayload({ actor: entry.actor, subject: entry.subject, ...entry.privatePayload });
  const privateDigest = privateDigestOf(auditSecret(), privatePayload);
  // One statement (one round trip while the chain lock is held): lock the head, hash the new row onto it
  // exactly as chainHash() does, insert the row, move the head. FOR UPDATE re-reads the head a concurrent
  // append has just committed, so the chain cannot fork.
  const { rows } = await trx.raw(
    `WITH head AS (SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE),
     next AS (
       SELECT head.seq + 1 AS seq, head.hash AS prev_hash,
              encode(sha256(convert_to(concat_ws('|', head.hash, (head.seq + 1)::text, ?::text, ?::text, ?::text, ?::text), 'UTF8')), 'hex') AS hash
       FROM head),
     row AS (
       INSERT INTO audit_log (seq, time, actor, action, subject, public_payload, private_payload, private_digest, prev_hash, hash)
       SELECT next.seq, ?::timestamptz, ?, ?, ?, ?, ?, ?, next.prev_hash, next.hash FROM next
       RETURNING seq, hash, prev_hash)
     UPDATE audit_head SET seq = row.seq, hash = row.hash FROM row WHERE audit_head.id = 1 RETURNING row.seq, row.hash, row.prev_hash`,
    [
      time, entry.action, sha256Hex(publicPayload), privateDigest,
      time, entry.actor, entry.action, entry.subject, entry.publicPayload ? publicPayload : null, privatePayload, privateDigest,
    ],
  );
  const seq = Number(rows[0].seq);
  const hash: string = rows[0].hash;
  invariant(hash === chainHash({ seq, time, action: entry.action, publicPayload, privateDigest, prevHash: rows[0].prev_hash }), 'the chain hash computed in SQL differs from chainHash()');
  return { seq, hash };
}

export async function auditHead(db: Db): Promise<{ seq: number; hash: string }> {
  const head = await db('audit_head').where({ id: 1 }).first();
  return { seq: Number(head.seq), hash: head.hash };
}

export interface VerifyResult {
  ok: boolean;
  length: number;
  head: { seq: number; hash: string };
  firstBadSeq: number | null;
  /** Why the first bad row is bad, for people; null when the chain is intact. */
  problem: string | null;
}

/**
 * Recomputes the chain from the genesis: every hash, every link, no gap, the private digests (with the
 * secret), and the head row. Reads in batches so a long chain does not sit in memory.
 */
export async function verifyAuditChain(db: Db, batch = 5000): Promise<VerifyResult> {
  const key = auditSecret();
  let prevHash = GENESIS_HASH;
  let expectSeq = 1;
  let bad: { seq: number; problem: string } | null = null;
  for (;;) {
    const rows = await db('audit_log').where('seq', '>=', expectSeq).orderBy('seq').limit(batch);
    for (const r of rows) {
      const seq = Number(r.seq);
      const publicPayload = r.public_payload ?? 'null';
      const problem =
        seq !== expectSeq ? `seq ${expectSeq} is missing`
        : r.prev_hash !== prevHash ? 'prevHash does not link to the row before'
        : privateDigestOf(key, r.private_payload) !== r.private_digest ? 'the private payload does not match its digest'
        : chainHash({ seq, time: new Date(r.time).toISOString(), action: r.action, publicPayload, privateDigest: r.private_digest, prevHash: r.prev_hash }) !== r.hash
          ? 'the row does not match its hash'
        : null;
      if (problem) {
        bad = { seq: Math.min(seq, expectSeq), problem };
        break;
      }
      prevHash = r.hash;
      expectSeq = seq + 1;
    }
    if (bad || rows.length < batch) break;
  }
  const head = await auditHead(db);
  const length = expectSeq - 1;
  if (!bad && (head.seq !== length || head.hash !== prevHash)) bad = { seq: length + 1, problem: 'the chain ends before its recorded head' };
  return { ok: !bad, length: bad ? bad.seq - 1 : length, head, firstBadSeq: bad?.seq ?? null, problem: bad?.problem ?? null };
}

export interface PublicLogItem {
  seq: number;
  time: string;
  action: string;
  publicPayload: unknown;
  privateDigest: string;
  prevHash: string;
  hash: string;
}

export async function listPublicLog(db: Db, after: number, limit: number): Promise<{ items: PublicLogItem[]; nextCursor: string | null }> {
  const rows = await db('audit_log').where('seq', '>', after).orderBy('seq').limit(limit);
  const items = rows.map((r) => ({
    seq: Number(r.seq),
    time: new Date(r.time).toISOString(),
    action: r.action,
    publicPayload: r.public_payload === null ? null : JSON.parse(r.public_payload),
    privateDigest: r.private_digest,
    prevHash: r.prev_hash,
    hash: r.hash,
  }));
  return { items, nextCursor: items.length === limit ? String(items[items.length - 1]!.seq) : null };
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
