import type { Knex } from 'knex';
import { AppError, conflict } from '../platform/errors';
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

/** A key as it is claimed: the user's key and the hash of the request it was first sent with. */
export interface IdempotencyClaim {
  userId: number;
  key: string;
  requestHash: string;
}

export const claimOf = (request: IdempotencyRequest): IdempotencyClaim => ({
  userId: request.userId,
  key: request.key,
  requestHash: sha256Hex(canonicalJson({ method: request.method.toUpperCase(), path: request.path, body: request.body })),
});

/** What claiming a key gave: it is ours now, or the first answer to replay, or a conflict (another request). */
export type ClaimOutcome = { claimed: true } | { claimed: false; replay: WriteResult } | { claimed: false; error: AppError };

/**
 * Claims keys by INSERT in the caller's transaction, in (user, key) order (two transactions claiming the same
 * keys wait on each other in one order: no deadlock). A key another transaction has claimed and not yet
 * committed makes this one wait on the unique index until that one commits (then its answer is replayed) or
 * rolls back (then the key is ours). Claim before taking any other lock, so a waiter holds nothing others need.
 * Answers in the order of `claims`.
 */
export async function claimKeys(trx: Knex.Transaction, claims: IdempotencyClaim[]): Promise<ClaimOutcome[]> {
  if (!claims.length) return [];
  const id = (c: { user_id: number; key: string }) => `${c.user_id}\u0000${c.key}`;
  const rows = claims.map((c) => ({ user_id: c.userId, key: c.key, request_hash: c.requestHash }));
  const { rows: got } = await trx.raw(
    `INSERT INTO idempotency_keys (user_id, key, request_hash)
     SELECT x.user_id, x.key, x.request_hash FROM jsonb_to_recordset(?::jsonb) AS x(user_id integer, key text, request_hash text) ORDER BY x.user_id, x.key
     ON CONFLICT (user_id, key) DO NOTHING RETURNING user_id, key`,
    [JSON.stringify(rows)],
  );
  const claimed = new Set((got as { user_id: number; key: string }[]).map(id));
  const others = rows.filter((r) => !claimed.has(id(r)));
  const prior = new Map<string, { request_hash: string; response_status: number; response_body: unknown }>();
  if (others.length) {
    const { rows: old } = await trx.raw(
      `SELECT k.user_id, k.key, k.request_hash, k.response_status, k.response_body FROM idempotency_keys k
         JOIN jsonb_to_recordset(?::jsonb) AS x(user_id integer, key text) ON x.user_id = k.user_id AND x.key = k.key`,
      [JSON.stringify(others.map((r) => ({ user_id: r.user_id, key: r.key })))],
    );
    for (const r of old) prior.set(id(r), r);
  }
  return rows.map((r) => {
    if (claimed.has(id(r))) return { claimed: true as const };
    const p = prior.get(id(r))!;
    if (!p || p.request_hash !== r.request_hash) {
      return { claimed: false as const, error: conflict('idempotency_conflict', 'this idempotency key was already used with a different request', { key: r.key }) };
    }
    return { claimed: false as const, replay: { status: p.response_status, body: p.response_body } };
  });
}

/** Stores the answers of claimed keys and gives back (deletes) the claims of refused requests: only committed answers are kept. */
export async function finishClaims(trx: Knex.Transaction, answered: { claim: IdempotencyClaim; result: WriteResult }[], released: IdempotencyClaim[] = []) {
  if (answered.length) {
    await trx.raw(
      `UPDATE idempotency_keys k SET response_status = x.status, response_body = x.body
         FROM jsonb_to_recordset(?::jsonb) AS x(user_id integer, key text, status integer, body jsonb)
        WHERE k.user_id = x.user_id AND k.key = x.key`,
      [JSON.stringify(answered.map((a) => ({ user_id: a.claim.userId, key: a.claim.key, status: a.result.status, body: a.result.body ?? null })))],
    );
  }
  if (released.length) {
    await trx.raw(
      `DELETE FROM idempotency_keys k USING jsonb_to_recordset(?::jsonb) AS x(user_id integer, key text) WHERE k.user_id = x.user_id AND k.key = x.key`,
      [JSON.stringify(released.map((c) => ({ user_id: c.userId, key: c.key })))],
    );
  }
}

/**
 * Runs one write in one transaction. With a key, the key is claimed by an INSERT in that same transaction:
 * a concurrent retry blocks on the unique index until the first attempt commits (then replays its answer)
 * or rolls back (then runs itself). Only committed answers are kept, so a refused attempt (e.g. insufficient
 * funds) may be retried with the same key once the cause is fixed.
 */
export async function runIdempotent(db: Knex, request: IdempotencyRequest | undefined, work: (trx: Knex.Transaction) => Promise<WriteResult>): Promise<WriteResult> {
  if (!request) return db.transaction(work);
  const claim = claimOf(request);
  return db.transaction(async (trx) => {
    const [outcome] = await claimKeys(trx, [claim]);
    if (!outcome!.claimed) {
      if ('error' in outcome!) throw outcome.error;
      return outcome!.replay;
    }
    const result = await work(trx);
    await finishClaims(trx, [{ claim, result }]);
    return result;
  });
}
