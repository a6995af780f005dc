import type { Request, Response, Router } from 'express';
import { apiError, callApi, fieldErrors, qs, type ApiResult } from '../api';
import { html, raw, type Html } from '../html';
import { field, langOf, needUser, page, sendCsv, str, tr, wantsCsv, type Column } from '../view';
import { shanghaiDate } from '../../platform/clock';
import { amt, errBox, fill } from './finance';
import { fundOptions } from './aid';

/**
 * The financial statements of the books (民间非营利组织会计制度): trial balance (科目余额表), statement of
 * financial position (资产负债表) and statement of activities (业务活动表). Consolidated (all funds) or one
 * fund, with or without the funds below it. Figures are the API's, shown with separators, exported as CSV.
 */
const BOOKS = ['finance', 'auditor'];
const TABS: [string, string][] = [['/books/trial-balance', 'Trial balance'], ['/books/financial-position', 'Statement of financial position'], ['/books/activities', 'Statement of activities']];

interface Row { section?: string; account: string; name: string; fund?: string; debit?: string; credit?: string; amount?: string; total?: boolean }

/** A statement table: header, body, and the totals in a <tfoot>; amounts right-aligned. */
function sheet(req: Request, columns: Column<Row>[], rows: Row[], opts: { caption?: string; id?: string } = {}): Html {
  const t = tr(req);
  const body = rows.filter((r) => !r.total), foot = rows.filter((r) => r.total);
  const tr_ = (r: Row, total: boolean) => html`<tr>${columns.map((c) => html`<td${c.num ? raw(' class="num"') : ''}>${total ? html`<strong>${c.cell(r)}</strong>` : c.cell(r)}</td>`)}</tr>`;
  return html`<div class="table-wrap"><table${opts.id ? html` id="${opts.id}"` : ''}>${opts.caption ? html`<caption>${opts.caption}</caption>` : ''}
<thead><tr>${columns.map((c) => html`<th scope="col"${c.num ? raw(' class="num"') : ''}>${c.head}</th>`)}</tr></thead>
<tbody>${body.length ? body.map((r) => tr_(r, false)) : html`<tr><td colspan="${columns.length}">${t('No records.')}</td></tr>`}</tbody>
${foot.length ? html`<tfoot>${foot.map((r) => tr_(r, true))}</tfoot>` : ''}
</table></div>`;
}

function tabs(req: Request): Html {
  const t = tr(req);
  const keep = qs({ fund: str(req.query.fund), subtree: str(req.query.subtree) });
  return html`<nav class="pager tabs" aria-label="${t('Financial statements')}">${TABS.map(([href, key]) => (req.path === href ? html`<strong><a href="${href}${keep}" aria-current="page">${t(key)}</a></strong>` : html`<a href="${href}${keep}">${t(key)}</a>`))}</nav>`;
}

async function filterForm(req: Request, dates: Html, errors: Record<string, string>): Promise<Html> {
  const t = tr(req);
  return html`<form method="get" action="${req.path}" class="filters">
${dates}
${field({ name: 'fund', label: t('Fund'), value: str(req.query.fund), options: await fundOptions(req, t('All funds (consolidated)')), error: errors.fund })}
${field({ name: 'subtree', label: t('Include the funds below it'), type: 'checkbox', value: str(req.query.subtree) === 'true', error: errors.subtree })}
<button type="submit">${t('Show')}</button>
</form>`;
}

/** The scope of the figures, in words. */
function scopeOf(req: Request): string {
  const t = tr(req);
  const fund = str(req.query.fund);
  if (!fund) return t('All funds, consolidated (transfers between funds eliminated)');
  return fill(t(str(req.query.subtree) === 'true' ? 'Fund {fund} and the funds below it (consolidated)' : 'Fund {fund} alone'), { fund });
}

const apiQuery = (req: Request, extra: Record<string, string>) => {
  const fund = str(req.query.fund);
  return qs({ ...extra, fund, subtree: fund && str(req.query.subtree) === 'true' ? 'true' : '' });
};

async function render(req: Request, res: Response, o: { key: string; out: ApiResult; dates: Html; body: () => Html; export: () => void }) {
    const t = tr(req);
    if (o.out.ok && wantsCsv(req)) return o.export();
    const errors = o.out.ok ? {} : fieldErrors(o.out);
    const exportHref = (format: string) => `${req.path}${qs({ ...(req.query as Record<string, unknown>), format })}`;
    page(req, res, {
      title: t(o.key),
      status: o.out.ok ? 200 : o.out.status,
      body: html`<h1>${t(o.key)}</h1>
${tabs(req)}
${await filterForm(req, o.dates, errors)}
${o.out.ok ? html`<p class="scope" id="statement-scope">${scopeOf(req)} · ${t('Amounts in yuan (¥)')}</p>
${o.body()}
<p class="pager"><a class="csv" href="${exportHref('csv')}" download>${t('Export CSV')}</a> <a class="xlsx" href="${exportHref('xlsx')}" download>${t('Export Excel')}</a></p>` : errBox(apiError(o.out).message)}`,
    });
}

