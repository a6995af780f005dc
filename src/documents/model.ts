import crypto from 'node:crypto';
import { type Raw, str, strOrNull, date, dateOrNull } from '../platform/rows';

/** What a document may be attached to: a household file, one of its assessments, exits or visits, or an aid case. */
export const OWNER_KINDS = ['household', 'assessment', 'aid_case', 'exit', 'visit'] as const;
export type OwnerKind = (typeof OWNER_KINDS)[number];

/** The media types accepted, as the content says (file-type), never as the name or the Content-Type says. */
export const MEDIA_TYPES = ['application/pdf', 'image/jpeg', 'image/png', 'image/heic', 'image/heif'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];
export const EXTENSION: Record<MediaType, string> = { 'application/pdf': 'pdf', 'image/jpeg': 'jpg', 'image/png': 'png', 'image/heic': 'heic', 'image/heif': 'heif' };
export const isMediaType = (m: string | undefined): m is MediaType => !!m && (MEDIA_TYPES as readonly string[]).includes(m);

/** Plaintext bytes per sealed chunk: a 20 MB file is 40 chunks; a request holds one (and the one arriving) at a time. */
export const CHUNK_BYTES = 512 * 1024;

export interface DocumentRow {
  id: number;
  owner_kind: OwnerKind;
  owner_id: number;
  household_id: number;
  title: string;
  media_type: MediaType;
  size_bytes: number;
  sha256: string | null;
  chunk_size: number;
  chunk_count: number;
  storage: 'database' | 's3';
  status: 'active' | 'withdrawn';
  created_by: string;
  created_at: Date;
  withdrawn_by: string | null;
  withdrawn_at: Date | null;
  withdraw_reason: string | null;
  erase_after: Date | null;
  erased_at: Date | null;
}

export const decodeDocument = (r: Raw): DocumentRow => ({
  id: Number(r.id), owner_kind: str(r.owner_kind) as OwnerKind, owner_id: Number(r.owner_id), household_id: Number(r.household_id),
  title: str(r.title), media_type: str(r.media_type) as MediaType, size_bytes: Number(r.size_bytes), sha256: strOrNull(r.sha256),
  chunk_size: Number(r.chunk_size), chunk_count: Number(r.chunk_count), storage: str(r.storage) === 's3' ? 's3' : 'database',
  status: str(r.status) === 'withdrawn' ? 'withdrawn' : 'active', created_by: str(r.created_by), created_at: date(r.created_at),
  withdrawn_by: strOrNull(r.withdrawn_by), withdrawn_at: dateOrNull(r.withdrawn_at), withdraw_reason: strOrNull(r.withdraw_reason),
  erase_after: dateOrNull(r.erase_after), erased_at: dateOrNull(r.erased_at),
});

// ---- sealing: AES-256-GCM per chunk with its own random nonce; the document id and chunk number are the
// associated data, so a chunk cannot be moved to another place or document unnoticed. The chunk count is in the
// document row (fixed by a trigger once the upload completed), so a truncated file is noticed too.

/** The documents' key: derived from DATA_KEY (HKDF), so it is never the key of ID numbers itself. */
export const documentKey = (dataKey: Buffer) => Buffer.from(crypto.hkdfSync('sha256', dataKey, Buffer.alloc(0), 'warmth-ledger documents v1', 32));

const aad = (documentId: number, seq: number) => Buffer.from(`warmth-document-v1:${documentId}:${seq}`);

/** nonce (12) ‖ ciphertext ‖ tag (16). */
export function sealChunk(key: Buffer, documentId: number, seq: number, plain: Buffer): Buffer {
  const nonce = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad(documentId, seq));
  return Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

export function openChunk(key: Buffer, documentId: number, seq: number, sealed: Buffer): Buffer {
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAAD(aad(documentId, seq));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
}
