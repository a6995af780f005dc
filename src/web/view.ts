import type { Request, Response } from 'express';
import { html, raw, type Html, type Renderable, toCsv } from './html';
import { label, ROLE, translate, type Lang } from './i18n';
import { qs } from './api';

export const langOf = (req: Request): Lang => req.web?.lang ?? 'zh';
export const tr = (req: Request) => (key: string) => translate(langOf(req), key);
export const hasRole = (req: Request, ...roles: string[]) => !!req.web?.user?.roles.some((r) => roles.includes(r));

interface NavItem { href: string; key: string; roles?: string[] }
const NAV: NavItem[] = [
  { href: '/dashboard', key: 'Dashboard' },
  { href: '/households', key: 'Households', roles: ['officer', 'approver', 'admin', 'auditor', 'finance'] },
  { href: '/cases', key: 'Aid cases', roles: ['officer', 'approver', 'finance', 'auditor', 'admin'] },
  { href: '/targets', key: 'Target tracker', roles: ['admin', 'officer', 'approver', 'finance', 'auditor'] },
  { href: '/funds', key: 'Funds', roles: ['finance', 'auditor', 'admin', 'approver'] },
  { href: '/journal', key: 'Journal', roles: ['finance', 'auditor', 'admin'] },
  { href: '/payments', key: 'Payments', roles: ['finance'] },
  { href: '/periods', key: 'Periods', roles: ['finance', 'auditor', 'admin'] },
  { href: '/reconciliation', key: 'Bank reconciliation', roles: ['finance', 'auditor', 'admin'] },
  { href: '/audit', key: 'Audit', roles: ['auditor', 'admin'] },
  { href: '/reports', key: 'Reports', roles: ['auditor', 'admin', 'finance'] },
];
const PUBLIC_NAV: NavItem[] = [
  { href: '/notices', key: 'Notice board' },
  { href: '/disclosures', key: 'Disclosures' },
  { href: '/verify', key: 'Verify a report' },
];

export function langSwitch(req: Request): Html {
  const u = new URL(req.originalUrl, 'http://x');
  const other = langOf(req) === 'zh' ? 'en' : 'zh';
  u.searchParams.set('lang', other);
  return html`<a class="lang" href="${u.pathname + u.search}" lang="${other}" hreflang="${other}">${other === 'en' ? 'English' : '中文'}</a>`;
}

export function page(req: Request, res: Response, opts: { title: string; body: Renderable; status?: number; flash?: string }) {
  const t = tr(req);
  const lang = langOf(req);
  const user = req.web?.user;
  const here = req.path;
  const link = (n: NavItem) =>
    html`<li><a href="${n.href}"${here === n.href || here.startsWith(n.href + '/') ? raw(' aria-current="page"') : ''}>${t(n.key)}</a></li>`;
  const nav = user ? NAV.filter((n) => !n.roles || user.roles.some((r) => n.roles!.includes(r) || r === 'admin')) : [];
  const doc = html`<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} · ${t('Warmth Foundation')}</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">${t('Skip to content')}</a>
<header class="top">
  <a class="brand" href="${user ? '/dashboard' : '/notices'}">${t('Warmth Foundation')} <small>${t('Relief ledger')}</small></a>
  <div class="who">
    ${langSwitch(req)}
    ${user
      ? html`<span>${user.displayName} · ${user.roles.map((r) => label(lang, ROLE, r)).join('、')}${user.district ? ` · ${user.district}` : ''}</span>
    <form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="${req.web!.csrf}"><button type="submit" class="link">${t('Log out')}</button></form>`
      : html`<a href="/login">${t('Log in')}</a>`}
  </div>
</header>
<nav class="main" aria-label="${t('Menu')}">
  <ul>${nav.map(link)}</ul>
  <ul class="public">${PUBLIC_NAV.map(link)}</ul>
</nav>
<main id="main" tabindex="-1">
${opts.flash ? html`<p class="flash" role="status">${opts.flash}</p>` : ''}
${opts.body}
</main>
<footer><p>${t('Warmth Foundation')} · <a href="/docs">API</a></p></footer>
</body>
</html>`;
  res.status(opts.status ?? 200).type('html').send(doc.value);
}

export function errorPage(req: Request, res: Response, status: number, message: string) {
  const t = tr(req);
  page(req, res, { title: t('Error'), status, body: html`<h1>${t('Error')} ${status}</h1><p class="error" role="alert">${message}</p><p><a href="/">${t('Back')}</a></p>` });
}