const nameOf = (req: Request, r: { nameZh?: string; nameEn?: string; accountNameZh?: string; accountNameEn?: string }) =>
  langOf(req) === 'zh' ? (r.nameZh ?? r.accountNameZh ?? '') : (r.nameEn ?? r.accountNameEn ?? '');

export function statementPages(r: Router) {
  r.get('/books', needUser(...BOOKS), (_req, res) => res.redirect(303, '/books/trial-balance'));

  r.get('/books/trial-balance', needUser(...BOOKS), async (req, res) => {
    const t = tr(req);
    const asOf = str(req.query.asOf) || shanghaiDate();
    const out = await callApi(req, 'GET', `/reports/trial-balance${apiQuery(req, { asOf })}`);
    const b = out.body ?? {};
    const rows: Row[] = out.ok ? [
      ...b.rows.map((x: any) => ({ account: x.account, name: nameOf(req, x), fund: x.fund, debit: x.debit, credit: x.credit })),
      { account: t('Total'), name: '', fund: '', debit: b.totals.debit, credit: b.totals.credit, total: true },
    ] : [];
    const cols: Column<Row>[] = [
      { head: t('Account code'), cell: (x) => x.account }, { head: t('Account name'), cell: (x) => x.name }, { head: t('Fund'), cell: (x) => x.fund ?? '' },
      { head: t('Debit balance'), cell: (x) => amt(x.debit), export: (x) => x.debit, num: true },
      { head: t('Credit balance'), cell: (x) => amt(x.credit), export: (x) => x.credit, num: true },
    ];
    await render(req, res, {
      key: 'Trial balance', out,
      dates: field({ name: 'asOf', label: t('As of'), type: 'date', value: asOf, required: true, error: fieldErrors(out).asOf }),
      body: () => html`${sheet(req, cols, rows, { caption: `${t('Trial balance')} · ${t('As of')} ${b.asOf}`, id: 'trial-balance' })}
<p id="tb-balanced" class="${b.totals.debit === b.totals.credit ? 'ok' : 'error'}">${b.totals.debit === b.totals.credit ? t('Debits equal credits.') : t('Debits and credits differ!')}</p>`,
      export: () => sendCsv(res, `trial-balance-${b.asOf}`, cols, rows),
    });
  });

  r.get('/books/financial-position', needUser(...BOOKS), async (req, res) => {
    const t = tr(req);
    const asOf = str(req.query.asOf) || shanghaiDate();
    const out = await callApi(req, 'GET', `/reports/financial-position${apiQuery(req, { asOf })}`);
    const b = out.body ?? {};
    const section = (key: string, items: any[], totalKey: string, total: string): Row[] => [
      ...items.map((x) => ({ section: t(key), account: x.account === 'surplus' ? '' : x.account, name: nameOf(req, x), amount: x.amount })),
      { section: t(key), account: t(totalKey), name: '', amount: total, total: true },
    ];
    const assets = out.ok ? section('Assets', b.assets, 'Total assets', b.totals.assets) : [];
    const liabilities = out.ok ? section('Liabilities', b.liabilities, 'Total liabilities', b.totals.liabilities) : [];
    const netAssets = out.ok ? [...section('Net assets', b.netAssets, 'Total net assets', b.totals.netAssets), { section: t('Net assets'), account: t('Total liabilities and net assets'), name: '', amount: b.totals.liabilitiesAndNetAssets, total: true }] : [];
    const cols: Column<Row>[] = [
      { head: t('Account code'), cell: (x) => x.account }, { head: t('Account name'), cell: (x) => x.name },
      { head: t('Amount'), cell: (x) => amt(x.amount), export: (x) => x.amount, num: true },
    ];
    await render(req, res, {
      key: 'Statement of financial position', out,
      dates: field({ name: 'asOf', label: t('As of'), type: 'date', value: asOf, required: true, error: fieldErrors(out).asOf }),
      body: () => html`<div class="cards statement">
<section aria-labelledby="h-assets"><h2 id="h-assets">${t('Assets')}</h2>${sheet(req, cols, assets, { id: 'fp-assets' })}</section>
<section aria-labelledby="h-liab"><h2 id="h-liab">${t('Liabilities and net assets')}</h2>${sheet(req, cols, liabilities, { caption: t('Liabilities'), id: 'fp-liabilities' })}${sheet(req, cols, netAssets, { caption: t('Net assets'), id: 'fp-net-assets' })}</section>
</div>
<p id="fp-balanced" class="${b.totals.assets === b.totals.liabilitiesAndNetAssets ? 'ok' : 'error'}">${t('Total assets')} ¥${amt(b.totals.assets)} ${b.totals.assets === b.totals.liabilitiesAndNetAssets ? '=' : '≠'} ${t('Total liabilities and net assets')} ¥${amt(b.totals.liabilitiesAndNetAssets)}</p>`,
      export: () => sendCsv(res, `financial-position-${b.asOf}`, [{ head: t('Section'), cell: (x: Row) => x.section ?? '' }, ...cols], [...assets, ...liabilities, ...netAssets]),
    });
  });

  r.get('/books/activities', needUser(...BOOKS), async (req, res) => {
    const t = tr(req);
    const to = str(req.query.to) || shanghaiDate();
    const from = str(req.query.from) || `${to.slice(0, 4)}-01-01`;
    const out = await callApi(req, 'GET', `/reports/activities${apiQuery(req, { from, to })}`);
    const b = out.body ?? {};
    const errors = fieldErrors(out);
    const part = (key: string, items: any[], totalKey: string, total: string): Row[] => [
      ...items.map((x) => ({ section: t(key), account: x.account, name: nameOf(req, x), amount: x.amount })),
      { section: t(key), account: t(totalKey), name: '', amount: total, total: true },
    ];
    const income = out.ok ? part('Income', b.income, 'Total income', b.totals.income) : [];
    const expenses = out.ok ? part('Expenses', b.expenses, 'Total expenses', b.totals.expenses) : [];
    const cols: Column<Row>[] = [
      { head: t('Account code'), cell: (x) => x.account }, { head: t('Account name'), cell: (x) => x.name },
      { head: t('Amount'), cell: (x) => amt(x.amount), export: (x) => x.amount, num: true },
    ];
    const byFund: any[] = b.byFund ?? [];
    const fundCols: Column<any>[] = [
      { head: t('Fund'), cell: (x) => html`<a href="/books/activities${qs({ from, to, fund: x.fund })}">${x.fund}</a>`, export: (x) => x.fund },
      { head: t('Income'), cell: (x) => amt(x.income), export: (x) => x.income, num: true },
      { head: t('Expenses'), cell: (x) => amt(x.expenses), export: (x) => x.expenses, num: true },
      { head: t('Surplus'), cell: (x) => amt(x.surplus), export: (x) => x.surplus, num: true },
    ];
    const surplusRow: Row = { section: t('Surplus'), account: t('Surplus (income − expenses)'), name: '', amount: b.totals?.surplus, total: true };
    await render(req, res, {
      key: 'Statement of activities', out,
      dates: html`${field({ name: 'from', label: t('From'), type: 'date', value: from, required: true, error: errors.from })}${field({ name: 'to', label: t('To'), type: 'date', value: to, required: true, error: errors.to })}`,
      body: () => html`<section aria-labelledby="h-income"><h2 id="h-income">${t('Income')}</h2>${sheet(req, cols, income, { id: 'act-income' })}</section>
<section aria-labelledby="h-expenses"><h2 id="h-expenses">${t('Expenses')}</h2>${sheet(req, cols, expenses, { id: 'act-expenses' })}</section>
<p id="act-surplus" class="total-line">${t('Surplus (income − expenses)')}: <strong>¥${amt(b.totals.surplus)}</strong></p>
${b.eliminated ? html`<p class="hint" id="act-eliminated">${fill(t('Transfers between the funds shown, eliminated: in ¥{in} · out ¥{out}'), { in: amt(b.eliminated.transfersIn), out: amt(b.eliminated.transfersOut) })}</p>` : ''}
${byFund.length ? html`<section aria-labelledby="h-byfund"><h2 id="h-byfund">${t('By fund (before elimination)')}</h2>${sheet(req, fundCols as unknown as Column<Row>[], byFund, { id: 'act-by-fund' })}</section>` : ''}`,
      export: () => sendCsv(res, `activities-${from}-${to}`, [{ head: t('Section'), cell: (x: Row) => x.section ?? '' }, ...cols], [...income, ...expenses, surplusRow]),
    });
  });
}
