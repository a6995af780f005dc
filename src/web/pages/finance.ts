import crypto from 'node:crypto';
import type { Request, Response, Router } from 'express';
import { apiError, callApi, fieldErrors, qs } from '../api';
import { html, type Html } from '../html';
import { csrfField, errorPage, recorded, field, fmtTime, hasRole, langOf, listParams, needUser, page, sendCsv, str, table, tr, wantsCsv, type Column } from '../view';
import { shanghaiDate } from '../../platform/clock';
import { COLUMN_MEANING, ORDER, label } from '../i18n';
import { RECON_STATUS, SOURCE } from '../i18n-finance';
import { caseColumns, fundOptions } from './aid';

const BOOKS = ['finance', 'auditor'];
const JOURNAL_LINES = 12;
const SOURCES = ['manual', 'donation', 'allocation', 'aid', 'reversal', 'closing'];
const idem = () => html`<input type="hidden" name="idempotencyKey" value="${crypto.randomUUID()}">`;
export const errBox = (message?: string) => (message ? html`<div class="error" role="alert"><p>${message}</p></div>` : '');

/** An amount as finance staff read it: thousands separated, two decimals kept as the API gives them. */
export function amt(v: unknown): string {
  if (v === null || v === undefined || v === '') return '';
  const s = String(v);
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(s);
  return m ? `${m[1]}${m[2]!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${m[3] ?? ''}` : s;
}

/** Chart of accounts: code → name in the page's language. */
export async function accountNames(req: Request): Promise<Map<string, string>> {
  const out = await callApi(req, 'GET', '/accounts');
  const items: any[] = out.ok ? out.body.items ?? out.body : [];
  const zh = langOf(req) === 'zh';
  return new Map(items.map((a) => [a.code, zh ? a.nameZh : a.nameEn]));
}

async function accountOptions(req: Request, first: string): Promise<[string, string][]> {
  const names = await accountNames(req);
  return [['', first], ...[...names].map(([code, name]) => [code, `${code} ${name}`] as [string, string])];
}

const month = (d: string) => d.slice(0, 7);
/** A translated sentence with its {placeholders} filled in. */
export const fill = (text: string, v: Record<string, string | number>) => text.replace(/\{(\w+)\}/g, (_, k: string) => String(v[k] ?? ''));
const sumOf = (xs: (string | null | undefined)[]) => (xs.reduce((s, x) => s + Math.round(Number(x ?? 0) * 100), 0) / 100).toFixed(2);

