import { testService, ADMIN } from './env';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

/** Calls the running service over real HTTP, as a client would. Paths are under /api/v1 unless absolute ('/health', '/docs'). */
export async function api<T = any>(method: string, path: string, opts: ApiOptions = {}): Promise<ApiResponse<T>> {
  return apiAt<T>(testService().url, method, path, opts);
}

export interface ApiOptions {
  token?: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

/** The same, against any service (a test's isolated one). */
export async function apiAt<T = any>(baseUrl: string, method: string, path: string, opts: ApiOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let payload: string | undefined;
  if (opts.raw !== undefined) {
    payload = opts.raw;
    headers['content-type'] ??= 'application/json';
  } else if (opts.body !== undefined) {
    payload = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const prefix = /^\/(health|docs)/.test(path) ? '' : '/api/v1';
  const res = await fetch(`${baseUrl}${prefix}${path}`, { method, headers, body: payload });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text, headers: res.headers };
}

export async function login(username: string, password: string): Promise<string> {
  const r = await api('POST', '/auth/login', { body: { username, password } });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
  return r.body.token;
}

let adminCached: string | undefined;
export const adminToken = async () => (adminCached ??= await login(ADMIN.username, ADMIN.password));

let counter = 0;
/** Creates a user with the given roles (and district) and returns a token for it. */
export async function userToken(roles: string[], district?: string): Promise<{ token: string; username: string; id: number }> {
  const username = `u${++counter}-${roles.join('-')}-${district ?? 'all'}`.slice(0, 60);
  const password = 'Test-pass-12345';
  const r = await api('POST', '/users', { token: await adminToken(), body: { username, password, displayName: username, roles, ...(district ? { district } : {}) } });
  if (r.status !== 201) throw new Error(`create user: ${r.status} ${r.text}`);
  return { token: await login(username, password), username, id: r.body.id };
}

/** Asserts the design's error shape and returns the code. */
export function errorCode(r: ApiResponse): string {
  if (!r.body?.error || typeof r.body.error.code !== 'string' || typeof r.body.error.message !== 'string' || !('details' in r.body.error)) {
    throw new Error(`not an error in the design's format: ${r.status} ${r.text.slice(0, 300)}`);
  }
  return r.body.error.code;
}

/** The audit head seq, to show that a rejected request wrote nothing. */
export async function auditSeq(): Promise<number> {
  return (await api('GET', '/public/log/head')).body.seq;
}

/** The audit actions starting with `prefix` appended after seq, all pages (other domains' jobs may append meanwhile). */
export async function auditActionsSince(seq: number, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for (let after = seq; ;) {
    const r = await api('GET', `/public/log?after=${after}&limit=500`);
    const items = r.body.items as { seq: number; action: string }[];
    out.push(...items.map((i) => i.action).filter((a) => a.startsWith(prefix)));
    if (!r.body.nextCursor || !items.length) return out;
    after = items[items.length - 1]!.seq;
  }
}
