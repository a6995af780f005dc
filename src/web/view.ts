import type { Request, Response } from 'express';
import { html, raw, type Html, type Renderable, toCsv } from './html';
import { englishOf, label, ROLE, translate, type Lang } from './i18n';
import { qs } from './api';

export const langOf = (req: Request): Lang => req.web?.lang ?? 'zh';
export const tr = (req: Request) => (key: string) => translate(langOf(req), key);
export const hasRole = (req: Request, ...roles: string[]) => !!req.web?.user?.roles.some((r) => roles.includes(r));

interface NavItem { href: string; key: string; roles?: string[] }
const NAV: NavItem[] = [
  { href: '/dashboard', key: 'Dashboard' },
  { href: '/households', key: 'Households', roles: ['officer', 'approver', 'admin', 'auditor', 'finance'] },
  { href: '/household-imports', key: 'Import household files', roles: ['officer', 'auditor', 'admin'] },
  { href: '/cases', key: 'Aid cases', roles: ['officer', 'approver', 'finance', 'auditor', 'admin'] },
  { href: '/campaigns', key: 'Relief campaigns', roles: ['officer', 'approver', 'finance', 'auditor', 'admin'] },
  { href: '/targets', key: 'Target tracker', roles: ['admin', 'officer', 'approver', 'finance', 'auditor'] },
  { href: '/loans', key: 'Start-up loans', roles: ['officer', 'approver', 'finance', 'auditor', 'admin'] },
  { href: '/funds', key: 'Funds', roles: ['finance', 'auditor', 'admin', 'approver'] },
  { href: '/fund-tree', key: 'Fund management', roles: ['finance', 'admin'] },
  { href: '/journal', key: 'Journal', roles: ['finance', 'auditor', 'admin'] },
  { href: '/payments', key: 'Payments', roles: ['finance'] },
  { href: '/periods', key: 'Periods', roles: ['finance', 'auditor', 'admin'] },
  { href: '/reconciliation', key: 'Bank reconciliation', roles: ['finance', 'auditor', 'admin'] },
  { href: '/books', key: 'Financial statements', roles: ['finance', 'auditor', 'admin'] },
  { href: '/objections', key: 'Objections', roles: ['approver', 'auditor'] },
  { href: '/audit', key: 'Audit', roles: ['auditor', 'admin'] },
  { href: '/users', key: 'Users', roles: ['admin'] },
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

export function page(req: Request, res: Response, opts: { title: string; body: Renderable; status?: number; flash?: Renderable }) {
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
      ? html`<span><span class="user-name" translate="no">${user.displayName}</span> · ${user.roles.map((r) => label(lang, ROLE, r)).join('、')}${user.district ? ` · ${user.district}` : ''}</span>
    <form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="${req.web!.csrf}"><button type="submit" class="link">${t('Log out')}</button></form>`
      : html`<a href="/login">${t('Log in')}</a>`}
  </div>
</header>
<nav class="main" aria-label="${t('Menu')}">
<details class="menu" open data-menu>
  <summary>${t('Menu')}</summary>
  <div class="menu-lists">
  <ul>${nav.map(link)}</ul>
  <ul class="public">${PUBLIC_NAV.map(link)}</ul>
  </div>
</details>
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
 * A table of a paged list with previous/next, a total, sortable headers and CSV/Excel links. Columns give a
 * header and a cell (Renderable for HTML). The exported value of a column is, in this order: `export(row)`
 * as it is; `csv(row)` unless it is a bare code (or a boolean) that the cell shows as a label, then the
 * label; else the text of the cell. So exports show 朝阳, not CY. `sort` names the API's sort key of the
 * column (the header becomes a link, with aria-sort). On screens ≤ 600 px the rows become cards: each cell
 * carries its header in `data-label`.
 */
export interface Column<T> {
  head: string;
  cell: (row: T) => Renderable;
  /** The exported value, taken as it is (CSV and Excel). */
  export?: (row: T) => unknown;
  /** Older pages' export value: used unless it is a code the cell shows as a label. */
  csv?: (row: T) => unknown;
  num?: boolean;
  /** The API's sort key of this column (GET …?sort=key / -key). */
  sort?: string;
}

/** The API's answer to a list: what table() needs for paging and the count. */
export interface ListPage { nextCursor?: string | null; total?: number }

const PREV_KEEP = 20; // cursors of earlier pages kept in the address (older ones: "first page" still works)
const cursorsOf = (v: unknown) => (typeof v === 'string' && v ? v.split(',').filter((c) => /^(\.|\d{1,15}|k[A-Za-z0-9_-]{4,395})$/.test(c)).slice(-PREV_KEEP) : []);

/**
 * The paging, sort and count parameters of the current page for the API call of a list:
 * `callApi(req, 'GET', '/households' + qs({ ...filters, ...listParams(req) }))`.
 */
export function listParams(req: Request, limit?: number): { limit: number; cursor?: string; sort?: string; withTotal?: 'true' } {
  const sort = typeof req.query.sort === 'string' && /^-?[A-Za-z]{1,40}$/.test(req.query.sort) ? req.query.sort : undefined;
  const cursor = typeof req.query.cursor === 'string' && req.query.cursor ? req.query.cursor : undefined;
  return { limit: limit ?? (wantsExport(req) ? 500 : 50), ...(cursor ? { cursor } : {}), ...(sort ? { sort } : {}), ...(wantsExport(req) ? {} : { withTotal: 'true' as const }) };
}

export function table<T>(req: Request, columns: Column<T>[], rows: T[], opts: { nextCursor?: string | null; total?: number; page?: ListPage; caption?: string; csv?: boolean } = {}): Html {
  const t = tr(req);
  const lang = langOf(req);
  const nextCursor = opts.page?.nextCursor ?? opts.nextCursor;
  const total = opts.page?.total ?? opts.total;
  const q = { ...(req.query as Record<string, unknown>) };
  delete q.cursor;
  delete q.format;
  delete q.prev;
  delete q.saved;
  const current = typeof req.query.cursor === 'string' && req.query.cursor ? req.query.cursor : '';
  const stack = cursorsOf(req.query.prev);
  const link = (o: Record<string, unknown>) => req.path + qs({ ...q, ...o });
  const nextLink = nextCursor ? html`<a rel="next" href="${link({ cursor: nextCursor, prev: [...stack, current || '.'].slice(-PREV_KEEP).join(',') })}">${t('Next')} →</a>` : '';
  let prevLink: Html | string = '';
  if (current) {
    const back = stack[stack.length - 1];
    prevLink = back && back !== '.'
      ? html`<a rel="prev" href="${link({ cursor: back, prev: stack.slice(0, -1).join(',') })}">← ${t('Previous')}</a>`
      : html`<a rel="prev" href="${link({})}">← ${t('Previous')}</a>`;
  }
  const firstLink = current && stack.length > 1 ? html`<a href="${link({})}">${t('First page')}</a>` : '';
  const pageNo = current ? (stack.length < PREV_KEEP ? stack.length + 1 : undefined) : 1;
  const exportQ = { ...q, ...(current ? { cursor: current } : {}) };
  const exports = opts.csv === false ? '' : html`<span class="exports"><a class="csv" href="${req.path + qs({ ...exportQ, format: 'csv' })}" download>${t('Export CSV')}</a> <a class="xlsx" href="${req.path + qs({ ...exportQ, format: 'xlsx' })}" download>${t('Export Excel')}</a></span>`;
  const sort = typeof req.query.sort === 'string' ? req.query.sort : '';
  const head = (c: Column<T>) => {
    const cls = c.num ? raw(' class="num"') : '';
    if (!c.sort) return html`<th scope="col"${cls}>${c.head}</th>`;
    const state = sort === c.sort ? 'ascending' : sort === `-${c.sort}` ? 'descending' : '';
    const to = state === 'ascending' ? `-${c.sort}` : c.sort;
    const arrow = state === 'ascending' ? '▲' : state === 'descending' ? '▼' : '↕';
    const hint = state === 'ascending' ? t('sorted ascending; click for descending') : state === 'descending' ? t('sorted descending; click for ascending') : t('click to sort');
    return html`<th scope="col"${cls}${state ? raw(` aria-sort="${state}"`) : ''}><a class="sort" href="${link({ sort: to })}" title="${hint}">${c.head} <span aria-hidden="true">${arrow}</span></a></th>`;
  };
  const count = total !== undefined && total !== null
    ? html`<span class="count-total" data-total="${total}">${lang === 'zh' ? `共 ${total} 条` : `${total} records`}${pageNo && total > 0 ? (lang === 'zh' ? ` · 第 ${pageNo} 页` : ` · page ${pageNo}`) : ''}</span>`
    : '';
  return html`<div class="table-wrap">
<table class="list">${opts.caption ? html`<caption>${opts.caption}</caption>` : ''}
<thead><tr>${columns.map(head)}</tr></thead>
<tbody>${rows.length ? rows.map((r) => html`<tr>${columns.map((c) => html`<td${c.num ? raw(' class="num"') : ''} data-label="${c.head}">${c.cell(r)}</td>`)}</tr>`) : html`<tr class="empty"><td colspan="${columns.length}">${t('No records.')}</td></tr>`}</tbody>
</table></div>
<nav class="pager" aria-label="${t('Pages')}">${count} ${firstLink} ${prevLink} ${nextLink} ${exports}</nav>`;
}

const plain = (v: Renderable): string => {
  if (v === null || v === undefined || v === false) return '';
  if (Array.isArray(v)) return v.map(plain).join(' ');
  return String(v).replace(/<[^>]*>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#96;/g, '`').replace(/&amp;/g, '&').trim();
};

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;
// A value that is a code rather than words: lower-case identifiers (in_notice, illness;education) or district codes.
const CODE = /^([a-z][a-z0-9_.]{0,31}([;,| ][a-z][a-z0-9_.]{0,31})*|[A-Z]{2,3})$/;

/** The exported value of one cell (see table()). */
export function exportValue<T>(c: Column<T>, row: T, lang: Lang = 'zh'): unknown {
  if (c.export) return c.export(row);
  const shown = () => plain(c.cell(row));
  let v: unknown = c.csv ? c.csv(row) : shown();
  if (c.csv && (typeof v === 'boolean' || (typeof v === 'string' && CODE.test(v)))) {
    const label = shown();
    if (label) return label;
    if (typeof v === 'boolean') return v ? translate(lang, 'Yes') : translate(lang, 'No');
  }
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? translate(lang, 'Yes') : translate(lang, 'No');
  if (typeof v === 'string' && ISO_INSTANT.test(v)) v = fmtTime(v);
  return v;
}

const exportRows = <T>(lang: Lang, columns: Column<T>[], rows: T[]) => rows.map((r) => columns.map((c) => exportValue(c, r, lang)));

/** Excel: Chinese headers in row 1, English in row 2 (muted), frozen; amounts as numbers; widths from the content. */
async function sendXlsx<T>(res: Response, lang: Lang, name: string, columns: Column<T>[], rows: T[]) {
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  wb.creator = translate('zh', 'Warmth Foundation');
  wb.created = new Date();
  const ws = wb.addWorksheet(name.replace(/[[\]:*?/\\]/g, '-').slice(0, 31) || 'list');
  const zhHeads = columns.map((c) => (lang === 'zh' ? c.head : translate('zh', c.head)));
  const enHeads = columns.map((c) => (lang === 'zh' ? englishOf(c.head) : c.head));
  ws.addRow(zhHeads).font = { bold: true };
  const en = ws.addRow(enHeads);
  en.font = { italic: true, color: { argb: 'FF555555' } };
  const values = exportRows(lang, columns, rows);
  for (const r of values) {
    ws.addRow(r.map((v, i) => {
      const s = v === null || v === undefined ? '' : String(v);
      // Amounts and counts become numbers (sums work); anything else stays text, so nothing is read as a formula.
      if (columns[i]!.num && /^-?\d{1,13}(\.\d{1,2})?$/.test(s)) return Number(s);
      return s;
    }));
  }
  columns.forEach((c, i) => {
    const col = ws.getColumn(i + 1);
    if (c.num) {
      col.numFmt = values.some((r) => /\.\d/.test(String(r[i] ?? ''))) ? '#,##0.00' : '0';
      col.alignment = { horizontal: 'right' };
    }
    const width = (s: unknown) => [...String(s ?? '')].reduce((n, ch) => n + (ch.charCodeAt(0) > 0x2e80 ? 2 : 1), 0);
    col.width = Math.min(60, Math.max(8, width(zhHeads[i]), width(enHeads[i]), ...values.map((r) => width(r[i]))) + 2);
  });
  ws.views = [{ state: 'frozen', ySplit: 2 }];
  ws.autoFilter = { from: { row: 2, column: 1 }, to: { row: 2, column: Math.max(1, columns.length) } };
  const buf = Buffer.from(await wb.xlsx.writeBuffer());
  res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').setHeader('Content-Disposition', `attachment; filename="${name}.xlsx"`);
  res.send(buf);
}

/**
 * Sends the columns as CSV (UTF-8 with BOM so spreadsheet programs read Chinese), or as Excel when the page
 * was asked for `?format=xlsx`. Values are the labels people read (exportValue), times in Asia/Shanghai.
 */
export async function sendCsv<T>(res: Response, name: string, columns: Column<T>[], rows: T[]) {
  const req = res.req as Request | undefined;
  const lang: Lang = req ? langOf(req) : 'zh';
  if (req?.query.format === 'xlsx') return sendXlsx(res, lang, name, columns, rows);
  const body = toCsv(columns.map((c) => c.head), exportRows(lang, columns, rows));
  res.type('text/csv; charset=utf-8').setHeader('Content-Disposition', `attachment; filename="${name}.csv"`);
  res.send(body);
}
export const sendExport = sendCsv;

/** The page was asked for an export (CSV or Excel). */
export const wantsExport = (req: Request) => req.query.format === 'csv' || req.query.format === 'xlsx';
export const wantsCsv = wantsExport;

const TIME_FMT = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
/** An instant as Asia/Shanghai wall time, "2026-11-27 09:30:00"; empty for null; text that is no time as it is. */
export function fmtTime(iso: string | Date | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '';
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = Object.fromEntries(TIME_FMT.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}
/** The Asia/Shanghai calendar day of an instant. */
export const fmtDate = (iso: string | Date | null | undefined) => fmtTime(iso).slice(0, 10);

/** Any value for people: empty for null/undefined (never "null"), 是/否 for booleans. */
export function show(req: Request, v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return tr(req)(v ? 'Yes' : 'No');
  return String(v);
}

/** English placed beside a Chinese label, marked so screen readers and the page walk know it is English. */
export const withEnglish = (zh: Renderable, en: string) => html`${zh} <span class="en" lang="en">${en}</span>`;
/** Text as the books or a bank file recorded it (a voucher's 摘要, a fund's English name): shown as written, never translated. */
export const recorded = (text: string | null | undefined) => (text ? html`<span translate="no">${text}</span>` : '');

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
