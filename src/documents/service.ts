import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import type { Knex } from 'knex';
import { fileTypeFromBuffer } from 'file-type';
import type { Db } from '../platform/db';
import type { Config } from '../platform/config';
import { clock } from '../platform/clock';
import { AppError, badRequest, forbidden, invalidState, invariant, notFound } from '../platform/errors';
import { appendAudit } from '../audit';
import { isFoundationApprover, type SessionUser } from '../auth';
import { householdRecordOwner } from '../households';
import { caseScope, householdHasCaseAboveDistrictTier } from '../aid';
import { CHUNK_BYTES, EXTENSION, decodeDocument, documentKey, isMediaType, openChunk, sealChunk, type DocumentRow, type OwnerKind } from './model';
import { configuredStore, databaseStore, type ChunkStore } from './store';

export interface DocumentSettings {
  key: Buffer;
  maxBytes: number;
  retentionYears: number;
  limits: { districtLimit: string; foundationLimit: string };
  /** Where new documents go. */
  store: ChunkStore;
  /** Where each kind of stored document is read from (an S3 document needs S3_* configured to be read). */
  stores: Partial<Record<ChunkStore['kind'], ChunkStore>>;
}

export function documentSettings(config: Config, store: ChunkStore = configuredStore(config)): DocumentSettings {
  return {
    key: documentKey(config.dataKey),
    maxBytes: config.documentMaxBytes,
    retentionYears: config.documentRetentionYears,
    limits: { districtLimit: config.aidDistrictLimit, foundationLimit: config.aidFoundationLimit },
    store,
    stores: { database: databaseStore, [store.kind]: store },
  };
}

// ---------------------------------------------------------------------------------------------- who

interface OwnerScope {
  kind: OwnerKind;
  id: number;
  householdId: number;
  district: string;
  /** Whether the owner concerns a case above the district tier (asked only for foundation approvers). */
  aboveDistrictTier: () => Promise<boolean>;
}

/** The owner as its own domain tells it (households or aid: their index, never their tables). */
async function ownerScope(db: Db, s: DocumentSettings, kind: OwnerKind, id: number): Promise<OwnerScope | undefined> {
  if (kind === 'aid_case') {
    const c = await caseScope(db, id, s.limits);
    return c && { kind, id, householdId: c.householdId, district: c.district, aboveDistrictTier: async () => c.tier !== 'district' };
  }
  const o = await householdRecordOwner(db, kind, id);
  return o && { kind, id, householdId: o.householdId, district: o.district, aboveDistrictTier: () => householdHasCaseAboveDistrictTier(db, o.householdId, s.limits) };
}

type Verdict = 'ok' | 'hidden' | 'forbidden';

/**
 * Reading: auditors everywhere; officers and approvers of the owner's district; foundation approvers for what
 * concerns a case above the district tier; nobody else (finance never). Another district's is hidden (404).
 */
async function readVerdict(u: SessionUser, owner: OwnerScope): Promise<Verdict> {
  if (u.roles.includes('auditor')) return 'ok';
  if (u.district && u.roles.some((r) => r === 'officer' || r === 'approver')) return u.district === owner.district ? 'ok' : 'hidden';
  if (isFoundationApprover(u)) return (await owner.aboveDistrictTier()) ? 'ok' : 'forbidden';
  return 'forbidden';
}

/** Attaching and withdrawing: the officers of the owner's district. */
function writeVerdict(u: SessionUser, owner: OwnerScope): Verdict {
  if (u.roles.includes('officer') && u.district) return u.district === owner.district ? 'ok' : 'hidden';
  return 'forbidden';
}

function enforce(verdict: Verdict, what: string) {
  if (verdict === 'hidden') throw notFound(what);
  if (verdict === 'forbidden') {
    throw forbidden(`your role or district may not see or change the documents of ${what}`).zh('您的角色或所属区无权查看或处理这些证明材料');
  }
}

const ownerName = (kind: OwnerKind, id: number) => `${kind.replace('_', ' ')} ${id}`;

// ---------------------------------------------------------------------------------------------- views

function documentView(d: DocumentRow, viewer: SessionUser) {
  return {
    id: d.id, ownerKind: d.owner_kind, ownerId: d.owner_id, householdId: d.household_id, title: d.title, mediaType: d.media_type,
    sizeBytes: d.size_bytes, status: d.status, createdBy: d.created_by, createdAt: d.created_at.toISOString(),
    withdrawnBy: d.withdrawn_by, withdrawnAt: d.withdrawn_at?.toISOString() ?? null, withdrawReason: d.withdraw_reason,
    eraseAfter: d.erase_after?.toISOString() ?? null, erased: d.erased_at !== null, erasedAt: d.erased_at?.toISOString() ?? null,
    // The hash is the auditors' proof that a document is the one seen at a decision; nobody else needs it.
    ...(viewer.roles.includes('auditor') ? { sha256: d.sha256 } : {}),
  };
}
export type DocumentView = ReturnType<typeof documentView>;

