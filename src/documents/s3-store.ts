import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { Db } from '../platform/db';
import type { S3Settings } from '../platform/config';
import type { ChunkStore } from './store';

/**
 * The S3-compatible object store (MinIO, Ceph, a cloud's S3): one object per sealed chunk, `documents/<id>/<seq>`.
 * One object per chunk keeps both ways streaming without multipart uploads or ranged reads: an upload puts each
 * 512 KiB sealed chunk as it is sealed, a download gets one at a time. Only ciphertext leaves the service.
 *
 * Crash safety: the objects are written while the upload's transaction is open and the document row commits after
 * the last one, so a committed row never points at objects that were not written. A failed upload deletes its
 * objects (`discard`); one cut by a crash leaves objects under an id that has no row (the id is never reused:
 * sequences do not roll back). Those are ciphertext nobody can name, and `sweep` (run by the erase job) removes
 * them once they are older than any upload can last.
 */
export interface S3ChunkStore extends ChunkStore {
  readonly kind: 's3';
  readonly bucket: string;
  /** Deletes the objects of ids with no document row, written before `before`; answers how many ids it cleared. */
  sweep(db: Db, before: Date): Promise<number>;
  /** The keys under `documents/<id>/` (tests and operators). */
  keys(documentId: number): Promise<string[]>;
  client: S3Client;
}

export const chunkKey = (documentId: number, seq: number) => `documents/${documentId}/${seq}`;

const isMissing = (e: unknown) => e instanceof NoSuchKey || (e instanceof S3ServiceException && (e.name === 'NoSuchKey' || e.$metadata.httpStatusCode === 404));

export function s3Store(settings: S3Settings): S3ChunkStore {
  const client = new S3Client({
    endpoint: settings.endpoint,
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
    // S3-compatible servers differ on the newer flexible checksums; each chunk carries its own GCM tag anyway.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  });
  const Bucket = settings.bucket;

  async function deleteKeys(keys: string[]) {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const out = await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
      // A key that is already gone counts as deleted (S3 says so too); any other error keeps the row unerased.
      const failed = (out.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length) throw new Error(`S3 DeleteObjects failed for ${failed.length} object(s), first ${failed[0]!.Key}: ${failed[0]!.Code} ${failed[0]!.Message}`);
    }
  }

  async function list(prefix: string, delimiter?: string) {
    const keys: { key: string; modified?: Date }[] = [];
    const prefixes: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, Delimiter: delimiter, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) keys.push({ key: o.Key, modified: o.LastModified });
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) prefixes.push(p.Prefix);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return { keys, prefixes };
  }

  return {
    kind: 's3',
    bucket: Bucket,
    client,
    async put(_db, documentId, seq, sealed) {
      await client.send(new PutObjectCommand({ Bucket, Key: chunkKey(documentId, seq), Body: sealed, ContentLength: sealed.length, ContentType: 'application/octet-stream' }));
    },
    async get(_db, documentId, seq) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket, Key: chunkKey(documentId, seq) }));
        return out.Body ? Buffer.from(await out.Body.transformToByteArray()) : undefined;
      } catch (e) {
        if (isMissing(e)) return undefined;
        throw e;
      }
    },
    async erase(_db, documentId, chunkCount) {
      await deleteKeys(Array.from({ length: chunkCount }, (_, seq) => chunkKey(documentId, seq)));
    },
    async discard(documentId, chunkCount) {
      await deleteKeys(Array.from({ length: chunkCount }, (_, seq) => chunkKey(documentId, seq)));
    },
    async keys(documentId) {
      return (await list(`documents/${documentId}/`)).keys.map((k) => k.key);
    },
    async sweep(db, before) {
      const ids = (await list('documents/', '/')).prefixes.map((p) => Number(p.split('/')[1])).filter((n) => Number.isSafeInteger(n) && n > 0);
      let cleared = 0;
      for (let i = 0; i < ids.length; i += 1000) {
        const batch = ids.slice(i, i + 1000);
        const known = new Set((await db('documents').whereIn('id', batch).pluck('id')).map(Number));
        for (const id of batch.filter((n) => !known.has(n))) {
          const { keys } = await list(`documents/${id}/`);
          // An upload still in flight has no visible row yet: only objects older than any upload can last go.
          if (!keys.length || keys.some((k) => !k.modified || k.modified >= before)) continue;
          await deleteKeys(keys.map((k) => k.key));
          cleared += 1;
        }
      }
      return cleared;
    },
  };
}
