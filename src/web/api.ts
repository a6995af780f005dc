import type { Request } from 'express';
import type { SessionUser } from '../auth';

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

/** People read Chinese first: the API's English message gets the Chinese meaning of its error code in front. */
const CODE_ZH: Record<string, string> = {
  validation_failed: '输入有误', unauthorized: '请先登录', forbidden: '无权执行此操作', maker_checker: '经办人、复核人或审批人不得处理本案',
  not_found: '未找到', invalid_state: '当前状态不允许此操作', insufficient_funds: '基金可用余额不足', period_closed: '会计期间已结账',
  idempotency_conflict: '重复提交的内容不一致', duplicate_household: '该身份证号已有在档家庭', exit_criteria_not_met: '不符合脱困条件',
  unbalanced_entry: '凭证借贷不平衡', already_approved: '您已审批过本案', amount_mismatch: '两位审批人的金额不一致',
  amount_exceeds_request: '金额超过申请金额', rate_limited: '操作过于频繁，请稍后再试', account_locked: '账户已暂时锁定',
  unreconciled_difference: '对账差额未解释，不能完成对账', reconciliation_closed: '对账已完成，不能修改', duplicate_statement: '对账单已导入过',
  statement_overlaps: '对账单期间与已导入的重叠', already_matched: '明细已匹配', match_amounts_differ: '匹配两边金额不等', unavailable: '系统暂时不可用，请重试',
  fund_out_of_scope: '基金不属于本区，也不是基金会本级基金', incompatible_roles: '不相容职务：同一用户不得兼任', future_date: '日期不能晚于今天',
};

export function apiError(r: ApiResult): ApiError {
  const e: ApiError = r.body?.error ?? { code: `http_${r.status}`, message: `HTTP ${r.status}`, details: null };
  const zh = CODE_ZH[e.code];
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