// ---------------------------------------------------------------------------------------------- attach

const tooLarge = (max: number) =>
  new AppError(413, 'payload_too_large', `a document may be at most ${max} bytes`, { maxBytes: max }).zh(`证明材料不能超过 ${Math.floor(max / 1024 / 1024)} MB`);

export const unsupportedType = (found: string | undefined) =>
  new AppError(415, 'unsupported_media_type', `a document must be a PDF, JPEG, PNG or HEIC file (the content is ${found ?? 'not a known type'})`, { detected: found ?? null, accepted: ['application/pdf', 'image/jpeg', 'image/png', 'image/heic'] })
    .zh('证明材料须为 PDF、JPEG、PNG 或 HEIC 文件（按文件内容识别，不看文件名）');

/** The body in pieces of exactly `size` bytes (the last one shorter); 413 as soon as it passes `max`. */
async function* chunked(source: AsyncIterable<Buffer>, size: number, max: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let have = 0;
  let total = 0;
  for await (const piece of source) {
    total += piece.length;
    if (total > max) throw tooLarge(max);
    parts.push(piece);
    have += piece.length;
    while (have >= size) {
      const all = Buffer.concat(parts);
      yield all.subarray(0, size);
      const rest = Buffer.from(all.subarray(size));
      parts = rest.length ? [rest] : [];
      have = rest.length;
    }
  }
  if (have > 0) yield Buffer.concat(parts);
}

export interface AttachInput {
  ownerKind: OwnerKind;
  ownerId: number;
  title: string;
}

/**
 * Streams an upload into sealed chunks: the owner and the caller are checked first, the type is sniffed from the
 * first chunk (nothing is stored for a refused type), then every chunk is sealed and stored as it arrives, in
 * one transaction with the document row and its audit row (`document.attached` with the SHA-256).
 */
