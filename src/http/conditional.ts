import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Knex } from 'knex';
import { auditHead } from '../audit';
import { clock } from '../platform/clock';
import type { HandlerContext } from './route';

/**
 * Conditional GET for the public answers a news story sends crowds to (notice board, disclosures, public log,
 * public PDFs): a validator (ETag) computed from a cheap query — the audit chain head, which every write
 * moves — plus the request's path and query and whatever else the answer depends on; `304` when the client
 * or proxy already holds it, before any of the costly work. Anonymous answers only: anything asked with a
 * login is `no-store`. docs/operations.md, "Caching of public answers".
 */
export interface PublicCache {
  /** 'shared': proxies and CDNs may keep it; 'private': the browser only, revalidating each time (pages carry a per-visitor form token and language). */
  scope: 'shared' | 'private';
  /** Seconds a shared cache may serve it without asking (default 30). */
  maxAge?: number;
  /** Answers that also change with time (a notice that ends writes no audit row): the clock bucket they are valid for. */
  timeBucketMs?: number;
  /**
   * Answers that change at known instants no audit row marks (a notice period that ends): the last such instant
   * passed (part of the validator, so the answer's change is a new ETag at once) and the next one (no cache may
   * keep the answer past it: max-age and stale-while-revalidate end there).
   */
  timeline?: () => Promise<{ last: Date | null; next: Date | null }>;
  /** Other inputs of the answer: language, form token, the business date. */
  vary?: readonly (string | number | undefined)[];
  /** The chain position the answer is made at, when not the head (a report's basis). */
  basis?: () => Promise<{ seq: number; hash: string }>;
}

export const PUBLIC_MAX_AGE = 30;

export const etagOf = (parts: readonly (string | number | undefined)[]) =>
  `W/"${crypto.createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 27)}"`;

/** If-None-Match (a list, `*`, weak or strong) against our weak validator: weak comparison (RFC 9110 13.1.2). */
export function matchesValidator(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => bare(t) === bare(etag));
}

/** A shared lifetime never reaches past the answer's next change: `untilMs` from now (timeline), else the bucket's end. */
const cacheControlOf = (o: PublicCache, untilMs: number) => {
  if (o.scope !== 'shared') return 'private, no-cache';
  const want = o.maxAge ?? PUBLIC_MAX_AGE;
  const left = Math.max(0, Math.floor(untilMs / 1000));
  const maxAge = Math.min(want, left);
  return `public, max-age=${maxAge}, stale-while-revalidate=${Math.min(want, left - maxAge)}`;
};

/** A validator must never sit on an error (a 304 would then repeat the error): only a 200 keeps it. */
function dropOnFailure(res: Response) {
  const writeHead = res.writeHead.bind(res) as (status: number, ...rest: unknown[]) => Response;
  (res as unknown as { writeHead: typeof writeHead }).writeHead = (status: number, ...rest: unknown[]) => {
    if (status !== 200 && status !== 304) {
      res.removeHeader('ETag');
      res.setHeader('Cache-Control', 'no-store');
    }
    return writeHead(status, ...rest);
  };
}

/**
 * Sets ETag and Cache-Control for an anonymous GET and answers 304 when If-None-Match holds the validator.
 * Returns true when it answered (the caller does nothing more). With a login, sets `no-store` and returns false.
 */
export async function answeredByValidator(req: Request, res: Response, db: Knex, o: PublicCache, authenticated: boolean): Promise<boolean> {
  if (authenticated || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.setHeader('Cache-Control', 'no-store');
    return false;
  }
  const at = await (o.basis ? o.basis() : auditHead(db));
  const now = clock.now().getTime();
  const bucket = o.timeBucketMs ? Math.floor(now / o.timeBucketMs) : 0;
  const times = o.timeline ? await o.timeline() : undefined;
  let untilMs = Infinity;
  if (o.timeBucketMs) untilMs = (bucket + 1) * o.timeBucketMs - now;
  if (times?.next) untilMs = Math.min(untilMs, times.next.getTime() - now);
  const etag = etagOf([at.seq, at.hash, req.originalUrl, bucket, times?.last?.getTime(), ...(o.vary ?? [])]);
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', cacheControlOf(o, untilMs));
  if (matchesValidator(req.get('if-none-match'), etag)) {
    res.status(304).end();
    return true;
  }
  dropOnFailure(res);
  return false;
}

/** A defineRoute handler of a public API route, with its conditional GET (anonymous callers only). */
export function cachedPublic<B, Q, P>(db: Knex, cache: PublicCache | ((ctx: HandlerContext<B, Q, P>) => PublicCache), handler: (ctx: HandlerContext<B, Q, P>) => Promise<unknown>) {
  return async (ctx: HandlerContext<B, Q, P>) => {
    const o = typeof cache === 'function' ? cache(ctx) : cache;
    if (await answeredByValidator(ctx.req, ctx.res, db, o, !!ctx.user || !!ctx.req.get('authorization'))) return undefined;
    return handler(ctx);
  };
}

/** The same for a console page (express middleware before its handler); a page with a session stays no-store. */
export function cachedPage(db: Knex, cache: (req: Request) => PublicCache) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (!req.web?.user && (await answeredByValidator(req, res, db, cache(req), false))) return;
      next();
    } catch (e) {
      next(e);
    }
  };
}
