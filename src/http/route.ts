import type { Request, Response, Router } from 'express';
import type { Knex } from 'knex';
import Joi from 'joi';
import type { Logger } from 'pino';
import { AppError, badRequest, forbidden, unauthorized } from '../platform/errors';
import type { Config } from '../platform/config';
import type { Role, SessionUser } from '../auth/model';
import { claimOf, runIdempotent, type IdempotencyClaim, type WriteResult } from './idempotency';

export interface AppContext {
  config: Config;
  db: Knex;
  log: Logger;
  /** The reports replica (REPORTS_DATABASE_URL): read-only report and open-data queries; undefined means the primary. */
  reportsDb?: Knex;
}

/** Who may call a route: nobody needs to log in, any logged-in user, or a user holding one of the roles. */
export type Access = 'public' | 'authenticated' | readonly Role[];

export interface HandlerContext<B = any, Q = any, P = any> {
  app: AppContext;
  req: Request;
  res: Response;
  /** The caller; undefined only on public routes called without a token. */
  user: SessionUser | undefined;
  body: B;
  query: Q;
  params: P;
  /** For `write` routes: the one transaction every change of this request (and its audit row) goes into. */
  trx: Knex.Transaction;
  /** For `ownTransaction` routes: the Idempotency-Key claim to make in the handler's own transaction, if a key was sent. */
  idempotency?: IdempotencyClaim;
}

export interface RouteSpec<B = any, Q = any, P = any> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express path under /api/v1, e.g. '/journal-entries/:id'. */
  path: string;
  tag: string;
  summary: string;
  access: Access;
  body?: Joi.ObjectSchema;
  query?: Joi.ObjectSchema;
  params?: Joi.ObjectSchema;
  /** Runs in one database transaction, committed only if the handler returns normally. */
  write?: boolean;
  /** A money-moving POST: honours Idempotency-Key (header) or idempotencyKey (body). Implies write. */
  idempotent?: boolean;
  /**
   * The handler opens its own transaction(s) and claims the idempotency key itself (ctx.idempotency; no ctx.trx)
   * and answers with {status, body}: postings handed to the group-commit batcher (src/ledger/batch.ts).
   */
  ownTransaction?: boolean;
  /** Status of a successful JSON answer (default 200). */
  status?: number;
  /** Non-JSON answers (PDF, CSV) write to res themselves; the OpenAPI document names the media type. */
  produces?: string;
  /** Extra fields for this operation's OpenAPI description (responses, examples). */
  openapi?: Record<string, unknown>;
  handler: (ctx: HandlerContext<B, Q, P>) => Promise<unknown>;
}

const registry: RouteSpec[] = [];

/** Every route the API serves (one per method and path): the OpenAPI document and the access table read it. */
export const registeredRoutes = (): readonly RouteSpec[] => [...new Map(registry.map((s) => [`${s.method} ${s.path}`, s])).values()];

const IDEMPOTENCY_KEY = Joi.string().min(1).max(200).pattern(/^[\x21-\x7e]+$/);

function validate(schema: Joi.ObjectSchema | undefined, value: unknown, where: string) {
  if (!schema) return value;
  const { value: out, error } = schema.validate(value ?? {}, { abortEarly: false, convert: where !== 'body' });
  if (error) {
    throw badRequest(
      `the request ${where} is not valid: ${error.details[0]!.message}`,
      error.details.map((d) => ({ in: where, path: d.path.join('.'), message: d.message })),
    );
  }
  return out;
}

/**
 * Where the first string in a JSON value holds U+0000 (its path, and the line within it, which names the place in
 * a file sent as text), or null. PostgreSQL's text and jsonb cannot store that character, so a request carrying
 * one is refused here, naming the field, rather than by the database. Only the first NUL_DEPTH levels are read:
 * no schema of the API nests deeper (joi refuses deeper bodies), and a hostile body nested thousands of levels
 * deep must not exhaust the stack here. The database's refusal (22021, 22P05: 400) stays behind it.
 */
const NUL_DEPTH = 32;
const NUL_REFUSED = '不能含空字符 · may not contain U+0000';
function nulAt(value: unknown, path: string[] = []): { path: string; line: number } | null {
  if (typeof value === 'string') {
    const i = value.indexOf('\u0000');
    return i < 0 ? null : { path: path.join('.') || '(value)', line: value.slice(0, i).split('\n').length };
  }
  if (typeof value !== 'object' || value === null || path.length >= NUL_DEPTH) return null;
  for (const [k, v] of Object.entries(value)) {
    const at = nulAt(v, [...path, k]);
    if (at) return at;
  }
  return null;
}