/** A labelled form control; `error` is shown at the field and tied to it with aria-describedby. */
export function field(o: {
  name: string; label: string; value?: unknown; type?: string; error?: string; required?: boolean; hint?: string;
  options?: [string, string][]; textarea?: boolean; attrs?: string; multiple?: boolean; selected?: string[];
}): Html {
  const id = `f-${o.name.replace(/[^a-zA-Z0-9_-]/g, '-')}`;
  const described = [o.error ? `${id}-err` : '', o.hint ? `${id}-hint` : ''].filter(Boolean).join(' ');
  const aria = raw(`${described ? ` aria-describedby="${described}"` : ''}${o.error ? ' aria-invalid="true"' : ''}${o.required ? ' required' : ''}${o.attrs ? ' ' + o.attrs : ''}`);
  const value = o.value === undefined || o.value === null ? '' : String(o.value);
  let control: Html;
  if (o.options) {
    const sel = o.selected ?? [value];
    control = html`<select id="${id}" name="${o.name}"${o.multiple ? raw(' multiple') : ''}${aria}>${o.options.map(([v, l]) => html`<option value="${v}"${sel.includes(v) ? raw(' selected') : ''}>${l}</option>`)}</select>`;
  } else if (o.textarea) {
    control = html`<textarea id="${id}" name="${o.name}" rows="3"${aria}>${value}</textarea>`;
  } else if (o.type === 'checkbox') {
    return html`<div class="field check${o.error ? ' has-error' : ''}"><input type="checkbox" id="${id}" name="${o.name}" value="true"${o.value ? raw(' checked') : ''}${aria}> <label for="${id}">${o.label}</label>${o.error ? html`<p class="err" id="${id}-err">${o.error}</p>` : ''}</div>`;
  } else {
    control = html`<input id="${id}" name="${o.name}" type="${o.type ?? 'text'}" value="${value}"${aria}>`;
  }
  return html`<div class="field${o.error ? ' has-error' : ''}"><label for="${id}">${o.label}${o.required ? ' *' : ''}</label>${control}${o.hint ? html`<p class="hint" id="${id}-hint">${o.hint}</p>` : ''}${o.error ? html`<p class="err" id="${id}-err">${o.error}</p>` : ''}</div>`;
}

export const csrfField = (req: Request) => html`<input type="hidden" name="_csrf" value="${req.web?.csrf ?? ''}">`;

export function formErrorSummary(req: Request, message?: string) {
  if (!message) return '';
  return html`<div class="error" role="alert"><p>${message}</p></div>`;
}

/**
 * A table of a paged list with a CSV link. Columns give a header and a cell (Renderable for HTML, the
 * `csv` function or the text of the cell for CSV). `nextCursor` adds a "next page" link.
 */
export interface Column<T> { head: string; cell: (row: T) => Renderable; csv?: (row: T) => unknown; num?: boolean }

export function table<T>(req: Request, columns: Column<T>[], rows: T[], opts: { nextCursor?: string | null; caption?: string; csv?: boolean } = {}): Html {
  const t = tr(req);
  const q = { ...(req.query as Record<string, unknown>) };
  delete q.cursor;
  delete q.format;
  const cursorLink = opts.nextCursor ? html`<a rel="next" href="${req.path + qs({ ...q, cursor: opts.nextCursor })}">${t('Next')} →</a>` : '';
  const firstLink = req.query.cursor ? html`<a href="${req.path + qs(q)}">${t('First page')}</a>` : '';
  const csvLink = opts.csv === false ? '' : html`<a class="csv" href="${req.path + qs({ ...q, ...(req.query.cursor ? { cursor: req.query.cursor } : {}), format: 'csv' })}" download>${t('Export CSV')}</a>`;
  return html`<div class="table-wrap">
<table>${opts.caption ? html`<caption>${opts.caption}</caption>` : ''}
<thead><tr>${columns.map((c) => html`<th scope="col"${c.num ? raw(' class="num"') : ''}>${c.head}</th>`)}</tr></thead>
<tbody>${rows.length ? rows.map((r) => html`<tr>${columns.map((c) => html`<td${c.num ? raw(' class="num"') : ''}>${c.cell(r)}</td>`)}</tr>`) : html`<tr><td colspan="${columns.length}">${t('No records.')}</td></tr>`}</tbody>
</table></div>
<p class="pager">${firstLink} ${cursorLink} ${csvLink}</p>`;
}

const plain = (v: Renderable): string => {
  if (v === null || v === undefined || v === false) return '';
  if (Array.isArray(v)) return v.map(plain).join(' ');
  return String(v).replace(/<[^>]*>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
};

/** Sends the same columns as CSV (UTF-8 with BOM so spreadsheet programs read Chinese). */
export function sendCsv<T>(res: Response, name: string, columns: Column<T>[], rows: T[]) {
  const body = toCsv(columns.map((c) => c.head), rows.map((r) => columns.map((c) => (c.csv ? c.csv(r) : plain(c.cell(r))))));
  res.type('text/csv; charset=utf-8').setHeader('Content-Disposition', `attachment; filename="${name}.csv"`);
  res.send(body);
}

export const wantsCsv = (req: Request) => req.query.format === 'csv';

export const fmtTime = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false }) : '');

/** Middleware: a logged-in user (else to the login page), holding one of the roles if given (admin passes). */
export function needUser(...roles: string[]) {
  return (req: Request, res: Response, next: (e?: unknown) => void) => {
    const user = req.web?.user;
    if (!user) {
      const nextUrl = req.method === 'GET' ? req.originalUrl : '/dashboard';
      return res.redirect(303, `/login${qs({ next: nextUrl })}`);
    }
    if (roles.length && !user.roles.some((r) => roles.includes(r) || r === 'admin')) return errorPage(req, res, 403, tr(req)('You do not have access to this page.'));
    next();
  };
}

/** A local path to go back to (never another site). */
export const safeNext = (v: unknown, fallback = '/dashboard') => (typeof v === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(v) ? v : fallback);

export const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
