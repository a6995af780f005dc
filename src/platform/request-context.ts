import { AsyncLocalStorage } from 'node:async_hooks';
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

// The request a piece of work is done for, without passing it through every service: the audit append reads
// it (audit_log.request_id), so an audit row leads back to the request's log line and its X-Request-Id.

interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** An incoming X-Request-Id is kept when it is a sane token; anything else gets a fresh UUID. */
export const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** pino-http's genReqId: the client's (or the proxy's) X-Request-Id if sane, else a UUID; answered as X-Request-Id. */
export function requestIdOf(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

/** Express middleware (after pino-http, which sets req.id): the rest of the request runs in its context. */
export function requestContext(req: Request, _res: Response, next: NextFunction) {
  storage.run({ requestId: String(req.id) }, next);
}

/** The id of the request this code runs for; undefined in jobs, CLIs and at start. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/** Runs fn as work of the given request (work queued by one request and done later, e.g. group commit). */
export function withRequestId<T>(requestId: string | undefined, fn: () => T): T {
  return requestId ? storage.run({ requestId }, fn) : fn();
}