function refuseNul(value: unknown, where: string) {
  const at = nulAt(value);
  if (at) {
    throw badRequest(`the request ${where} holds the NUL character (U+0000) at ${at.path}, line ${at.line}: text may not contain it`, [
      { in: where, path: at.path, line: at.line, message: NUL_REFUSED },
    ]).zh(`提交的文字${at.line > 1 ? `第 ${at.line} 行` : ''}含有空字符（U+0000），无法保存：请删去后重新提交（多见于从损坏的文件复制的文字）`);
  }
}

function authorize(access: Access, user: SessionUser | undefined) {
  if (access === 'public') return;
  if (!user) throw unauthorized();
  if (access === 'authenticated') return;
  if (!user.roles.some((r) => access.includes(r))) {
    throw forbidden(`this needs one of the roles: ${access.join(', ')}`, 'forbidden', { required: access, yours: user.roles });
  }
}

const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock

/** Declares a route: access check, joi validation, transaction and idempotency all happen here, once. */
export function defineRoute<B = any, Q = any, P = any>(router: Router, app: AppContext, spec: RouteSpec<B, Q, P>) {
  registry.push(spec as RouteSpec);
  router[spec.method](spec.path, async (req: Request, res: Response) => {
    const user = req.user;
    authorize(spec.access, user);
    refuseNul(req.params, 'path');
    refuseNul(req.query, 'query');
    refuseNul(req.body, 'body');
    const params = validate(spec.params, req.params, 'path') as P;
    const query = validate(spec.query ?? Joi.object({}), req.query, 'query') as Q;
    let rawBody = req.body;
    if (spec.method !== 'get' && spec.method !== 'delete' && (rawBody === undefined || typeof rawBody !== 'object' || Array.isArray(rawBody) || rawBody === null)) {
      if (spec.body) throw badRequest('the request body must be a JSON object');
      rawBody = {};
    }
    let key = req.get('idempotency-key');
    if (spec.idempotent && rawBody && typeof rawBody === 'object' && 'idempotencyKey' in rawBody) {
      const { idempotencyKey, ...rest } = rawBody as Record<string, unknown>;
      key = key ?? (idempotencyKey as string);
      rawBody = rest;
    }
    if (key !== undefined) {
      if (!spec.idempotent) throw badRequest('this operation does not take an idempotency key');
      const { error } = IDEMPOTENCY_KEY.validate(key);
      if (error) throw badRequest('the idempotency key must be 1 to 200 printable ASCII characters', [{ in: 'header', path: 'Idempotency-Key', message: error.message }]);
    }
    const body = validate(spec.body, rawBody, 'body') as B;
    const base = { app, req, res, user, body, query, params } as Omit<HandlerContext<B, Q, P>, 'trx'>;

    if (!spec.write && !spec.idempotent) {
      const out = await spec.handler(base as HandlerContext<B, Q, P>);
      if (!res.headersSent) res.status(spec.status ?? 200).json(out);
      return;
    }

    if (spec.ownTransaction) {
      const idempotency = key && user ? claimOf({ userId: user.id, key, method: spec.method, path: req.originalUrl.split('?')[0]!, body: rawBody }) : undefined;
      const { status, body: out } = (await spec.handler({ ...base, idempotency } as HandlerContext<B, Q, P>)) as WriteResult;
      if (!res.headersSent) res.status(status).json(out);
      return;
    }

    for (let attempt = 1; ; attempt++) {
      try {
        const { status, body: out } = await runIdempotent(
          app.db,
          key && user ? { userId: user.id, key, method: spec.method, path: req.originalUrl.split('?')[0]!, body: rawBody } : undefined,
          async (trx) => ({ status: spec.status ?? 200, body: await spec.handler({ ...base, trx }) }),
        );
        if (!res.headersSent) res.status(status).json(out);
        return;
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (!(e instanceof AppError) && code && RETRYABLE.has(code) && attempt < 5) {
          await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
          continue;
        }
        throw e;
      }
    }
  });
}