export function financePages(r: Router) {
  // ───────────────────────── journal: list with filters and search ─────────────────────────
  r.get('/journal', needUser(...BOOKS), async (req, res) => {
    const t = tr(req), lang = langOf(req);
    const f = { fund: str(req.query.fund), account: str(req.query.account), from: str(req.query.from), to: str(req.query.to), source: str(req.query.source), q: str(req.query.q) };
    const [out, names] = await Promise.all([
      callApi(req, 'GET', `/journal-entries${qs({ ...f, ...listParams(req) })}`),
      accountNames(req),
    ]);
    const errors = out.ok ? {} : fieldErrors(out);
    const entries: any[] = out.ok ? out.body.items : [];
    const rows = entries.flatMap((e) => (e.lines ?? []).map((l: any, i: number) => ({ e, l, first: i === 0 })));
    const cols: Column<any>[] = [
      { head: t('Number'), cell: (x) => (x.first ? html`<a href="/journal/${x.e.id}">${x.e.number}</a>${x.e.reversedById ? html` <span class="tag">${t('Reversed')}</span>` : ''}` : ''), export: (x) => x.e.number, sort: 'number' },
      { head: t('Date'), cell: (x) => (x.first ? x.e.date : ''), export: (x) => x.e.date, sort: 'date' },
      { head: t('Summary'), cell: (x) => (x.first ? recorded(x.e.description) : ''), export: (x) => x.e.description },
      { head: t('Source'), cell: (x) => (x.first ? label(lang, SOURCE, x.e.source) : ''), export: (x) => label(lang, SOURCE, x.e.source), sort: 'source' },
      { head: t('Account'), cell: (x) => `${x.l.account} ${names.get(x.l.account) ?? ''}`.trim() },
      { head: t('Fund'), cell: (x) => x.l.fund },
      { head: t('Debit'), cell: (x) => amt(x.l.debit), export: (x) => x.l.debit ?? '', num: true },
      { head: t('Credit'), cell: (x) => amt(x.l.credit), export: (x) => x.l.credit ?? '', num: true },
      { head: t('Line note'), cell: (x) => recorded(x.l.memo), export: (x) => x.l.memo ?? '' },
    ];
    if (wantsCsv(req)) return sendCsv(res, 'journal', cols, rows);
    const filtered = Object.values(f).some(Boolean);
    page(req, res, {
      title: t('Journal'),
      body: html`<h1>${t('Journal')}</h1>
${hasRole(req, 'finance') ? html`<p class="actions"><a class="button" href="/journal/new">${t('Manual entry')}</a> <a class="button" href="/donations/new">${t('Record a donation')}</a> <a class="button" href="/allocations/new">${t('Record an allocation')}</a></p>` : ''}
<form method="get" action="/journal" class="filters" role="search">
${field({ name: 'q', label: t('Search number or description'), value: f.q, type: 'search', error: errors.q, attrs: 'maxlength="100"' })}
${field({ name: 'fund', label: t('Fund'), value: f.fund, options: await fundOptions(req, t('All')), error: errors.fund })}
${field({ name: 'account', label: t('Account'), value: f.account, options: [['', t('All')], ...[...names].map(([c, n]) => [c, `${c} ${n}`] as [string, string])], error: errors.account })}
${field({ name: 'from', label: t('From'), type: 'date', value: f.from, error: errors.from })}
${field({ name: 'to', label: t('To'), type: 'date', value: f.to, error: errors.to })}
${field({ name: 'source', label: t('Source'), value: f.source, options: [['', t('All')], ...SOURCES.map((s) => [s, label(lang, SOURCE, s)] as [string, string])], error: errors.source })}
<button type="submit">${t('Filter')}</button>${filtered ? html` <a href="/journal">${t('Reset')}</a>` : ''}
</form>
${out.ok ? '' : errBox(apiError(out).message)}
${table(req, cols, rows, { page: out.ok ? out.body : undefined })}`,
    });
  });

  // ───────────────────────── manual entry ─────────────────────────
  const journalForm = async (req: Request, res: Response, o: { values?: any; errors?: Record<string, string>; message?: string; status?: number } = {}) => {
    const t = tr(req);
    const v = o.values ?? {}, e = o.errors ?? {};
    const [funds, accounts] = await Promise.all([fundOptions(req, '—'), accountOptions(req, '—')]);
    const shown = Math.max(2, ...Array.from({ length: JOURNAL_LINES }, (_, i) => (str(v[`l${i}_account`]) || str(v[`l${i}_debit`]) || str(v[`l${i}_credit`]) ? i + 1 : 0)));
    const line = (i: number) => html`<div class="line" data-line${i >= shown ? html` hidden` : ''}>
${field({ name: `l${i}_account`, label: `${t('Account')} ${i + 1}`, value: v[`l${i}_account`], options: accounts, error: e[`lines.${i}.account`] ?? e[`lines.${i}`] })}
${field({ name: `l${i}_fund`, label: `${t('Fund')} ${i + 1}`, value: v[`l${i}_fund`], options: funds, error: e[`lines.${i}.fund`], attrs: 'data-f="fund"' })}
${field({ name: `l${i}_debit`, label: `${t('Debit')} ${i + 1}`, value: v[`l${i}_debit`], error: e[`lines.${i}.debit`], attrs: 'data-f="debit" inputmode="decimal"' })}
${field({ name: `l${i}_credit`, label: `${t('Credit')} ${i + 1}`, value: v[`l${i}_credit`], error: e[`lines.${i}.credit`], attrs: 'data-f="credit" inputmode="decimal"' })}
${field({ name: `l${i}_memo`, label: `${t('Line note')} ${i + 1}`, value: v[`l${i}_memo`] })}
</div>`;
    page(req, res, {
      title: t('Manual entry'),
      status: o.status,
      body: html`<h1>${t('Manual entry')}</h1>${errBox(o.message)}
<form method="post" action="/journal/new" data-journal-form>${csrfField(req)}${idem()}
${field({ name: 'date', label: t('Date'), type: 'date', value: v.date ?? shanghaiDate(), required: true, error: e.date })}
${field({ name: 'description', label: t('Summary'), value: v.description, required: true, error: e.description })}
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
    if (out.ok) return res.redirect(303, `/journal/${out.body.id}?done=posted`);
    await journalForm(req, res, { values: b, errors: fieldErrors(out), message: apiError(out).message, status: out.status });
  });

  // ───────────────────────── one entry: lines, source, reversal; reverse it ─────────────────────────
  const entryPage = async (req: Request, res: Response, o: { values?: any; errors?: Record<string, string>; message?: string; status?: number } = {}) => {
    const t = tr(req), lang = langOf(req);
    const id = Number(req.params.id);
    const [out, names] = await Promise.all([callApi(req, 'GET', `/journal-entries/${id}`), accountNames(req)]);
    if (!out.ok) return errorPage(req, res, out.status, apiError(out).message);
    const e = out.body;
    const lines: any[] = e.lines ?? [];
    const [reversedBy, reverses] = await Promise.all([
      e.reversedById ? callApi(req, 'GET', `/journal-entries/${e.reversedById}`) : Promise.resolve(null),
      e.reversesId ? callApi(req, 'GET', `/journal-entries/${e.reversesId}`) : Promise.resolve(null),
    ]);
    const fundLink = (code: string) => html`<a href="/fund-tree/${encodeURIComponent(code)}">${code}</a>`;
    const funds = [...new Set(lines.map((l) => l.fund))];
    const total = sumOf(lines.map((l) => l.debit));
    const line = (acct: string, side: 'debit' | 'credit') => lines.find((l) => l.account === acct && l[side]);
    // What was just done, read back from the stored entry (nothing is carried in the address but the kind).
    let flash: Html | undefined;
    const head = html`${t('Entry')} <strong>${e.number}</strong> · ${t('Date')} ${e.date}`;
    switch (str(req.query.done)) {
      case 'posted':
        flash = html`${t('Posted')}: ${head} · ${t('Total')} ¥${amt(total)} · ${t('Funds')} ${funds.map((c, i) => html`${i ? '、' : ''}${fundLink(c)}`)}`;
        break;
      case 'donation': {
        const l = line('1002', 'debit');
        flash = html`${t('Donation recorded')}: ${head} · ${t('Amount')} ¥${amt(l?.debit)} · ${t('Fund')} ${l ? fundLink(l.fund) : ''}`;
        break;
      }
      case 'allocation': {
        const from = line('5402', 'debit'), to = line('4902', 'credit');
        flash = html`${t('Allocation recorded')}: ${head} · ${t('Amount')} ¥${amt(from?.debit)} · ${from ? fundLink(from.fund) : ''} → ${to ? fundLink(to.fund) : ''}`;
        break;
      }
      case 'reversed':
        flash = html`${t('Reversed')}: ${reverses?.ok ? html`<a href="/journal/${e.reversesId}">${reverses.body.number}</a>` : ''} → ${t('reversal entry')} ${head}`;
        break;
    }
    const canReverse = hasRole(req, 'finance') && !e.reversedById && e.source !== 'reversal';
    const v = o.values ?? {}, er = o.errors ?? {};
    page(req, res, {
      title: `${t('Entry')} ${e.number}`,
      status: o.status,
      flash: flash ? (flash as unknown as string) : undefined,
      body: html`<h1>${t('Entry')} ${e.number}</h1>
<dl class="facts">
<dt>${t('Number')}</dt><dd id="entry-number">${e.number}</dd>
<dt>${t('Date')}</dt><dd>${e.date}</dd>
<dt>${t('Summary')}</dt><dd>${recorded(e.description)}</dd>
<dt>${t('Source')}</dt><dd id="entry-source">${label(lang, SOURCE, e.source)}${e.sourceRef ? ` · ${e.sourceRef}` : ''}</dd>
<dt>${t('Status')}</dt><dd id="entry-status">${e.reversedById
  ? html`${t('Reversed')} · <a href="/journal/${e.reversedById}">${reversedBy?.ok ? reversedBy.body.number : `#${e.reversedById}`}</a>`
  : e.reversesId ? html`${t('Reversal of')} <a href="/journal/${e.reversesId}">${reverses?.ok ? reverses.body.number : `#${e.reversesId}`}</a>` : t('Posted')}</dd>
<dt>${t('Posted by')}</dt><dd>${e.createdBy} · ${fmtTime(e.createdAt)}</dd>
</dl>
<h2>${t('Lines')}</h2>
${table(req, [
  { head: '#', cell: (l: any) => l.lineNo, num: true },
  { head: t('Account'), cell: (l: any) => `${l.account} ${names.get(l.account) ?? ''}`.trim() },
  { head: t('Fund'), cell: (l: any) => fundLink(l.fund) },
  { head: t('Debit'), cell: (l: any) => amt(l.debit), num: true },
  { head: t('Credit'), cell: (l: any) => amt(l.credit), num: true },
  { head: t('Line note'), cell: (l: any) => html`${recorded(l.memo)}${l.aidCaseId ? html` <a href="/cases/${l.aidCaseId}">${t('Aid case')} #${l.aidCaseId}</a>` : ''}` },
], lines, { csv: false })}
<p class="totals">${t('Total')}: ${t('Debit')} ¥${amt(total)} = ${t('Credit')} ¥${amt(sumOf(lines.map((l) => l.credit)))}</p>
<p class="actions"><a href="/journal">${t('Back to the journal')}</a>${funds.map((c) => html` · <a href="/journal${qs({ fund: c })}">${t('Journal')} ${c}</a>`)}</p>
${canReverse ? html`<h2 id="h-reverse">${t('Reverse this entry')}</h2>${errBox(o.message)}
<p class="hint">${t('A reversal posts a new entry with every debit and credit swapped, once only. In a closed month it is dated the first day of the first open month.')}</p>
<form method="post" action="/journal/${e.id}/reverse" class="grid" aria-labelledby="h-reverse">${csrfField(req)}${idem()}
${field({ name: 'date', label: t('Reversal date'), type: 'date', value: v.date ?? shanghaiDate(), required: true, error: er.date })}
${field({ name: 'reason', label: t('Reason'), value: v.reason, required: true, error: er.reason, attrs: 'maxlength="500"' })}
<div class="wide">${field({ name: 'confirm', label: fill(t('I have checked: reverse entry {number} (¥{amount})'), { number: e.number, amount: amt(total) }), type: 'checkbox', required: true, error: er.confirm })}</div>
<p class="wide"><button type="submit">${t('Reverse')}</button></p></form>` : ''}`,
    });
  };
  r.get('/journal/:id', needUser(...BOOKS), (req, res, next) => (/^\d{1,15}$/.test(String(req.params.id)) ? entryPage(req, res) : next()));
  r.post('/journal/:id/reverse', needUser('finance'), async (req, res, next) => {
    if (!/^\d{1,15}$/.test(String(req.params.id))) return next();
    const t = tr(req);
    if (req.body.confirm !== 'true') return entryPage(req, res, { values: req.body, errors: { confirm: t('Tick the box to confirm the reversal.') }, message: t('Nothing was reversed: please confirm.'), status: 400 });
    const out = await callApi(req, 'POST', `/journal-entries/${Number(req.params.id)}/reverse`, {
      body: { date: str(req.body.date) || undefined, reason: str(req.body.reason) }, idempotencyKey: str(req.body.idempotencyKey) || undefined,
    });
    if (out.ok) return res.redirect(303, `/journal/${out.body.id}?done=reversed`);
    await entryPage(req, res, { values: req.body, errors: fieldErrors(out), message: apiError(out).message, status: out.status });
  });

  // ───────────────────────── donations and allocations ─────────────────────────
  const simpleForm = (path: string, title: string, render: (req: Request, v: any, e: Record<string, string>) => Promise<Html>, toBody: (b: any) => unknown, apiPath: string, done: string) => {
    const show = async (req: Request, res: Response, o: { values?: any; errors?: Record<string, string>; message?: string; status?: number } = {}) =>
      page(req, res, { title: tr(req)(title), status: o.status, body: html`<h1>${tr(req)(title)}</h1>${errBox(o.message)}<form method="post" action="${path}" class="grid">${csrfField(req)}${idem()}${await render(req, o.values ?? {}, o.errors ?? {})}<p class="wide"><button type="submit">${tr(req)('Save')}</button></p></form>` });
    r.get(path, needUser('finance'), (req, res) => show(req, res));
    r.post(path, needUser('finance'), async (req, res) => {
      const out = await callApi(req, 'POST', apiPath, { body: toBody(req.body), idempotencyKey: str(req.body.idempotencyKey) || undefined });
      if (out.ok) return res.redirect(303, `/journal/${out.body.entryId ?? out.body.id}?done=${done}`);
      await show(req, res, { values: req.body, errors: fieldErrors(out), message: apiError(out).message, status: out.status });
    });
  };
  simpleForm('/donations/new', 'Record a donation', async (req, v, e) => {
    const t = tr(req);
    return html`${field({ name: 'fund', label: t('Fund'), value: v.fund, required: true, options: await fundOptions(req, t('Choose…')), error: e.fund })}
${field({ name: 'amount', label: `${t('Amount')} (¥)`, value: v.amount, required: true, error: e.amount, attrs: 'inputmode="decimal"' })}
${field({ name: 'date', label: t('Date'), type: 'date', value: v.date ?? shanghaiDate(), required: true, error: e.date })}
${field({ name: 'donorName', label: t('Donor'), value: v.donorName, error: e['donor.name'], hint: t('Required unless anonymous') })}
${field({ name: 'donorKind', label: t('Donor type'), value: v.donorKind, options: [['individual', t('Individual')], ['organization', t('Organization')]], error: e['donor.kind'] })}
${field({ name: 'anonymous', label: t('Anonymous'), type: 'checkbox', value: v.anonymous === 'true' })}
${field({ name: 'restricted', label: t('Restriction'), value: v.restricted, options: [['', t('As the fund is')], ['true', t('Restricted (限定性)')], ['false', t('Unrestricted (非限定性)')]], error: e.restricted })}
${field({ name: 'purpose', label: t('Purpose'), value: v.purpose, error: e.purpose, attrs: 'maxlength="500"', hint: t('What the donor gave it for, if restricted') })}
${field({ name: 'reference', label: t('Reference (bank slip or receipt no.)'), value: v.reference, error: e.reference, attrs: 'maxlength="100"' })}`;
  }, (b) => ({
    fund: str(b.fund), amount: str(b.amount), date: str(b.date),
    donor: { name: str(b.donorName) || null, kind: str(b.donorKind), anonymous: b.anonymous === 'true' },
    ...(b.restricted === 'true' || b.restricted === 'false' ? { restricted: b.restricted === 'true' } : {}),
    ...(str(b.purpose) ? { purpose: str(b.purpose) } : {}),
    ...(str(b.reference) ? { reference: str(b.reference) } : {}),
  }), '/donations', 'donation');
  simpleForm('/allocations/new', 'Record an allocation', async (req, v, e) => {
    const t = tr(req);
    const funds = await fundOptions(req, t('Choose…'));
    return html`${field({ name: 'fromFund', label: t('From fund'), value: v.fromFund, required: true, options: funds, error: e.fromFund })}
${field({ name: 'toFund', label: t('To fund'), value: v.toFund, required: true, options: funds, error: e.toFund })}
${field({ name: 'amount', label: `${t('Amount')} (¥)`, value: v.amount, required: true, error: e.amount, attrs: 'inputmode="decimal"' })}
${field({ name: 'date', label: t('Date'), type: 'date', value: v.date ?? shanghaiDate(), required: true, error: e.date })}
${field({ name: 'purpose', label: t('Purpose'), value: v.purpose, required: true, error: e.purpose })}`;
  }, (b) => ({ fromFund: str(b.fromFund), toFund: str(b.toFund), amount: str(b.amount), date: str(b.date), purpose: str(b.purpose) }), '/allocations', 'allocation');

  r.get('/payments', needUser('finance'), async (req, res) => {
    const t = tr(req);
    const out = await callApi(req, 'GET', `/aid-cases${qs({ status: 'payable', limit: wantsCsv(req) ? 500 : 50, cursor: str(req.query.cursor) })}`);
    const items: any[] = out.ok ? out.body.items : [];
    const cols = caseColumns(req);
    if (wantsCsv(req)) return sendCsv(res, 'payable', cols, items);
    page(req, res, { title: t('Payments'), body: html`<h1>${t('Payable cases')}</h1>${out.ok ? '' : errBox(apiError(out).message)}${table(req, cols, items, { nextCursor: out.ok ? out.body.nextCursor : null })}` });
  });

  // ───────────────────────── periods: close month by month, confirmed ─────────────────────────
  /** The one month that may be closed now: the first open one, if it has ended (else null). */
  const closable = (body: any): string | null => {
    const items: any[] = body?.items ?? [];
    const firstOpen: string | null = body?.firstOpen ?? items.find((p) => p.status === 'open')?.period ?? null;
    return firstOpen && firstOpen < month(shanghaiDate()) ? firstOpen : null;
  };
  const periodsPage = async (req: Request, res: Response, message?: string, status?: number) => {
    const t = tr(req);
    const out = await callApi(req, 'GET', '/periods');
    if (!out.ok) return errorPage(req, res, out.status, apiError(out).message);
    const items: any[] = out.body.items;
    const now = month(shanghaiDate());
    const next = closable(out.body);
    const firstOpen: string | null = out.body.firstOpen ?? items.find((p) => p.status === 'open')?.period ?? null;
    const canClose = hasRole(req, 'finance');
    const cols: Column<any>[] = [
      { head: t('Period'), cell: (p) => html`<a href="/journal${qs({ from: `${p.period}-01`, to: lastDay(p.period) })}">${p.period}</a>`, export: (p) => p.period },
      { head: t('Status'), cell: (p) => (p.status === 'closed' ? t('Closed') : t('Open period')) },
      { head: t('Closed by'), cell: (p) => (p.closedBy ? `${p.closedBy} · ${fmtTime(p.closedAt)}` : '') },
      {
        head: t('Action'),
        cell: (p) => (p.status === 'closed' ? ''
          : p.period === next && canClose ? html`<a class="button" href="/periods/${p.period}/close">${t('Close')} ${p.period}…</a>`
          : p.period >= now ? html`<span class="hint">${t('Not ended yet')}</span>`
          : firstOpen && p.period > firstOpen ? html`<span class="hint">${fill(t('Close {month} first'), { month: firstOpen })}</span>` : ''),
        export: () => '',
      },
    ];
    if (wantsCsv(req)) return sendCsv(res, 'periods', cols, items);
    const done = str(req.query.done) === 'closed' && /^\d{4}-\d{2}$/.test(str(req.query.period)) ? str(req.query.period) : '';
    page(req, res, {
      title: t('Periods'),
      status,
      flash: done ? fill(t('{month} is closed: it takes no more postings.'), { month: done }) : undefined,
      body: html`<h1>${t('Periods')}</h1>${errBox(message)}
<p class="hint">${t('Months are closed one by one, oldest first, once they have ended.')}</p>
${table(req, cols, items)}`,
    });
  };
  r.get('/periods', needUser(...BOOKS), (req, res) => periodsPage(req, res));
  const confirmClose = async (req: Request, res: Response, o: { error?: string; message?: string; status?: number } = {}) => {
    const t = tr(req);
    const period = String(req.params.period);
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) return errorPage(req, res, 404, t('Page not found'));
    const [periods, entries] = await Promise.all([
      callApi(req, 'GET', '/periods'),
      callApi(req, 'GET', `/journal-entries${qs({ from: `${period}-01`, to: lastDay(period), limit: 500 })}`),
    ]);
    const next = periods.ok ? closable(periods.body) : null;
    const count = entries.ok ? `${entries.body.items.length}${entries.body.nextCursor ? '+' : ''}` : '?';
    page(req, res, {
      title: `${t('Close')} ${period}`,
      status: o.status,
      body: html`<h1>${t('Close the month')} ${period}</h1>${errBox(o.message)}
${next !== period ? html`<p class="error" role="alert">${t('This month cannot be closed now: only the first open month, once it has ended.')}${next ? html` <a href="/periods/${next}/close">${t('Close')} ${next}</a>` : ''}</p>` : html`
<div class="confirm">
<p>${t('Closing is final. After it:')}</p>
<ul>
<li>${fill(t('no entry, donation, allocation or payment can be dated in {month};'), { month: period })}</li>
<li>${t('a reversal of an entry of this month is dated the first day of the next open month;')}</li>
<li>${t('the month cannot be reopened.')}</li>
</ul>
<p>${t('Entries in the month')}: <a href="/journal${qs({ from: `${period}-01`, to: lastDay(period) })}">${count}</a> · <a href="/books/trial-balance${qs({ asOf: lastDay(period) })}">${t('Trial balance')} ${lastDay(period)}</a> · <a href="/reconciliation">${t('Bank reconciliation')}</a></p>
</div>
<form method="post" action="/periods/${period}/close">${csrfField(req)}
${field({ name: 'confirm', label: fill(t('I have checked the entries and the bank reconciliation of {month} and close it'), { month: period }), type: 'checkbox', required: true, error: o.error })}
<p><button type="submit">${t('Close')} ${period}</button> <a href="/periods">${t('Cancel')}</a></p>
</form>`}`,
    });
  };
  r.get('/periods/:period/close', needUser('finance'), (req, res) => confirmClose(req, res));
  r.post('/periods/:period/close', needUser('finance'), async (req, res) => {
    const t = tr(req);
    const period = String(req.params.period);
    if (req.body.confirm !== 'true') return confirmClose(req, res, { error: t('Tick the box to confirm.'), message: t('Nothing was closed: please confirm.'), status: 400 });
    const out = await callApi(req, 'POST', `/periods/${encodeURIComponent(period)}/close`, { body: {} });
    if (out.ok) return res.redirect(303, `/periods${qs({ done: 'closed', period: out.body.period })}`);
    await confirmClose(req, res, { message: apiError(out).message, status: out.status });
  });

  // ───────────────────────── bank reconciliation: statements, upload, matching, close ─────────────────────────
  const reconList = async (req: Request, res: Response, o: { values?: any; errors?: Record<string, string>; message?: string; status?: number; preview?: any } = {}) => {
    const t = tr(req), lang = langOf(req);
    const v = o.values ?? {}, e = o.errors ?? {};
    const f = { fund: str(req.query.fund), status: str(req.query.status), q: str(req.query.q) };
    // The API filters by fund; status and the text search are applied here to a larger page.
    // The API filters by fund and status; the text search is applied here, to a page of up to 500.
    const narrowed = !!(f.status || f.q);
    const out = await callApi(req, 'GET', `/bank-statements${qs({ ...listParams(req, f.q || wantsCsv(req) ? 500 : 50), ...(f.q ? { withTotal: '' } : {}), fund: f.fund, status: f.status })}`);
    const needle = f.q.toLowerCase();
    const items: any[] = (out.ok ? out.body.items : []).filter((s: any) =>
      (!needle || [String(s.id), s.fund, s.account, s.bank, s.periodFrom, s.periodTo, s.importedBy, s.openingBalance, s.closingBalance].some((x) => typeof x === 'string' && x.toLowerCase().includes(needle))));
    const cols: Column<any>[] = [
      { head: '#', cell: (s) => html`<a href="/reconciliation/${s.id}">${s.id}</a>`, export: (s) => s.id, sort: 'id' },
      { head: t('Fund'), cell: (s) => s.fund, export: (s) => s.fund, sort: 'fund' },
      { head: t('Period'), cell: (s) => `${s.periodFrom} – ${s.periodTo}`, sort: 'periodFrom' },
      { head: t('Bank account'), cell: (s) => [s.bank, s.account].filter(Boolean).join(' · ') },
      { head: t('Opening balance'), cell: (s) => amt(s.openingBalance), export: (s) => s.openingBalance, num: true },
      { head: t('Closing balance'), cell: (s) => amt(s.closingBalance), export: (s) => s.closingBalance, num: true, sort: 'closingBalance' },
      { head: t('Line count'), cell: (s) => s.lineCount, num: true },
      { head: t('Status'), cell: (s) => html`<span class="badge ${s.status === 'closed' ? 's-paid' : 's-open'}">${label(lang, RECON_STATUS, s.status)}</span>`, export: (s) => label(lang, RECON_STATUS, s.status), sort: 'status' },
      { head: t('Imported'), cell: (s) => `${s.importedBy ?? ''} · ${fmtTime(s.importedAt)}`, sort: 'importedAt' },
      { head: t('Completed'), cell: (s) => (s.closedAt ? `${s.closedBy ?? ''} · ${fmtTime(s.closedAt)}` : '') },
    ];
    if (wantsCsv(req)) return sendCsv(res, 'bank-statements', cols, items);
    const canWrite = hasRole(req, 'finance');
    const profiles = canWrite ? await callApi(req, 'GET', '/bank-import-profiles?limit=200') : { ok: false, body: {} };
    const profileOptions: [string, string][] = [['', t('Detect automatically')], ...((profiles.ok ? profiles.body.items : []) as any[]).map((p) => [String(p.id), `${p.name}${p.fund ? ` · ${p.fund}` : ''}`] as [string, string])];
    const funds = await fundOptions(req, t('Choose…'));
    const pv = o.preview;
    const previewBox = pv ? html`<section class="wide preview" aria-labelledby="preview-h"><h3 id="preview-h">${t('Preview')}</h3>
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
    const filterFunds = funds.map(([c, l], i) => (i === 0 ? ['', t('All')] : [c, l]) as [string, string]);
    page(req, res, {
      title: t('Bank reconciliation'),
      status: o.status,
      body: html`<h1>${t('Bank reconciliation')}</h1>
<form method="get" action="/reconciliation" class="filters" role="search">
${field({ name: 'q', label: t('Search'), value: f.q, type: 'search', hint: t('Statement no., fund, bank, account, date'), attrs: 'maxlength="100"' })}
${field({ name: 'fund', label: t('Fund'), value: f.fund, options: filterFunds })}
${field({ name: 'status', label: t('Status'), value: f.status, options: [['', t('All')], ['open', label(lang, RECON_STATUS, 'open')], ['closed', label(lang, RECON_STATUS, 'closed')]] })}
<button type="submit">${t('Filter')}</button>${f.fund || narrowed ? html` <a href="/reconciliation">${t('Reset')}</a>` : ''}
</form>
${out.ok ? table(req, cols, items, { page: f.q ? { nextCursor: out.body.nextCursor, total: out.body.nextCursor ? undefined : items.length } : out.body }) : errBox(apiError(out).message)}
${canWrite ? html`<h2>${t('Upload a bank statement')}</h2>${errBox(o.message)}
<form method="post" action="/reconciliation/upload" class="grid">${csrfField(req)}
${field({ name: 'statementFund', label: t('Fund'), value: v.statementFund, required: true, options: funds, error: e.fund })}
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
    // The upload's fund is "statementFund" on the page (the list's filter above it is "fund").
    for (const k of ['fund', 'periodFrom', 'periodTo', 'openingBalance', 'closingBalance']) {
      const val = str(k === 'fund' ? b.statementFund : b[k]);
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
    if (out.ok) return res.redirect(303, `/reconciliation/${out.body.id}?done=imported`);
    await reconList(req, res, { values: req.body, errors: fieldErrors(out), message: apiError(out).message, status: out.status });
  });

  const matchScreen = async (req: Request, res: Response, o: { message?: string; status?: number; confirmError?: string } = {}) => {
    const t = tr(req), lang = langOf(req);
    const id = Number(req.params.id);
    const [st, rep] = await Promise.all([callApi(req, 'GET', `/bank-statements/${id}`), callApi(req, 'GET', `/bank-statements/${id}/reconciliation`)]);
    if (!st.ok) return errorPage(req, res, st.status, apiError(st).message);
    const s = st.body, rp = rep.ok ? rep.body : {};
    const ex = rp.explained ?? {};
    const lines: any[] = s.lines?.items ?? [];
    const closed = s.status === 'closed';
    const canWrite = hasRole(req, 'finance') && !closed;
    const post = (action: string, text: string) => html`<form method="post" action="/reconciliation/${id}/${action}" class="inline">${csrfField(req)}<button type="submit">${text}</button></form>`;
    // What was just done.
    const done = str(req.query.done), n = (k: string) => (/^\d{1,9}$/.test(str(req.query[k])) ? Number(req.query[k]) : null);
    let flash: Html | undefined;
    if (done === 'imported') flash = html`${fill(t('Statement imported: #{id} · {fund} · {from} – {to} · {n} lines'), { id, fund: s.fund, from: s.periodFrom, to: s.periodTo, n: s.lineCount })} · ${t('Closing balance')} ¥${amt(s.closingBalance)}`;
    else if (done === 'auto') flash = html`${fill(t('Auto-match: {n} lines matched'), { n: n('n') ?? 0 })}${n('amb') ? html` · ${fill(t('{n} left for you (several candidates)'), { n: n('amb')! })}` : ''}`;
    else if (done === 'matched' && n('m')) {
      const m = await callApi(req, 'GET', `/reconciliation/matches/${n('m')}`);
      flash = m.ok
        ? html`${fill(t('Matched #{id}: {sn} statement lines ¥{sa} ↔ {ln} ledger lines ¥{la}'), { id: m.body.id, sn: m.body.statementLines.length, sa: amt(sumOf(m.body.statementLines.map((l: any) => l.amount))), ln: m.body.ledgerLines.length, la: amt(sumOf(m.body.ledgerLines.map((l: any) => l.amount))) })}`
        : html`${t('Matched')} #${n('m')}`;
    } else if (done === 'unmatched' && n('m')) flash = html`${t('Match undone')}: #${n('m')}`;
    else if (done === 'closed') flash = html`${t('Reconciliation closed')}: #${id} · ${s.fund} · ${s.periodTo}`;
    const entryLink = (l: any) => (l.entryNumber ? html` · <a href="/journal${qs({ q: l.entryNumber })}">${l.entryNumber}</a>` : '');
    const itemList = (xs: any[]) => (xs?.length ? html`<ul class="items">${xs.map((l: any) => html`<li>${l.date} · ¥${amt(l.amount)} · ${l.description ?? ''}${entryLink(l)}</li>`)}</ul>` : '');
    page(req, res, {
      title: `${t('Statement')} ${id}`,
      status: o.status,
      flash: flash as unknown as string | undefined,
      body: html`<h1>${t('Statement')} #${id} · ${s.fund}</h1>${errBox(o.message)}
<p id="recon-state"><span class="badge ${closed ? 's-paid' : 's-open'}">${label(lang, RECON_STATUS, s.status)}</span>${closed ? html` · ${s.closedBy ?? ''} · ${fmtTime(s.closedAt)} · ${t('A closed reconciliation cannot change.')}` : ''}</p>
<dl class="facts">
<dt>${t('Fund')}</dt><dd><a href="/fund-tree/${encodeURIComponent(s.fund)}">${s.fund}</a></dd>
<dt>${t('Period')}</dt><dd>${s.periodFrom} – ${s.periodTo}</dd>
<dt>${t('Imported')}</dt><dd>${s.importedBy ?? ''} · ${fmtTime(s.importedAt)}${s.bank ? ` · ${s.bank}` : ''}${s.account ? ` · ${s.account}` : ''}</dd>
<dt>${t('Opening balance')}</dt><dd class="num">${amt(s.openingBalance)}</dd>
<dt>${t('Matched total')}</dt><dd class="num">${amt(rp.matchedTotal)}</dd>
</dl>
<h2 id="h-diff">${t('Difference explained')}</h2>
<dl class="facts" id="recon-explained" aria-labelledby="h-diff">
<dt>${t('Statement closing balance')}</dt><dd class="num">${amt(rp.statementClosingBalance ?? s.closingBalance)}</dd>
<dt>${t('Ledger balance (1002) at period end')}</dt><dd class="num">${amt(rp.ledgerBalance)}</dd>
<dt>${t('Difference (statement − ledger)')}</dt><dd class="num" id="recon-difference">${amt(rp.difference)}</dd>
<dt>${t('In transit: in the ledger, not yet at the bank')}</dt><dd class="num" id="recon-in-transit">${amt(ex.ledgerItemsNotInBank)}${itemList(rp.unmatchedLedgerLines)}</dd>
<dt>${t('At the bank, booked in the ledger later')}</dt><dd class="num" id="recon-booked-later">${amt(ex.bankItemsBookedLater)}${itemList(ex.bookedLaterLines)}</dd>
<dt>${t('At the bank, not in the ledger (to book or match)')}</dt><dd class="num" id="recon-bank-only">${amt(ex.bankItemsNotInLedger)}</dd>
<dt>${t('Other (opening balance, a missing statement)')}</dt><dd class="num">${amt(ex.other)}</dd>
<dt>${t('Unexplained difference')}</dt><dd class="num" id="recon-unexplained"><strong>${amt(rp.unexplainedDifference)}</strong></dd>
</dl>
${canWrite ? html`<h2 id="h-actions">${t('Actions')}</h2><p class="actions">${post('auto-match', t('Auto-match'))}</p>
${rp.canClose ? html`<form method="post" action="/reconciliation/${id}/close" class="confirm">${csrfField(req)}
<p>${t('Closing records that the statement agrees with the ledger. After it, no line of this statement can be matched or unmatched.')}</p>
${field({ name: 'confirm', label: fill(t('I have checked: the difference of ¥{amount} is fully explained; close the reconciliation of statement #{id}'), { amount: amt(rp.difference), id }), type: 'checkbox', required: true, error: o.confirmError })}
<p><button type="submit">${t('Close reconciliation')}</button></p></form>`
  : html`<p class="hint" id="recon-cannot-close">${fill(t('Cannot close yet: an unexplained difference of ¥{amount} remains. Match the lines, or book the missing items in the journal, first.'), { amount: amt(rp.unexplainedDifference) })}</p>`}` : ''}
<h2>${t('Statement lines')}</h2>
${table(req, [
  { head: t('Date'), cell: (l: any) => l.date }, { head: t('Amount'), cell: (l: any) => amt(l.amount), num: true },
  { head: t('Summary'), cell: (l: any) => l.description ?? '' },
  { head: t('Counterparty'), cell: (l: any) => l.counterparty ?? '' },
  { head: t('Match'), cell: (l: any) => (l.matchId ? html`#${l.matchId} ${canWrite ? html`<form method="post" action="/reconciliation/${id}/unmatch/${l.matchId}" class="inline">${csrfField(req)}<button type="submit" class="secondary" aria-label="${t('Unmatch')} #${l.matchId}">${t('Unmatch')}</button></form>` : ''}` : l.information ? t('information line') : '—') },
], lines, { csv: false })}
${canWrite ? html`<h2>${t('Match by hand')}</h2>
<form method="post" action="/reconciliation/${id}/match" data-match-form>${csrfField(req)}
<div class="cards"><fieldset><legend>${t('Statement lines')}</legend>
${(rp.unmatchedStatementLines ?? []).map((l: any) => html`<div class="field check"><input type="checkbox" id="sl-${l.id}" name="statementLineIds" value="${l.id}" data-amount="${l.amount}"> <label for="sl-${l.id}">${l.date} · ${amt(l.amount)} · ${l.description ?? ''}</label></div>`)}
</fieldset><fieldset><legend>${t('Ledger lines')}</legend>
${(rp.unmatchedLedgerLines ?? []).map((l: any) => html`<div class="field check"><input type="checkbox" id="ll-${l.id}" name="ledgerLineIds" value="${l.id}" data-amount="${l.amount}"> <label for="ll-${l.id}">${l.date} · ${amt(l.amount)} · ${l.description ?? ''}${l.entryNumber ? ` · ${l.entryNumber}` : ''}</label></div>`)}
</fieldset></div>
<p>${t('Selected difference')}: <output data-selected-diff>0.00</output></p>
<p><button type="submit">${t('Match')}</button></p></form>` : ''}`,
    });
  };
  r.get('/reconciliation/:id', needUser(...BOOKS), (req, res, next) => (/^\d{1,15}$/.test(String(req.params.id)) ? matchScreen(req, res) : next()));
  const ids = (v: unknown) => ([] as unknown[]).concat(v ?? []).map((x) => Number(x)).filter((n) => Number.isInteger(n) && n > 0);
  const reconAction = (path: string, call: (req: Request) => Promise<any>, done: (req: Request, body: any) => Record<string, unknown>, guard?: (req: Request) => string | null) =>
    r.post(path, needUser('finance'), async (req, res) => {
      const refused = guard?.(req);
      if (refused) return matchScreen(req, res, { message: refused, confirmError: refused, status: 400 });
      const out = await call(req);
      if (out.ok) return res.redirect(303, `/reconciliation/${Number(req.params.id)}${qs(done(req, out.body))}`);
      await matchScreen(req, res, { message: apiError(out).message, status: out.status });
    });
  reconAction('/reconciliation/:id/auto-match', (req) => callApi(req, 'POST', `/bank-statements/${Number(req.params.id)}/auto-match`, { body: {} }),
    (_req, b) => ({ done: 'auto', n: b.matched ?? 0, amb: b.ambiguous?.length ?? 0 }));
  reconAction('/reconciliation/:id/close', (req) => callApi(req, 'POST', `/bank-statements/${Number(req.params.id)}/close`, { body: {} }),
    () => ({ done: 'closed' }), (req) => (req.body.confirm === 'true' ? null : tr(req)('Nothing was closed: tick the box to confirm.')));
  reconAction('/reconciliation/:id/match', (req) => callApi(req, 'POST', '/reconciliation/matches', { body: { statementLineIds: ids(req.body.statementLineIds), ledgerLineIds: ids(req.body.ledgerLineIds) } }),
    (_req, b) => ({ done: 'matched', m: b.id }));
  reconAction('/reconciliation/:id/unmatch/:mid', (req) => callApi(req, 'DELETE', `/reconciliation/matches/${Number(req.params.mid)}`),
    (req) => ({ done: 'unmatched', m: Number(req.params.mid) }));
}

/** The last calendar day of a month YYYY-MM. */
export function lastDay(period: string): string {
  const [y, m] = period.split('-').map(Number);
  return new Date(Date.UTC(y!, m!, 0)).toISOString().slice(0, 10);
}

