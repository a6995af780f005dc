// Publishing: every generated report's SHA-256 goes into the audit log ('report.published') and into
// reports_published, so anyone can check a downloaded copy at /public/reports/verify.
//
// How a repeat request gives the same bytes and appends nothing:
//   - A report is made at its *basis*: the last audit row that is not a report.published row. Publishing
//     appends such a row, which moves the real head but not the basis, so the next identical request is made
//     at the same basis (same seq, hash and time in its header and PDF dates).
//   - The generation time shown is that of the first publication at this basis (read from reports_published),
//     so it too is the same the second time.
//   - Same bytes → same SHA-256 → already in reports_published → no second audit row.
// The basis is found without reading the audit domain's tables: walk back from auditHead() over the seqs of
// our own report.published rows (only this domain appends that action), then read that row through
// listPublicLog().
//
// Transactions: the data are read in one REPEATABLE READ, READ ONLY snapshot, so a report streamed in batches
// sees one consistent state, the same one its basis names. A second transaction holds an advisory lock on
// (kind, parameters) for the whole generation, so two identical requests do not both publish, and appends the
// audit row at the end. The caller ends its output only after that commit (see routes.ts).
import type { Knex } from 'knex';
import { appendAudit, auditHead, listPublicLog, signCheckpoint, GENESIS_HASH } from '../audit';
import { canonicalJson } from '../platform/canonical-json';
import { clock } from '../platform/clock';
import type { Db } from '../platform/db';
import { invariant } from '../platform/errors';
import type { ReportHead, ReportResult, ReportSink } from '../../reports/kit';
import { date } from '../platform/rows';

export const EMPTY_CHAIN_TIME = '2000-01-01T00:00:00.000Z';

export type ReportKind = 'fund-statement' | 'aid-disclosure' | 'exit-progress' | 'audit-attestation' | 'loan-statement' | 'loan-programme' | 'campaign-disclosure';
export const REPORT_KINDS: readonly ReportKind[] = ['fund-statement', 'aid-disclosure', 'exit-progress', 'audit-attestation', 'loan-statement', 'loan-programme', 'campaign-disclosure'];

export interface RenderContext {
  /** The snapshot transaction: read every datum through it. */
  db: Knex.Transaction;
  head: ReportHead;
  generatedAt: Date;
  sink: ReportSink;
  progress?: (done: number, total: number) => void;
  /** The foundation's rules the aid disclosure cites (config AID_RULES_NAME; the default when not given). */
  aidRulesName?: string;
}

/** A report: checks its parameters against the data (throwing AppErrors before any byte is written), then lays out. */
export type Renderer<P> = (params: P, ctx: RenderContext) => Promise<ReportResult>;

export interface Publication {
  kind: ReportKind;
  params: Record<string, unknown>;
  sha256: string;
  bytes: number;
  pages: number;
  headSeq: number;
  headHash: string;
  generatedAt: string;
  /** seq and time of the report.published audit row. */
  seq: number;
  issuedAt: string;
  /** False when these bytes had been published before (nothing was appended). */
  appended: boolean;
}

/** The audit row a report is made at: the head, less the report.published rows at its end. */
export async function reportBasis(db: Db): Promise<ReportHead> {
  const top = await auditHead(db);
  let seq = top.seq;
  for (;;) {
    const ours: number[] = (await db('reports_published').where('published_seq', '<=', seq).orderBy('published_seq', 'desc').limit(500).pluck('published_seq')).map(Number);
    let i = 0;
    while (i < ours.length && ours[i] === seq) {
      seq -= 1;
      i += 1;
    }
    if (i < 500) break;
  }
  const basis = seq === 0 ? { seq: 0, hash: GENESIS_HASH, time: EMPTY_CHAIN_TIME } : await basisRow(db, seq);
  // The basis signed (Ed25519 is deterministic: the same basis prints the same signature, so the same bytes).
  const { signature, keyId } = signCheckpoint(basis);
  return { ...basis, checkpoint: { signature, keyId } };
}

async function basisRow(db: Db, seq: number) {
  const row = (await listPublicLog(db, seq - 1, 1)).items[0];
  invariant(row && row.seq === seq, `audit row ${seq} is missing`);
  return { seq, hash: row.hash, time: row.time };
}

/** The report.published rows appended after the basis (for the attestation, which states the chain as of its basis). */
export async function publishedAfter(db: Db, seq: number): Promise<{ seq: number; time: string }[]> {
  return (await db('reports_published').where('published_seq', '>', seq).orderBy('published_seq').select('published_seq', 'published_at')).map((r) => ({
    seq: Number(r.published_seq),
    time: new Date(r.published_at).toISOString(),
  }));
}

