import type { Db } from '../platform/db';
import type { Config, S3Settings } from '../platform/config';
import { s3Store, type S3ChunkStore } from './s3-store';

/**
 * Where the sealed chunks of a document live. The same interface for both: PostgreSQL (`document_chunks`, the
 * default, in the request's transaction) and, when S3_* is configured, an S3-compatible object store (one object
 * per chunk, s3-store.ts). Either way only sealed bytes (model.ts sealChunk) reach the store.
 */
export interface ChunkStore {
  readonly kind: 'database' | 's3';
  put(db: Db, documentId: number, seq: number, sealed: Buffer): Promise<void>;
  get(db: Db, documentId: number, seq: number): Promise<Buffer | undefined>;
  /** The erase job only (a trigger refuses deleting chunks of a document not marked erased). */
  erase(db: Db, documentId: number, chunkCount: number): Promise<void>;
  /** After an upload that failed: what does not roll back with the transaction. */
  discard(documentId: number, chunkCount: number): Promise<void>;
  /** The erase job: removes what crashed uploads left outside the database (objects older than `before`). */
  sweep?(db: Db, before: Date): Promise<number>;
}

export const databaseStore: ChunkStore = {
  kind: 'database',
  async put(db, documentId, seq, sealed) {
    await db('document_chunks').insert({ document_id: documentId, seq, bytes: sealed });
  },
  async get(db, documentId, seq) {
    const row = await db('document_chunks').where({ document_id: documentId, seq }).first('bytes');
    return row ? (row.bytes as Buffer) : undefined;
  },
  async erase(db, documentId) {
    await db('document_chunks').where({ document_id: documentId }).delete();
  },
  async discard() {
    // The rows go with the rolled-back transaction.
  },
};

// One client per configuration (the routes and the hourly erase job share it, and its connections).
const s3Stores = new WeakMap<S3Settings, S3ChunkStore>();

/** Where new documents go: the S3-compatible store when S3_* is configured, else PostgreSQL. */
export function configuredStore(config: Pick<Config, 's3'>): ChunkStore {
  if (!config.s3) return databaseStore;
  let store = s3Stores.get(config.s3);
  if (!store) s3Stores.set(config.s3, (store = s3Store(config.s3)));
  return store;
}
