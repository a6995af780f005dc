import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { SessionUser } from '../auth';
import { meFor } from './api';
import type { Lang } from './i18n';

/**
 * Browser sessions. The cookie `wl_session` holds the API bearer token the login returned (HTTP-only,
 * SameSite=Lax, Secure behind HTTPS, expiring with the token); the API session table stays the single
 * source of truth, so logout, expiry and a disabled user end the page session too. Nothing about the
 * session is ever readable by page JavaScript.
 *
 * CSRF: a synchronizer token derived, not stored: HMAC(key, "s:" + session token) for a logged-in
 * visitor, HMAC(key, "a:" + wl_anon) for a visitor without a session (login and the public objection
 * form). Every POST under the web router must carry it in `_csrf` (form field) or `X-CSRF-Token`.
 */
export const SESSION_COOKIE = 'wl_session';
export const ANON_COOKIE = 'wl_anon';
export const LANG_COOKIE = 'wl_lang';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      web?: WebState;
    }
  }
}

export interface WebState {
  user?: SessionUser;
  token?: string;
  anon?: string;
  csrf: string;
  lang: Lang;
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    if (!k || k in out) continue;
    try {
      out[k] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      /* ignore malformed */
    }
  }
  return out;
}

export function cookieOptions(req: Request, maxAgeMs?: number) {
  return { httpOnly: true, sameSite: 'lax' as const, secure: req.secure, path: '/', ...(maxAgeMs !== undefined ? { maxAge: maxAgeMs } : {}) };
}

export function csrfFor(key: Buffer, binding: string) {
  return crypto.createHmac('sha256', key).update(binding).digest('base64url');
}

function safeEqual(a: string, b: string) {
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** Loads the session, the language and the CSRF token of every page request. */
export function webSession(key: Buffer) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const cookies = parseCookies(req.headers.cookie);
      const q = typeof req.query.lang === 'string' ? req.query.lang : undefined;
      let lang: Lang = cookies[LANG_COOKIE] === 'en' ? 'en' : 'zh';
      if (q === 'en' || q === 'zh') {
        lang = q;
        res.cookie(LANG_COOKIE, q, { sameSite: 'lax', secure: req.secure, path: '/', maxAge: 365 * 86_400_000, httpOnly: true });
      }
      const state: WebState = { csrf: '', lang };
      const token = cookies[SESSION_COOKIE];
      if (token && /^[A-Za-z0-9_-]{20,100}$/.test(token)) {
        const user = await meFor(req, token);
        if (user) {
          state.user = user;
          state.token = token;
        } else {
          res.clearCookie(SESSION_COOKIE, cookieOptions(req));
        }
      }
      if (state.token) {
        state.csrf = csrfFor(key, `s:${state.token}`);
      } else {
        let anon = cookies[ANON_COOKIE];
        if (!anon || !/^[A-Za-z0-9_-]{22,64}$/.test(anon)) {
          anon = crypto.randomBytes(18).toString('base64url');
          res.cookie(ANON_COOKIE, anon, cookieOptions(req));
        }
        state.anon = anon;
        state.csrf = csrfFor(key, `a:${anon}`);
      }
      req.web = state;
      next();
    } catch (e) {
      next(e);
    }
  };
}

/** Refuses a state-changing request whose CSRF token is missing or wrong (403). */
export function requireCsrf(req: Request, res: Response, next: NextFunction) {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  // A multipart upload (documents) carries it in the form's action: the check runs before the body is read.
  const inQuery = req.is('multipart/form-data') && typeof req.query._csrf === 'string' ? req.query._csrf : undefined;
  const given = (req.body && typeof req.body._csrf === 'string' ? req.body._csrf : undefined) ?? req.get('x-csrf-token') ?? inQuery ?? '';
  if (req.web && given && safeEqual(given, req.web.csrf)) return next();
  res.status(403).type('text/plain; charset=utf-8').send('403 CSRF token missing or invalid · 表单已失效，请返回刷新页面后重试');
}
