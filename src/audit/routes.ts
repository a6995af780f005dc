import { Router } from 'express';
import Joi from 'joi';
import { defineRoute, type AppContext } from '../http/route';
import { cachedPublic } from '../http/conditional';
import { intCursor, pageQuery } from '../platform/paging';
import { dateSchema, addDays } from '../platform/clock';
import { auditHead, headCheckpoint, listAuditRows, listPublicLog } from './service';
import { signingKeyInfo } from './checkpoint';
import { verifyEverything } from './verify';

export function auditRoutes(app: AppContext) {
  const r = Router();
  defineRoute(r, app, {
    method: 'get', path: '/public/log/head', tag: 'public', access: 'public',
    summary: 'Head of the public audit chain (seq and hash)',
    handler: cachedPublic(app.db, { scope: 'shared' }, async () => auditHead(app.db)),
  });
  defineRoute(r, app, {
    method: 'get', path: '/public/log/checkpoint', tag: 'public', access: 'public',
    summary: 'The head signed with the service’s Ed25519 key: {seq, hash, time, signature, keyId} (docs/audit-chain.md)',
    handler: cachedPublic(app.db, () => ({ scope: 'shared', vary: [signingKeyInfo().keyId] }), async () => headCheckpoint(app.db)),
  });
  defineRoute(r, app, {
    method: 'get', path: '/public/log/key', tag: 'public', access: 'public',
    summary: 'The public key that signs checkpoints: {keyId, algorithm, publicKey (PEM), publicKeyRaw (base64)}',
    handler: cachedPublic(app.db, () => ({ scope: 'shared', vary: [signingKeyInfo().keyId] }), async () => signingKeyInfo()),
  });
  defineRoute<unknown, { after: number; limit: number; cursor?: string }>(r, app, {
    method: 'get', path: '/public/log', tag: 'public', access: 'public',
    summary: 'The public audit chain: actor, subject, masked payloads and private digests, enough to verify every hash',
    query: Joi.object({ after: Joi.number().integer().min(0).default(0), ...pageQuery, cursor: intCursor }),
    handler: cachedPublic(app.db, { scope: 'shared' }, async ({ query }) => listPublicLog(app.db, query.cursor ? Number(query.cursor) : query.after, query.limit)),
  });
  defineRoute(r, app, {
    method: 'get', path: '/audit/verify', tag: 'audit', access: ['auditor', 'admin'],
    summary: 'Recompute the whole chain, private digests included, and check the books against it; names the first bad row or entry',
    handler: async () => verifyEverything(app.db),
  });
  defineRoute<unknown, { from?: string; to?: string; subject?: string; action?: string; limit: number; cursor?: string }>(r, app, {
    method: 'get', path: '/audit', tag: 'audit', access: ['auditor', 'admin'],
    summary: 'Audit rows with their private payloads, filtered by date (Asia/Shanghai), subject or action',
    query: Joi.object({ from: dateSchema(), to: dateSchema(), subject: Joi.string().max(100), action: Joi.string().max(64), ...pageQuery, cursor: intCursor }),
    handler: async ({ query }) =>
      listAuditRows(app.db, {
        from: query.from ? `${query.from}T00:00:00+08:00` : undefined,
        to: query.to ? `${addDays(query.to, 1)}T00:00:00+08:00` : undefined,
        subject: query.subject,
        action: query.action,
        after: query.cursor ? Number(query.cursor) : 0,
        limit: query.limit,
      }),
  });
  return r;
}
