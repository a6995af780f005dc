import type { Request } from 'express';
import type { SessionUser } from '../auth';
import { messageZhOf } from '../platform/errors';

/**
 * The pages' only way to the domains: the service's own JSON API, called over loopback HTTP with the
 * visitor's bearer token (kept server-side in the HTTP-only cookie). Access rules, validation, idempotency
 * and audit rows are the API's; the pages add nothing of their own to them.
 */
export interface ApiResult<T = any> {
  status: number;
  ok: boolean;
  body: T;
  headers: Headers;
  bytes?: Buffer;
}

export interface ApiError {
  code: string;
  message: string;
  messageZh?: string | null;
  details: any;
}

export function baseUrl(req: Request) {
  let host = req.socket.localAddress ?? '127.0.0.1';
  if (host.startsWith('::ffff:')) host = host.slice(7);
  if (host === '::' || host === '0.0.0.0') host = '127.0.0.1';
  if (host.includes(':')) host = `[${host}]`;
  return `http://${host}:${req.socket.localPort}`;
}

export async function callApi<T = any>(
  req: Request,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string | null; idempotencyKey?: string; binary?: boolean } = {},
): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = opts.token === null ? undefined : (opts.token ?? req.web?.token);
  if (token) headers.authorization = `Bearer ${token}`;
  // The API trusts X-Forwarded-For from loopback, so its per-client limits (objections) still see the visitor.
  if (req.ip) headers['x-forwarded-for'] = req.ip;
  if (typeof req.id === 'string' || typeof req.id === 'number') headers['x-request-id'] = String(req.id);
  if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
  let payload: string | undefined;
  if (opts.body !== undefined) {
    payload = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${baseUrl(req)}/api/v1${path}`, { method, headers, body: payload });
  if (opts.binary && res.ok) {
    const bytes = Buffer.from(await res.arrayBuffer());
    return { status: res.status, ok: true, body: undefined as T, headers: res.headers, bytes };
  }
  const text = await res.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = { error: { code: 'bad_response', message: text.slice(0, 200), details: null } };
  }
  return { status: res.status, ok: res.ok, body, headers: res.headers };
}

/** People read Chinese first: the API's Chinese sentence (or its code's meaning) in front of its English message. */
export function apiError(r: ApiResult): ApiError {
  const e: ApiError = r.body?.error ?? { code: `http_${r.status}`, message: `HTTP ${r.status}`, details: null };
  const zh = messageZhOf(e.code, e.messageZh ?? undefined);
  return zh ? { ...e, message: `${zh} · ${e.message}` } : e;
}

/** Field messages of a 400 validation_failed, by the field's path (e.g. "headName", "lines.1.debit"). */
export function fieldErrors(r: ApiResult): Record<string, string> {
  const out: Record<string, string> = {};
  const details = r.body?.error?.details;
  if (Array.isArray(details)) for (const d of details) if (d && typeof d.path === 'string' && !(d.path in out)) out[d.path] = String(d.message ?? '');
  return out;
}

/** Query string from an object, skipping empty values. */
export function qs(o: Record<string, unknown>) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export async function meFor(req: Request, token: string): Promise<SessionUser | undefined> {
  const r = await callApi<SessionUser>(req, 'GET', '/auth/me', { token });
  if (!r.ok) return undefined;
  const u: any = r.body;
  return { id: u.id, username: u.username, displayName: u.displayName, roles: u.roles, district: u.district ?? null };
}
