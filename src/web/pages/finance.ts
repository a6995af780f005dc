import crypto from 'node:crypto';
import type { Request, Response, Router } from 'express';
import { apiError, callApi, fieldErrors, qs } from '../api';
import { html, type Html } from '../html';
import { csrfField, errorPage, field, langOf, needUser, page, sendCsv, str, table, tr, wantsCsv, type Column } from '../view';
import { shanghaiDate } from '../../platform/clock';
import { COLUMN_MEANING, ORDER, label } from '../i18n';
import { caseColumns, fundOptions } from './aid';

const BOOKS = ['finance', 'auditor'];
const JOURNAL_LINES = 12;
const idem = () => html`<input type="hidden" name="idempotencyKey" value="${crypto.randomUUID()}">`;
const errBox = (message?: string) => (message ? html`<div class="error" role="alert"><p>${message}</p></div>` : '');

async function accountOptions(req: Request): Promise<[string, string][]> {
  const out = await callApi(req, 'GET', '/accounts');
  const items: any[] = out.ok ? out.body.items ?? out.body : [];
  const zh = langOf(req) === 'zh';
  return [['', '—'], ...items.map((a) => [a.code, `${a.code} ${zh ? a.nameZh : a.nameEn}`] as [string, string])];
}

export function financePages(r: Router) {
  r.get('/funds', needUser('finance', 'auditor', 'approver'), async (req, res) => {
    const t = tr(req), zh = langOf(req) === 'zh';
    const out = await callApi(req, 'GET', '/funds?limit=500');
    if (!out.ok) return errorPage(req, res, out.status, apiError(out).message);
    const funds: any[] = out.body.items ?? out.body;
    const balances = new Map<string, any>();
    await Promise.all(funds.map(async (f) => {
      const b = await callApi(req, 'GET', `/funds/${encodeURIComponent(f.code)}/balance`);
      if (b.ok) balances.set(f.code, b.body);
    }));
    // Depth-first order of the tree, with the depth for indentation.
    const children = new Map<string | null, any[]>();
    for (const f of funds) children.set(f.parentCode ?? null, [...(children.get(f.parentCode ?? null) ?? []), f]);
    const codes = new Set(funds.map((f) => f.code));
    const ordered: { f: any; depth: number }[] = [];
    const walk = (parent: string | null, depth: number) => { for (const f of children.get(parent) ?? []) { ordered.push({ f, depth }); walk(f.code, depth + 1); } };
    walk(null, 0);
    for (const f of funds) if (f.parentCode && !codes.has(f.parentCode)) { ordered.push({ f, depth: 0 }); walk(f.code, 1); }
    const cols: Column<{ f: any; depth: number }>[] = [
      { head: t('Fund'), cell: ({ f, depth }) => html`<span class="depth-${Math.min(depth, 4)}">${'　'.repeat(depth)}${f.code}</span>`, csv: ({ f }) => f.code },
      { head: t('Name'), cell: ({ f }) => (zh ? f.nameZh : f.nameEn) },
      { head: t('Cash'), cell: ({ f }) => balances.get(f.code)?.cash ?? '', num: true },
      { head: t('Bank'), cell: ({ f }) => balances.get(f.code)?.bank ?? '', num: true },
      { head: t('Aid payable'), cell: ({ f }) => balances.get(f.code)?.aidPayable ?? '', num: true },
      { head: t('Available'), cell: ({ f }) => html`<span data-fund-available="${f.code}">${balances.get(f.code)?.available ?? ''}</span>`, csv: ({ f }) => balances.get(f.code)?.available ?? '', num: true },
    ];
    if (wantsCsv(req)) return sendCsv(res, 'funds', cols, ordered);
    page(req, res, { title: t('Funds'), body: html`<h1>${t('Funds')}</h1>${table(req, cols, ordered)}` });
  });

  r.get('/journal', needUser(...BOOKS), async (req, res) => {
    const t = tr(req);
    const f = { fund: str(req.query.fund), account: str(req.query.account), from: str(req.query.from), to: str(req.query.to), source: str(req.query.source) };
    const out = await callApi(req, 'GET', `/journal-entries${qs({ ...f, limit: wantsCsv(req) ? 500 : 50, cursor: str(req.query.cursor) })}`);
    const errors = out.ok ? {} : fieldErrors(out);
    const entries: any[] = out.ok ? out.body.items : [];
    const rows = entries.flatMap((e) => (e.lines ?? []).map((l: any, i: number) => ({ e, l, first: i === 0 })));
    const cols: Column<any>[] = [
      { head: t('Number'), cell: (x) => (x.first ? x.e.number : ''), csv: (x) => x.e.number },
      { head: t('Date'), cell: (x) => (x.first ? x.e.date : ''), csv: (x) => x.e.date },
      { head: t('Description'), cell: (x) => (x.first ? x.e.description : ''), csv: (x) => x.e.description },
      { head: t('Source'), cell: (x) => (x.first ? x.e.source : ''), csv: (x) => x.e.source },
      { head: t('Account'), cell: (x) => x.l.account },
      { head: t('Fund'), cell: (x) => x.l.fund },
      { head: t('Debit'), cell: (x) => x.l.debit ?? '', num: true },
      { head: t('Credit'), cell: (x) => x.l.credit ?? '', num: true },
      { head: t('Memo'), cell: (x) => x.l.memo ?? '' },
    ];
    if (wantsCsv(req)) return sendCsv(res, 'journal', cols, rows);
    page(req, res, {
      title: t('Journal'),
      body: html`<h1>${t('Journal')}</h1>
<p class="actions"><a class="button" href="/journal/new">${t('Manual entry')}</a> <a class="button" href="/donations/new">${t('Record a donation')}</a> <a class="button" href="/allocations/new">${t('Record an allocation')}</a></p>
<form method="get" action="/journal" class="filters">
${field({ name: 'fund', label: t('Fund'), value: f.fund, options: await fundOptions(req, t('All')), error: errors.fund })}
${field({ name: 'account', label: t('Account'), value: f.account, error: errors.account, attrs: 'inputmode="numeric" maxlength="4"' })}
${field({ name: 'from', label: t('From'), type: 'date', value: f.from, error: errors.from })}
${field({ name: 'to', label: t('To'), type: 'date', value: f.to, error: errors.to })}
${field({ name: 'source', label: t('Source'), value: f.source, options: [['', t('All')], ...['manual', 'donation', 'allocation', 'aid', 'reversal', 'closing'].map((s) => [s, s] as [string, string])] })}
<button type="submit">${t('Filter')}</button>
</form>
${out.ok ? '' : errBox(apiError(out).message)}
${table(req, cols, rows, { nextCursor: out.ok ? out.body.nextCursor : null })}`,
    });
  });

  const journalForm = async (req: Request, res: Response, o: { values?: any; errors?: Record<string, string>; message?: string; status?: number } = {}) => {
    const t = tr(req);
    const v = o.values ?? {}, e = o.errors ?? {};
    const funds = await fundOptions(req, '—');
    const accounts = await accountOptions(req);
    const shown = Math.max(2, ...Array.from({ length: JOURNAL_LINES }, (_, i) => (str(v[`l${i}_account`]) || str(v[`l${i}_debit`]) || str(v[`l${i}_credit`]) ? i + 1 : 0)));
    const line = (i: number) => html`<div class="line" data-line${i >= shown ? html` hidden` : ''}>
${field({ name: `l${i}_account`, label: `${t('Account')} ${i + 1}`, value: v[`l${i}_account`], options: accounts, error: e[`lines.${i}.account`] ?? e[`lines.${i}`] })}
${field({ name: `l${i}_fund`, label: `${t('Fund')} ${i + 1}`, value: v[`l${i}_fund`], options: funds, error: e[`lines.${i}.fund`], attrs: 'data-f="fund"' })}
${field({ name: `l${i}_debit`, label: `${t('Debit')} ${i + 1}`, value: v[`l${i}_debit`], error: e[`lines.${i}.debit`], attrs: 'data-f="debit" inputmode="decimal"' })}
${field({ name: `l${i}_credit`, label: `${t('Credit')} ${i + 1}`, value: v[`l${i}_credit`], error: e[`lines.${i}.credit`], attrs: 'data-f="credit" inputmode="decimal"' })}
${field({ name: `l${i}_memo`, label: `${t('Memo')} ${i + 1}`, value: v[`l${i}_memo`] })}
</div>`;
    page(req, res, {
      title: t('Manual entry'),
      status: o.status,
      body: html`<h1>${t('Manual entry')}</h1>${errBox(o.message)}
<form method="post" action="/journal/new" data-journal-form>${csrfField(req)}${idem()}
${field({ name: 'date', label: t('Date'), type: 'date', value: v.date ?? shanghaiDate(), required: true, error: e.date })}
${field({ name: 'description', label: t('Description'), value: v.description, required: true, error: e.description })}
${e.lines ? html`<p class="err">${e.lines}</p>` : ''}
<div class="journal-lines" data-lines>${Array.from({ length: JOURNAL_LINES }, (_, i) => line(i))}</div>
<p><button type="button" class="secondary" data-add-line>${t('Add line')}</button></p>
<h2>${t('Totals per fund')}</h2><ul class="totals" data-totals aria-live="polite"></ul>
<p><button type="submit" data-post>${t('Post')}</button></p>
</form>`,
    });
  };
  r.get('/journal/new', needUser('finance'), (req, res) => journalForm(req, res));
  r.post('/journal/new', needUser('finance'), async (req, res) => {
    const b = req.body;
    const lines: any[] = [];
    for (let i = 0; i < JOURNAL_LINES; i++) {
      const account = str(b[`l${i}_account`]), fund = str(b[`l${i}_fund`]), debit = str(b[`l${i}_debit`]), credit = str(b[`l${i}_credit`]), memo = str(b[`l${i}_memo`]);
      if (!account && !fund && !debit && !credit) continue;
      lines.push({ account, fund, ...(debit ? { debit } : {}), ...(credit ? { credit } : {}), ...(memo ? { memo } : {}) });
    }
    const out = await callApi(req, 'POST', '/journal-entries', { body: { date: str(b.date), description: str(b.description), lines }, idempotencyKey: str(b.idempotencyKey) || undefined });
    if (out.ok) return res.redirect(303, `/journal?saved=${encodeURIComponent(out.body.number ?? '')}`);
    await journalForm(req, res, { values: b, errors: fieldErrors(out), message: apiError(out).message, status: out.status });
  });

  const simpleForm = (path: string, title: string, render: (req: Request, v: any, e: Record<string, string>) => Promise<Html>, toBody: (b: any) => unknown, apiPath: string, done: string) => {
    const show = async (req: Request, res: Response, o: { values?: any; errors?: Record<string, string>; message?: string; status?: number } = {}) =>
      page(req, res, { title: tr(req)(title), status: o.status, body: html`<h1>${tr(req)(title)}</h1>${errBox(o.message)}<form method="post" action="${path}" class="grid">${csrfField(req)}${idem()}${await render(req, o.values ?? {}, o.errors ?? {})}<p class="wide"><button type="submit">${tr(req)('Save')}</button></p></form>` });
    r.get(path, needUser('finance'), (req, res) => show(req, res));
    r.post(path, needUser('finance'), async (req, res) => {
      const out = await callApi(req, 'POST', apiPath, { body: toBody(req.body), idempotencyKey: str(req.body.idempotencyKey) || undefined });
      if (out.ok) return res.redirect(303, done);
      await show(req, res, { values: req.body, errors: fieldErrors(out), message: apiError(out).message, status: out.status });
    });
  };
  simpleForm('/donations/new', 'Record a donation', async (req, v, e) => {
    const t = tr(req);
    return html`${field({ name: 'fund', label: t('Fund'), value: v.fund, required: true, options: await fundOptions(req, t('Choose…')), error: e.fund })}
${field({ name: 'amount', label: `${t('Amount')} (¥)`, value: v.amount, required: true, error: e.amount, attrs: 'inputmode="decimal"' })}
${field({ name: 'date', label: t('Date'), type: 'date', value: v.date ?? shanghaiDate(), required: true, error: e.date })}
${field({ name: 'donorName', label: t('Donor'), value: v.donorName, error: e['donor.name'] })}
${field({ name: 'donorKind', label: `${t('Donor')} · ${t('Category')}`, value: v.donorKind, options: [['individual', t('Individual')], ['organization', t('Organization')]], error: e['donor.kind'] })}
${field({ name: 'anonymous', label: t('Anonymous'), type: 'checkbox', value: v.anonymous === 'true' })}`;
  }, (b) => ({ fund: str(b.fund), amount: str(b.amount), date: str(b.date), donor: { name: str(b.donorName) || null, kind: str(b.donorKind), anonymous: b.anonymous === 'true' } }), '/donations', '/journal?source=donation');
  simpleForm('/allocations/new', 'Record an allocation', async (req, v, e) => {
    const t = tr(req);
    const funds = await fundOptions(req, t('Choose…'));
    return html`${field({ name: 'fromFund', label: t('From fund'), value: v.fromFund, required: true, options: funds, error: e.fromFund })}
${field({ name: 'toFund', label: t('To fund'), value: v.toFund, required: true, options: funds, error: e.toFund })}
${field({ name: 'amount', label: `${t('Amount')} (¥)`, value: v.amount, required: true, error: e.amount, attrs: 'inputmode="decimal"' })}
${field({ name: 'date', label: t('Date'), type: 'date', value: v.date ?? shanghaiDate(), required: true, error: e.date })}
${field({ name: 'purpose', label: t('Purpose'), value: v.purpose, required: true, error: e.purpose })}`;
  }, (b) => ({ fromFund: str(b.fromFund), toFund: str(b.toFund), amount: str(b.amount), date: str(b.date), purpose: str(b.purpose) }), '/allocations', '/journal?source=allocation');

  r.get('/payments', needUser('finance'), async (req, res) => {
    const t = tr(req);
    const out = await callApi(req, 'GET', `/aid-cases${qs({ status: 'payable', limit: wantsCsv(req) ? 500 : 50, cursor: str(req.query.cursor) })}`);
    const items: any[] = out.ok ? out.body.items : [];
    const cols = caseColumns(req);
    if (wantsCsv(req)) return sendCsv(res, 'payable', cols, items);
    page(req, res, { title: t('Payments'), body: html`<h1>${t('Payable cases')}</h1>${out.ok ? '' : errBox(apiError(out).message)}${table(req, cols, items, { nextCursor: out.ok ? out.body.nextCursor : null })}` });
  });

  const periodsPage = async (req: Request, res: Response, message?: string, status?: number) => {
    const t = tr(req);
    const out = await callApi(req, 'GET', '/periods');
    if (!out.ok) return errorPage(req, res, out.status, apiError(out).message);
    const items: any[] = out.body.items;
    const cols: Column<any>[] = [
      { head: t('Period'), cell: (p) => p.period },
      { head: t('Status'), cell: (p) => (p.status === 'closed' ? t('Closed') : t('Open period')), csv: (p) => p.status },
      { head: t('Who'), cell: (p) => p.closedBy ?? '' },
      { head: t('Action'), cell: (p) => (p.status === 'open' && req.web!.user!.roles.includes('finance') ? html`<form method="post" action="/periods/${p.period}/close">${csrfField(req)}<button type="submit" aria-label="${t('Close')} ${p.period}">${t('Close')}</button></form>` : ''), csv: () => '' },
    ];
    if (wantsCsv(req)) return sendCsv(res, 'periods', cols, items);
    page(req, res, { title: t('Periods'), status, body: html`<h1>${t('Periods')}</h1>${errBox(message)}${table(req, cols, items)}` });
  };
  r.get('/periods', needUser(...BOOKS), (req, res) => periodsPage(req, res));
  r.post('/periods/:period/close', needUser('finance'), async (req, res) => {
    const out = await callApi(req, 'POST', `/periods/${encodeURIComponent(String(req.params.period))}/close`, { body: {} });
    if (out.ok) return res.redirect(303, '/periods');
    await periodsPage(req, res, apiError(out).message, out.status);
  });

  // Bank reconciliation: statements, upload (preview first, then import), the matching screen, close.
  const reconList = async (req: Request, res: Response, o: { values?: any; errors?: Record<string, string>; message?: string; status?: number; preview?: any } = {}) => {
    const t = tr(req), lang = langOf(req);
    const v = o.values ?? {}, e = o.errors ?? {};
    const out = await callApi(req, 'GET', `/bank-statements${qs({ limit: 50, cursor: str(req.query.cursor), fund: str(req.query.fund) })}`);
    const items: any[] = out.ok ? out.body.items : [];
    const cols: Column<any>[] = [
      { head: '#', cell: (s) => html`<a href="/reconciliation/${s.id}">${s.id}</a>`, csv: (s) => s.id },
      { head: t('Fund'), cell: (s) => s.fund },
      { head: t('Period'), cell: (s) => `${s.periodFrom} – ${s.periodTo}` },
      { head: t('Opening balance'), cell: (s) => s.openingBalance, num: true },
      { head: t('Closing balance'), cell: (s) => s.closingBalance, num: true },
      { head: t('Status'), cell: (s) => s.status ?? (s.closedAt ? t('Closed') : t('Open')) },
    ];
    if (wantsCsv(req)) return sendCsv(res, 'bank-statements', cols, items);
    const canWrite = req.web!.user!.roles.includes('finance');
    const profiles = canWrite ? await callApi(req, 'GET', '/bank-import-profiles?limit=200') : { ok: false, body: {} };
    const profileOptions: [string, string][] = [['', t('Detect automatically')], ...((profiles.ok ? profiles.body.items : []) as any[]).map((p) => [String(p.id), `${p.name}${p.fund ? ` · ${p.fund}` : ''}`] as [string, string])];
    const pv = o.preview;
    const previewBox = pv ? html`<section class="wide preview" aria-labelledby="preview-h"><h2 id="preview-h">${t('Preview')}</h2>
<dl class="facts">
<dt>${t('Bank (detected)')}</dt><dd>${pv.bank ?? '—'}</dd>
<dt>${t('Encoding')}</dt><dd>${pv.encoding}</dd>
<dt>${t('Header row')}</dt><dd>${pv.headerRow ?? '—'}</dd>
<dt>${t('Order')}</dt><dd>${label(lang, ORDER, pv.order)}</dd>
<dt>${t('Bank account')}</dt><dd>${pv.account ?? '—'}</dd>
<dt>${t('Currency')}</dt><dd>${pv.currency ?? '—'}</dd>
<dt>${t('Period')}</dt><dd>${pv.periodFrom ?? '—'} – ${pv.periodTo ?? '—'}</dd>
<dt>${t('Opening balance')}</dt><dd>${pv.openingBalance ?? '—'}</dd>
<dt>${t('Closing balance')}</dt><dd>${pv.closingBalance ?? '—'}</dd>
<dt>${t('Line count')}</dt><dd id="preview-lines">${pv.lineCount} (${t('information lines')}: ${pv.informationLines ?? 0})</dd>
</dl>
${pv.problems?.length ? html`<div class="error" role="alert"><p>${t('Problems')}</p><ul>${pv.problems.map((p: any) => html`<li>${p.line === null ? '' : `${t('Line')} ${p.line}${p.column ? ` (${p.column})` : ''}: `}${p.problem}</li>`)}</ul></div>` : html`<p class="ok">${t('No problems found.')}</p>`}
${pv.columns?.length ? table(req, [
  { head: '#', cell: (c: any) => c.index + 1, num: true }, { head: t('Column header'), cell: (c: any) => c.header },
  { head: t('Meaning'), cell: (c: any) => label(lang, COLUMN_MEANING, c.meaning) },
], pv.columns, { csv: false, caption: t('Columns') }) : (pv.fileRows?.length ? table(req, [
  { head: t('Line'), cell: (r: any) => r.line, num: true }, { head: t('Content'), cell: (r: any) => r.cells.join(' | ') },
], pv.fileRows, { csv: false, caption: t('First rows of the file') }) : '')}
${pv.rows?.length ? table(req, [
  { head: t('Line'), cell: (l: any) => l.line, num: true }, { head: t('Date'), cell: (l: any) => l.date },
  { head: t('Amount'), cell: (l: any) => l.amount, num: true }, { head: t('Balance'), cell: (l: any) => l.balance ?? '', num: true },
  { head: t('Counterparty'), cell: (l: any) => l.counterparty ?? '' }, { head: t('Memo'), cell: (l: any) => l.description ?? '' },
], pv.rows, { csv: false, caption: t('First lines') }) : ''}
</section>` : '';
    page(req, res, {
      title: t('Bank reconciliation'),
      status: o.status,
      body: html`<h1>${t('Bank reconciliation')}</h1>
${out.ok ? table(req, cols, items, { nextCursor: out.body.nextCursor }) : errBox(apiError(out).message)}
${canWrite ? html`<h2>${t('Upload a bank statement')}</h2>${errBox(o.message)}
<form method="post" action="/reconciliation/upload" class="grid">${csrfField(req)}
${field({ name: 'fund', label: t('Fund'), value: v.fund, required: true, options: await fundOptions(req, t('Choose…')), error: e.fund })}
${field({ name: 'format', label: t('Format'), value: v.format, options: [['csv', 'CSV'], ['xls', 'Excel .xls'], ['xlsx', 'Excel .xlsx'], ['camt053', 'camt.053 XML'], ['mt940', 'MT940']], error: e.format })}
${field({ name: 'profileId', label: t('Import profile'), value: v.profileId, options: profileOptions, error: e.profileId })}
${field({ name: 'periodFrom', label: t('From'), type: 'date', value: v.periodFrom, required: true, error: e.periodFrom })}
${field({ name: 'periodTo', label: t('To'), type: 'date', value: v.periodTo, required: true, error: e.periodTo })}
${field({ name: 'openingBalance', label: t('Opening balance'), value: v.openingBalance, required: true, error: e.openingBalance })}
${field({ name: 'closingBalance', label: t('Closing balance'), value: v.closingBalance, required: true, error: e.closingBalance })}
${field({ name: 'file', label: t('Statement file'), type: 'file', attrs: 'accept=".csv,.txt,.xls,.xlsx,.xml,.sta,.mt940,text/csv,application/xml,application/vnd.ms-excel,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" data-read-into="f-content" data-read-base64-into="f-contentBase64"' })}
${field({ name: 'content', label: t('Content'), textarea: true, value: v.content, error: e.content ?? e.contentBase64, hint: t('A spreadsheet is sent as it is; CSV and XML text show here.') })}
<input type="hidden" id="f-contentBase64" name="contentBase64" value="${typeof v.contentBase64 === 'string' ? v.contentBase64 : ''}">
${previewBox}
<p class="wide"><button type="submit" formaction="/reconciliation/preview" class="secondary">${t('Preview')}</button> <button type="submit">${t('Import')}</button></p></form>` : ''}`,
    });
  };
  /** The upload form's fields as the API takes them (only what was filled in, for the preview). */
  const statementBody = (b: any, forPreview: boolean) => {
    const body: Record<string, unknown> = { format: str(b.format) };
    for (const k of ['fund', 'periodFrom', 'periodTo', 'openingBalance', 'closingBalance']) {
      const val = str(b[k]);
      if (!forPreview || (val !== undefined && val !== '')) body[k] = val;
    }
    if (typeof b.contentBase64 === 'string' && b.contentBase64 !== '') body.contentBase64 = b.contentBase64;
    else body.content = typeof b.content === 'string' ? b.content : '';
    if (str(b.profileId)) body.profileId = Number(str(b.profileId));
    return body;
  };
  r.get('/reconciliation', needUser(...BOOKS), (req, res) => reconList(req, res));
  r.post('/reconciliation/preview', needUser('finance'), async (req, res) => {
    const out = await callApi(req, 'POST', '/bank-statements/preview', { body: statementBody(req.body, true) });
    if (out.ok) return reconList(req, res, { values: req.body, preview: out.body });
    await reconList(req, res, { values: req.body, errors: fieldErrors(out), message: apiError(out).message, status: out.status });
  });
  r.post('/reconciliation/upload', needUser('finance'), async (req, res) => {
    const out = await callApi(req, 'POST', '/bank-statements', { body: statementBody(req.body, false) });
    if (out.ok) return res.redirect(303, `/reconciliation/${out.body.id}`);
    await reconList(req, res, { values: req.body, errors: fieldErrors(out), message: apiError(out).message, status: out.status });
  });

  const matchScreen = async (req: Request, res: Response, message?: string, status?: number) => {
    const t = tr(req);
    const id = Number(req.params.id);
    const [st, rep] = await Promise.all([callApi(req, 'GET', `/bank-statements/${id}`), callApi(req, 'GET', `/bank-statements/${id}/reconciliation`)]);
    if (!st.ok) return errorPage(req, res, st.status, apiError(st).message);
    const s = st.body, rp = rep.ok ? rep.body : {};
    const lines: any[] = s.lines?.items ?? [];
    const canWrite = req.web!.user!.roles.includes('finance');
    const post = (action: string, label: string) => html`<form method="post" action="/reconciliation/${id}/${action}" class="inline">${csrfField(req)}<button type="submit">${label}</button></form>`;
    page(req, res, {
      title: `${t('Statement')} ${id}`,
      status,
      body: html`<h1>${t('Statement')} #${id} · ${s.fund}</h1>${errBox(message)}
<dl class="facts">
<dt>${t('Period')}</dt><dd>${s.periodFrom} – ${s.periodTo}</dd>
<dt>${t('Closing balance')}</dt><dd>${rp.statementClosingBalance ?? s.closingBalance}</dd>
<dt>${t('Ledger balance')}</dt><dd>${rp.ledgerBalance ?? ''}</dd>
<dt>${t('Matched total')}</dt><dd>${rp.matchedTotal ?? ''}</dd>
<dt>${t('Difference')}</dt><dd id="recon-difference"><strong>${rp.difference ?? ''}</strong></dd>
</dl>
${canWrite ? html`<p class="actions">${post('auto-match', t('Auto-match'))} ${post('close', t('Close reconciliation'))}</p>` : ''}
<h2>${t('Statement lines')}</h2>
${table(req, [
  { head: t('Date'), cell: (l: any) => l.date }, { head: t('Amount'), cell: (l: any) => l.amount, num: true },
  { head: t('Description'), cell: (l: any) => l.description ?? '' },
  { head: t('Match'), cell: (l: any) => (l.matchId ? html`#${l.matchId} ${canWrite ? html`<form method="post" action="/reconciliation/${id}/unmatch/${l.matchId}" class="inline">${csrfField(req)}<button type="submit" class="secondary" aria-label="${t('Unmatch')} #${l.matchId}">${t('Unmatch')}</button></form>` : ''}` : '—') },
], lines, { csv: false })}
${canWrite ? html`<h2>${t('Match')}</h2>
<form method="post" action="/reconciliation/${id}/match" data-match-form>${csrfField(req)}
<div class="cards"><fieldset><legend>${t('Statement lines')}</legend>
${(rp.unmatchedStatementLines ?? []).map((l: any) => html`<div class="field check"><input type="checkbox" id="sl-${l.id}" name="statementLineIds" value="${l.id}" data-amount="${l.amount}"> <label for="sl-${l.id}">${l.date} · ${l.amount} · ${l.description ?? ''}</label></div>`)}
</fieldset><fieldset><legend>${t('Ledger lines')}</legend>
${(rp.unmatchedLedgerLines ?? []).map((l: any) => html`<div class="field check"><input type="checkbox" id="ll-${l.id}" name="ledgerLineIds" value="${l.id}" data-amount="${l.amount}"> <label for="ll-${l.id}">${l.date} · ${l.amount} · ${l.description ?? ''}</label></div>`)}
</fieldset></div>
<p>${t('Difference')}: <output data-selected-diff>0.00</output></p>
<p><button type="submit">${t('Match')}</button></p></form>` : ''}`,
    });
  };
  r.get('/reconciliation/:id', needUser(...BOOKS), (req, res) => matchScreen(req, res));
  const ids = (v: unknown) => ([] as unknown[]).concat(v ?? []).map((x) => Number(x)).filter((n) => Number.isInteger(n) && n > 0);
  const reconAction = (path: string, call: (req: Request) => Promise<any>) =>
    r.post(path, needUser('finance'), async (req, res) => {
      const out = await call(req);
      if (out.ok) return res.redirect(303, `/reconciliation/${Number(req.params.id)}`);
      await matchScreen(req, res, apiError(out).message, out.status);
    });
  reconAction('/reconciliation/:id/auto-match', (req) => callApi(req, 'POST', `/bank-statements/${Number(req.params.id)}/auto-match`, { body: {} }));
  reconAction('/reconciliation/:id/close', (req) => callApi(req, 'POST', `/bank-statements/${Number(req.params.id)}/close`, { body: {} }));
  reconAction('/reconciliation/:id/match', (req) => callApi(req, 'POST', '/reconciliation/matches', { body: { statementLineIds: ids(req.body.statementLineIds), ledgerLineIds: ids(req.body.ledgerLineIds) } }));
  reconAction('/reconciliation/:id/unmatch/:mid', (req) => callApi(req, 'DELETE', `/reconciliation/matches/${Number(req.params.mid)}`));
}