export async function attachDocument(db: Knex, s: DocumentSettings, user: SessionUser, input: AttachInput, body: AsyncIterable<Buffer>, declaredLength?: number) {
  const owner = await ownerScope(db, s, input.ownerKind, input.ownerId);
  if (!owner) throw notFound(ownerName(input.ownerKind, input.ownerId));
  enforce(writeVerdict(user, owner), ownerName(input.ownerKind, input.ownerId));
  if (declaredLength !== undefined && declaredLength > s.maxBytes) throw tooLarge(s.maxBytes);
  const chunks = chunked(body, CHUNK_BYTES, s.maxBytes);
  const first = await chunks.next();
  if (first.done || !first.value.length) throw badRequest('the document is empty: send the file itself as the request body', [{ in: 'body', path: '', message: 'the file is empty' }]);
  const sniffed = (await fileTypeFromBuffer(first.value))?.mime;
  if (!isMediaType(sniffed)) throw unsupportedType(sniffed);

  let stored: { id: number; chunks: number } | undefined;
  try {
    return await db.transaction(async (trx) => {
      const [created] = (await trx('documents').insert({
        owner_kind: owner.kind, owner_id: owner.id, household_id: owner.householdId, title: input.title.trim(), media_type: sniffed,
        chunk_size: CHUNK_BYTES, storage: s.store.kind, created_by: user.username, created_at: clock.now(),
      }).returning('*')).map(decodeDocument);
      stored = { id: created.id, chunks: 0 };
      const hash = crypto.createHash('sha256');
      let size = 0;
      for (let c: IteratorResult<Buffer> = first; !c.done; c = await chunks.next()) {
        hash.update(c.value);
        size += c.value.length;
        await s.store.put(trx, created.id, stored.chunks, sealChunk(s.key, created.id, stored.chunks, c.value));
        stored.chunks += 1;
      }
      const sha256 = hash.digest('hex');
      const [done] = (await trx('documents').where({ id: created.id }).update({ size_bytes: size, sha256, chunk_count: stored.chunks }).returning('*')).map(decodeDocument);
      await appendAudit(trx, {
        actor: user.username,
        action: 'document.attached',
        subject: `document:${done.id}`,
        privatePayload: { documentId: done.id, ownerKind: done.owner_kind, ownerId: done.owner_id, householdId: done.household_id, title: done.title, mediaType: done.media_type, sizeBytes: size, sha256 },
      });
      return documentView(done, user);
    });
  } catch (e) {
    // Not after an ambiguous COMMIT that kept the row (or when that cannot be told): the sweep takes true orphans.
    const kept = stored?.chunks ? await db('documents').where({ id: stored.id }).first('id').then(Boolean, () => true) : true;
    if (!kept) await s.store.discard(stored!.id, stored!.chunks).catch(() => undefined);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------- read

async function loadDocument(db: Db, id: number, forUpdate = false) {
  const q = db('documents').where({ id });
  const raw = await (forUpdate ? q.forUpdate() : q).first();
  // An upload still in flight (no hash yet) is not a document yet.
  if (!raw || raw.sha256 === null) throw notFound(`document ${id}`);
  return decodeDocument(raw);
}

async function readableDocument(db: Db, s: DocumentSettings, user: SessionUser, id: number) {
  const d = await loadDocument(db, id);
  const owner = await ownerScope(db, s, d.owner_kind, d.owner_id);
  if (!owner) throw notFound(`document ${id}`);
  enforce(await readVerdict(user, owner), `document ${id}`);
  return d;
}

export async function getDocument(db: Db, s: DocumentSettings, user: SessionUser, id: number) {
  return documentView(await readableDocument(db, s, user, id), user);
}

export interface DocumentQuery {
  ownerKind?: OwnerKind;
  ownerId?: number;
  householdId?: number;
  limit: number;
  cursor?: string;
}

/**
 * The documents of one owner, or of a household file with everything attached to its records (assessments,
 * exits, visits, its aid cases), newest first: metadata only, each one the caller may read.
 */
export async function listDocuments(db: Db, s: DocumentSettings, user: SessionUser, q: DocumentQuery) {
  const [kind, id] = q.householdId !== undefined ? (['household', q.householdId] as const) : [q.ownerKind!, q.ownerId!];
  const owner = await ownerScope(db, s, kind, id);
  if (!owner) throw notFound(ownerName(kind, id));
  const verdict = await readVerdict(user, owner);
  if (verdict === 'hidden' || (verdict === 'forbidden' && q.householdId === undefined)) enforce(verdict, ownerName(kind, id));
  const rows = db('documents').whereNotNull('sha256').orderBy('id', 'desc').limit(q.limit + 1);
  if (q.householdId !== undefined) rows.where({ household_id: q.householdId });
  else rows.where({ owner_kind: kind, owner_id: id });
  if (q.cursor) rows.where('id', '<', Number(q.cursor));
  const found = (await rows).map(decodeDocument);
  // A file's list holds other owners' documents too (its aid cases'): each is shown only to who may read it.
  const verdicts = new Map<string, Verdict>([[`${kind}:${id}`, verdict]]);
  const items: DocumentView[] = [];
  for (const d of found.slice(0, q.limit)) {
    const key = `${d.owner_kind}:${d.owner_id}`;
    if (!verdicts.has(key)) {
      const o = await ownerScope(db, s, d.owner_kind, d.owner_id);
      verdicts.set(key, o ? await readVerdict(user, o) : 'hidden');
    }
    if (verdicts.get(key) === 'ok') items.push(documentView(d, user));
  }
  return { items, nextCursor: found.length > q.limit ? String(found[q.limit - 1]!.id) : null };
}

/**
 * The content, decrypted chunk by chunk into `out` (a response): each view is audited first (`document.viewed`,
 * in its own short transaction, so the audit chain lock is not held while the bytes travel).
 */
export async function sendDocumentContent(db: Knex, s: DocumentSettings, user: SessionUser, id: number, out: Writable & { setHeader(name: string, value: string | number): unknown }) {
  const d = await readableDocument(db, s, user, id);
  if (d.erased_at) {
    throw new AppError(410, 'document_erased', `document ${id} was erased on ${d.erased_at.toISOString()} after its retention period`, { erasedAt: d.erased_at.toISOString() })
      .zh(`证明材料 ${id} 已于 ${d.erased_at.toISOString().slice(0, 10)} 过保存期限销毁，仅保留记录与摘要`);
  }
  const store = s.stores[d.storage];
  if (!store) {
    throw new AppError(503, 'unavailable', `document ${id} is kept in the ${d.storage} store, which this service is not configured for (S3_*)`)
      .zh(`证明材料 ${id} 存放在对象存储中，本服务未配置对象存储（S3_*），请联系管理员`);
  }
  await db.transaction((trx) => appendAudit(trx, {
    actor: user.username,
    action: 'document.viewed',
    subject: `document:${id}`,
    privatePayload: { documentId: id, ownerKind: d.owner_kind, ownerId: d.owner_id, householdId: d.household_id, sha256: d.sha256, withdrawn: d.status === 'withdrawn' },
  }));
  const name = `document-${id}.${EXTENSION[d.media_type]}`;
  out.setHeader('Content-Type', d.media_type);
  out.setHeader('Content-Length', d.size_bytes);
  out.setHeader('Content-Disposition', `inline; filename="${name}"; filename*=UTF-8''${encodeURIComponent(`${d.title.replace(/[\\/]/g, '_')}.${EXTENSION[d.media_type]}`)}`);
  out.setHeader('X-Content-Type-Options', 'nosniff');
  out.setHeader('Cache-Control', 'private, no-store');
  async function* plain() {
    for (let seq = 0; seq < d.chunk_count; seq++) {
      const sealed = await store!.get(db, d.id, seq);
      invariant(sealed, `chunk ${seq} of document ${id} is missing`);
      yield openChunk(s.key, d.id, seq, sealed);
    }
  }
  await pipeline(Readable.from(plain()), out);
}

// ---------------------------------------------------------------------------------------------- withdraw and erase

const addYears = (at: Date, years: number) => {
  const d = new Date(at.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
};

/** Withdrawal (the only "delete"): the bytes stay for DOCUMENT_RETENTION_YEARS, then the erase job removes them. */
export async function withdrawDocument(trx: Knex.Transaction, s: DocumentSettings, user: SessionUser, id: number, input: { reason: string }) {
  const d = await loadDocument(trx, id, true);
  const owner = await ownerScope(trx, s, d.owner_kind, d.owner_id);
  if (!owner) throw notFound(`document ${id}`);
  const read = await readVerdict(user, owner);
  enforce(read === 'ok' ? writeVerdict(user, owner) : read, `document ${id}`);
  if (d.status === 'withdrawn') throw invalidState(`document ${id} is already withdrawn`, { withdrawnAt: d.withdrawn_at?.toISOString() }).zh(`证明材料 ${id} 已撤回`);
  const now = clock.now();
  const eraseAfter = addYears(now, s.retentionYears);
  const [done] = (await trx('documents').where({ id }).update({
    status: 'withdrawn', withdrawn_by: user.username, withdrawn_at: now, withdraw_reason: input.reason.trim(), erase_after: eraseAfter,
  }).returning('*')).map(decodeDocument);
  await appendAudit(trx, {
    actor: user.username,
    action: 'document.withdrawn',
    subject: `document:${id}`,
    privatePayload: { documentId: id, ownerKind: d.owner_kind, ownerId: d.owner_id, householdId: d.household_id, sha256: d.sha256, reason: input.reason.trim(), eraseAfter: eraseAfter.toISOString() },
  });
  return documentView(done, user);
}

/**
 * The erase job: documents withdrawn longer ago than the retention period lose their bytes (chunks or objects);
 * the document row, its hash and every audit row stay. One document per transaction, taken with SKIP LOCKED, so
 * several instances share the work without erasing one twice. `at` is the clock's now (tests pass a later one).
 */
export async function eraseExpiredDocuments(ctx: { db: Knex; config: Config }, at: Date = clock.now(), store?: ChunkStore): Promise<number> {
  const s = documentSettings(ctx.config, store);
  let erased = 0;
  for (; erased < 1000; erased++) {
    const did = await ctx.db.transaction(async (trx) => {
      // Only documents in a store this service reaches (an S3 one without S3_* waits, it does not block the rest).
      const raw = await trx('documents').whereNull('erased_at').whereNotNull('erase_after').where('erase_after', '<=', at)
        .whereIn('storage', Object.keys(s.stores)).orderBy('id').forUpdate().skipLocked().first();
      if (!raw) return false;
      const d = decodeDocument(raw);
      const from = s.stores[d.storage];
      invariant(from, `document ${d.id} is kept in ${d.storage}, which is not configured`);
      await trx('documents').where({ id: d.id }).update({ erased_at: at });
      await from.erase(trx, d.id, d.chunk_count);
      await appendAudit(trx, {
        actor: 'system',
        action: 'document.erased',
        subject: `document:${d.id}`,
        privatePayload: { documentId: d.id, ownerKind: d.owner_kind, ownerId: d.owner_id, householdId: d.household_id, sha256: d.sha256, sizeBytes: d.size_bytes, withdrawnAt: d.withdrawn_at?.toISOString(), eraseAfter: d.erase_after?.toISOString() },
      });
      return true;
    });
    if (!did) break;
  }
  // Objects of uploads cut by a crash (no document row): gone once older than any upload may take.
  await s.store.sweep?.(ctx.db, new Date(at.getTime() - 86_400_000));
  return erased;
}
