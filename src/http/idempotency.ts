import type { Knex } from 'knex';
import { conflict } from '../platform/errors';
import { canonicalJson, sha256Hex } from '../platform/canonical-json';

export interface IdempotencyRequest {
  userId: number;
  key: string;
  method: string;
  path: string;
  body: unknown;
}

export interface WriteResult {
  status: number;
  body: unknown;
}

/**
 * Runs one write in one transaction. With a key, the key is claimed by an INSERT in that same transaction:
 * a concurrent retry blocks on the unique index until the first attempt commits (then replays its answer)
 * or rolls back (then runs itself). Only committed answers are kept, so a refused attempt (e.g. insufficient
 * funds) may be retried with the same key once the cause is fixed.
 */
export async function runIdempotent(db: Knex, request: IdempotencyRequest | undefined, work: (trx: Knex.Transaction) => Promise<WriteResult>): Promise<WriteResult> {
  if (!request) return db.transaction(work);
  const requestHash = sha256Hex(canonicalJson({ method: request.method.toUpperCase(), path: request.path, body: request.body }));
  const where = { user_id: request.userId, key: request.key };
  return db.transaction(async (trx) => {
    const claimed = await trx('idempotency_keys').insert({ ...where, request_hash: requestHash }).onConflict(['user_id', 'key']).ignore().returning('key');
    if (claimed.length === 0) {
      const prior = await trx('idempotency_keys').where(where).first();
      if (prior.request_hash !== requestHash) {
        throw conflict('idempotency_conflict', 'this idempotency key was already used with a different request', { key: request.key });
      }
      return { status: prior.response_status, body: prior.response_body };
    }
    const result = await work(trx);
    await trx('idempotency_keys').where(where).update({ response_status: result.status, response_body: JSON.stringify(result.body ?? null) });
    return result;
  });
}
