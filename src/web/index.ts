import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { AppContext } from '../http/route';
import { requireCsrf, webSession } from './session';
import { errorPage, tr } from './view';
import { authPages } from './pages/auth';
import { publicPages } from './pages/public';
import { dashboardPages } from './pages/dashboard';
import { householdPages } from './pages/households';
import { aidPages } from './pages/aid';
import { targetPages } from './pages/targets';
import { financePages } from './pages/finance';
import { fundPages } from './pages/funds';
import { statementPages } from './pages/statements';
import { auditPages } from './pages/audit';
import { userPages } from './pages/users';
import { householdImportPages } from './pages/household-imports';
import { documentPages } from './pages/documents';
import { visitPages } from './pages/visits';
import { campaignPages } from './pages/campaigns';
import { loanPages } from './pages/loans';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The page CSP: only what the pages use (own scripts and styles, inline SVG/data images), no inline script. */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

/** The web console, mounted at '/' after the API routers (src/app.ts). */
export function webRouter(ctx: AppContext): Router {
  const r = Router();
  const csrfKey = crypto.createHmac('sha256', ctx.config.auditSecret).update('warmth-web-csrf-v1').digest();

  r.use((req, res, next) => {
    if (req.path.startsWith('/api/')) return next('router');
    res.setHeader('Content-Security-Policy', PAGE_CSP);
    res.setHeader('Referrer-Policy', 'same-origin');
    next();
  });
  r.use('/assets', express.static(path.join(here, 'public'), { maxAge: '1h', fallthrough: false, index: false }));
  r.get('/favicon.ico', (_req, res) => res.redirect(301, '/assets/favicon.svg'));
  r.use(express.urlencoded({ extended: false, limit: '5mb', parameterLimit: 2000 }));
  r.use(webSession(csrfKey));
  r.use(requireCsrf);
  r.use((req, res, next) => {
    // Pages that show personal data are not kept in shared caches.
    if (req.web?.user) res.setHeader('Cache-Control', 'no-store');
    next();
  });

  authPages(r);
  publicPages(r, ctx);
  dashboardPages(r);
  householdPages(r);
  aidPages(r);
  targetPages(r);
  fundPages(r);
  financePages(r);
  statementPages(r);
  auditPages(r);
  userPages(r);
  householdImportPages(r);
  documentPages(r);
  visitPages(r);
  campaignPages(r);
  loanPages(r);

  r.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'POST') return next();
    errorPage(req, res, 404, tr(req)('Page not found'));
  });
  r.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const e = err as { status?: number; type?: string };
    if (typeof e.status === 'number' && e.status < 500) return errorPage(req, res, e.status, String((err as Error).message));
    req.log?.error({ err }, 'page failed');
    errorPage(req, res, 500, 'internal error · 系统错误');
  });
  return r;
}