/**
 * Generates a report into `sink` and publishes its hash. Resolves after the audit row is committed; the
 * bytes have all been written to the sink by then (the caller then ends its stream).
 */
export async function publishReport<P extends Record<string, unknown>>(
  db: Knex,
  kind: ReportKind,
  params: P,
  render: Renderer<P>,
  sink: ReportSink,
  opts: {
    actor: string; progress?: (done: number, total: number) => void; aidRulesName?: string;
    /** Where the data and the basis are read (the reports replica, src/reports/replica.ts); the primary when absent. */
    readDb?: Knex;
    /** Told the basis and the head of the snapshot before any byte is written (the route states them in headers). */
    onBasis?: (basis: ReportHead, snapshotHead: { seq: number }) => Promise<void>;
  },
): Promise<Publication> {
  const paramsKey = canonicalJson(params);
  return db.transaction(async (outer) => {
    await outer.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 7302))', [`report:${kind}:${paramsKey}`]);
    const snap = await (opts.readDb ?? db).transaction();
    let result: ReportResult;
    let head: ReportHead;
    let generatedAt: Date;
    try {
      await snap.raw('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      head = await reportBasis(snap);
      if (opts.onBasis) await opts.onBasis(head, await auditHead(snap));
      const prior = await outer('reports_published').where({ kind, params_key: paramsKey, head_seq: head.seq }).orderBy('id').first();
      generatedAt = prior ? new Date(prior.generated_at) : new Date(Math.floor(clock.now().getTime() / 1000) * 1000);
      result = await render(params, { db: snap, head, generatedAt, sink, progress: opts.progress, aidRulesName: opts.aidRulesName });
      await snap.commit();
    } catch (e) {
      await snap.rollback().catch(() => undefined);
      throw e;
    }
    const existing = await outer('reports_published').where({ sha256: result.sha256 }).first();
    if (existing) return publicationOf(existing, false);
    const appended = await appendAudit(outer, {
      actor: opts.actor,
      action: 'report.published',
      subject: `report:${kind}`,
      publicPayload: { kind, params, headSeq: head.seq, sha256: result.sha256 },
      privatePayload: { bytes: result.bytes, pages: result.pages },
    });
    const issued = (await listPublicLog(outer, appended.seq - 1, 1)).items[0]!;
    const [row] = await outer('reports_published')
      .insert({
        sha256: result.sha256, kind, params_key: paramsKey, head_seq: head.seq, head_hash: head.hash, generated_at: generatedAt.toISOString(),
        published_seq: appended.seq, published_at: issued.time, pages: result.pages, bytes: result.bytes,
      })
      .returning('*');
    return publicationOf(row, true);
  });
}

/** reports_published: one row per published PDF. */
interface PublishedRow {
  id: number;
  sha256: string;
  kind: ReportKind;
  params_key: string;
  head_seq: number;
  head_hash: string;
  generated_at: Date;
  published_seq: number;
  published_at: Date;
  pages: number;
  bytes: number;
}


/** The row as the driver returns it (BIGINT → number, timestamptz → Date), decoded once. */
function decodePublished(r: Record<string, unknown>): PublishedRow {
  if (!REPORT_KINDS.includes(r.kind as ReportKind)) throw new Error(`unknown report kind ${String(r.kind)}`);
  return {
    id: Number(r.id), sha256: String(r.sha256), kind: r.kind as ReportKind, params_key: String(r.params_key), head_seq: Number(r.head_seq),
    head_hash: String(r.head_hash), generated_at: date(r.generated_at), published_seq: Number(r.published_seq), published_at: date(r.published_at),
    pages: Number(r.pages), bytes: Number(r.bytes),
  };
}

function publicationOf(raw: Record<string, unknown>, appended: boolean): Publication {
  const r = decodePublished(raw);
  return {
    kind: r.kind,
    params: JSON.parse(r.params_key),
    sha256: r.sha256,
    bytes: r.bytes,
    pages: r.pages,
    headSeq: r.head_seq,
    headHash: r.head_hash,
    generatedAt: r.generated_at.toISOString(),
    seq: r.published_seq,
    issuedAt: r.published_at.toISOString(),
    appended,
  };
}

/** GET /public/reports/verify: was a report with these bytes issued, and when? */
export async function verifyReport(db: Db, sha256: string) {
  const row = await db('reports_published').where({ sha256: sha256.toLowerCase() }).first();
  if (!row) return { sha256: sha256.toLowerCase(), issued: false as const };
  const { appended: _a, ...p } = publicationOf(row, false);
  return { issued: true as const, ...p };
}
