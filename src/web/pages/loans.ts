// 创业贷款 Start-up loans: the lists and forms (applications, a new application, arrears, approvals, finance,
// programme progress). One loan's page and its actions: loans-detail.ts. Everything through the JSON API.
import type { Request, Response, Router } from 'express';
import { apiError, callApi, fieldErrors, qs, type ApiResult } from '../api';
import { html, type Html } from '../html';
import { DISTRICT, label, type Lang } from '../i18n';
import { fieldMessageKey, LOAN_BUCKET, LOAN_METHOD, LOAN_STATUS, PILOT_KIND } from '../i18n-loans';
import { csrfField, errorPage, field, fmtTime, hasRole, langOf, needUser, page, recorded, sendCsv, str, table, tr, wantsExport, withEnglish, type Column } from '../view';
import { shanghaiDate } from '../../platform/clock';
import { loanDetailPages } from './loans-detail';

export const LOAN_READ = ['officer', 'approver', 'finance', 'auditor'];

export interface LoanListItem {
  id: number; loanNo: string; year: number; status: string; district: string | null; maskedName: string; pilotUnit: string;
  requestedAmount: string; approvedAmount: string | null; principalOutstanding: string; disbursedDate: string | null; createdAt: string;
}
export interface ArrearsItem {
  id: number; loanNo: string; maskedName: string; district: string | null; pilotUnit: string; daysPastDue: number; bucket: string;
  overdue: string; principalOutstanding: string; penaltyOutstanding: string; oldestDueDate: string;
}
interface Programme { year: number; target: string; fund: string; pilotUnits: { code: string; nameZh: string; kind: string; district: string | null; quota: string }[] }
interface Product { code: string; nameZh: string; minAmount: string; maxAmount: string; termMonths: number; annualRate: string; subsidyPercent: string; method: string; graceMonths: number }
interface Progress {
  year: number; asOf: string; target: string; lent: string; loans: number; shareOfTarget: string;
  months: { month: string; lent: string; loans: number; cumulative: string; cumulativeShareOfTarget: string }[];
  pilotUnits: { code: string; nameZh: string; kind: string; quota: string; lent: string; loans: number; shareOfQuota: string }[];
  portfolio: { activeLoans: number; principalOutstanding: string; par30: string; par90: string; par30Amount: string; par90Amount: string };
  repayment: { due: string; repaid: string; rate: string };
}

export const pct = (ratio: string) => `${(Number(ratio) * 100).toFixed(2)}%`;
const opts = (lang: Lang, t: Record<string, [string, string]>, all?: string): [string, string][] => [...(all !== undefined ? [['', all] as [string, string]] : []), ...Object.keys(t).map((k) => [k, label(lang, t, k)] as [string, string])];

/** The API's refusal as people read it: the code's Chinese meaning (or the thrower's sentence) first. */
export const apiAlert = (out: ApiResult) => html`<p class="error" role="alert">${apiError(out).message}</p>`;

/** Field errors by path, each as a Chinese sentence (the API's English stays in the banner). */
export function fieldErrorsZh(req: Request, out: ApiResult): Record<string, string> {
  const t = tr(req);
  return Object.fromEntries(Object.entries(fieldErrors(out)).map(([k, m]) => [k, t(fieldMessageKey(m))]));
}

/** The columns every loan list starts with: number (linked), masked borrower, district, pilot unit. */
function loanIdentity<T extends { id: number; loanNo: string; maskedName: string; district: string | null; pilotUnit: string }>(req: Request): Column<T>[] {
  const t = tr(req), lang = langOf(req);
  return [
    { head: t('Loan number'), cell: (l) => html`<a href="/loans/${l.id}">${l.loanNo}</a>`, csv: (l) => l.loanNo },
    { head: t('Borrower'), cell: (l) => html`<span translate="no">${l.maskedName}</span>`, export: (l) => l.maskedName },
    { head: t('District'), cell: (l) => label(lang, DISTRICT, l.district) },
    { head: t('Pilot unit'), cell: (l) => l.pilotUnit },
  ];
}

export function loanColumns(req: Request): Column<LoanListItem>[] {
  const t = tr(req), lang = langOf(req);
  return [
    ...loanIdentity(req),
    { head: t('Requested amount'), cell: (l) => l.requestedAmount, num: true },
    { head: t('Approved amount'), cell: (l) => l.approvedAmount ?? '', num: true },
    { head: t('Principal outstanding'), cell: (l) => l.principalOutstanding, num: true },
    { head: t('Status'), cell: (l) => html`<span class="badge s-${l.status}">${label(lang, LOAN_STATUS, l.status)}</span>`, export: (l) => label(lang, LOAN_STATUS, l.status) },
    { head: t('Disbursed on'), cell: (l) => l.disbursedDate ?? '' },
    { head: t('Created'), cell: (l) => fmtTime(l.createdAt) },
  ];
}

export function arrearsColumns(req: Request): Column<ArrearsItem>[] {
  const t = tr(req), lang = langOf(req);
  return [
    ...loanIdentity(req),
    { head: t('Days past due'), cell: (l) => String(l.daysPastDue), num: true },
    { head: t('Ageing bucket'), cell: (l) => label(lang, LOAN_BUCKET, l.bucket), export: (l) => label(lang, LOAN_BUCKET, l.bucket) },
    { head: t('Overdue amount'), cell: (l) => l.overdue, num: true },
    { head: t('Principal outstanding'), cell: (l) => l.principalOutstanding, num: true },
    { head: t('Penalty owed'), cell: (l) => l.penaltyOutstanding, num: true },
    { head: t('Oldest due date'), cell: (l) => l.oldestDueDate },
  ];
}

/** The links between the loan pages, by role. */
function loanMenu(req: Request): Html {
  const t = tr(req);
  const links: [string, string, boolean][] = [
    ['/loans', 'Loan applications', true],
    ['/loans/new', 'New loan application', hasRole(req, 'officer', 'admin')],
    ['/loans/arrears', 'Arrears', true],
    ['/loans/approvals', 'Loan approvals', hasRole(req, 'approver', 'admin')],
    ['/loans/finance', 'Disbursement and repayments', hasRole(req, 'finance', 'admin')],
    ['/loans/programme', 'Programme progress', true],
  ];
  return html`<nav class="subnav" aria-label="${t('Start-up loans')}"><ul>${links.filter((l) => l[2]).map(([href, key]) => html`<li><a href="${href}"${req.path === href ? html` aria-current="page"` : ''}>${t(key)}</a></li>`)}</ul></nav>`;
}
export const loanHeader = (req: Request, title: string) => html`${loanMenu(req)}<h1>${title}</h1>`;

const year = () => Number(shanghaiDate().slice(0, 4));

export function loanPages(r: Router) {
  r.get('/loans', needUser(...LOAN_READ), async (req, res) => {
    const t = tr(req), lang = langOf(req);
    const f = { status: str(req.query.status), pilotUnit: str(req.query.pilotUnit), district: str(req.query.district), year: str(req.query.year) };
    const out = await callApi(req, 'GET', `/loans${qs({ ...f, limit: wantsExport(req) ? 500 : 50, cursor: str(req.query.cursor) })}`);
    const items: LoanListItem[] = out.ok ? out.body.items : [];
    const fe = out.ok ? {} : fieldErrorsZh(req, out);
    const cols = loanColumns(req);
    if (wantsExport(req)) return sendCsv(res, 'loans', cols, items);
    page(req, res, {
      title: t('Loan applications'),
      body: html`${loanHeader(req, t('Loan applications'))}
<form method="get" action="/loans" class="filters">
${field({ name: 'status', label: t('Status'), value: f.status, error: fe.status, options: opts(lang, LOAN_STATUS, t('All')) })}
${field({ name: 'year', label: t('Year'), value: f.year, error: fe.year, type: 'number', attrs: 'min="2000" max="2099"' })}
${field({ name: 'pilotUnit', label: t('Pilot unit'), value: f.pilotUnit, error: fe.pilotUnit, attrs: 'maxlength="32"' })}
${req.web!.user!.district ? '' : field({ name: 'district', label: t('District'), value: f.district, error: fe.district, options: opts(lang, DISTRICT, t('All')) })}
<button type="submit">${t('Filter')}</button> <a href="/loans">${t('Reset')}</a>
</form>
${out.ok ? '' : apiAlert(out)}
${table(req, cols, items, { nextCursor: out.ok ? out.body.nextCursor : null })}`,
    });
  });

  // ── a new application (officers)
  const newForm = async (req: Request, res: Response, o: { values: Record<string, string>; errors?: Record<string, string>; message?: string; status?: number }) => {
    const t = tr(req), lang = langOf(req);
    const v = o.values, e = o.errors ?? {};
    const [prog, prods] = await Promise.all([callApi<Programme>(req, 'GET', `/loans/programmes/${year()}`), callApi<{ items: Product[] }>(req, 'GET', '/loans/products')]);
    const title = t('New loan application');
    if (!prog.ok) {
      return page(req, res, { title, status: prog.status === 404 ? 200 : prog.status, body: html`${loanHeader(req, title)}<p class="error" role="alert">${prog.status === 404 ? t('There is no loan programme for this year.') : apiError(prog).message}</p>` });
    }
    const user = req.web!.user!;
    const units = prog.body.pilotUnits.filter((u) => !user.district || u.district === user.district);
    const products = prods.ok ? prods.body.items : [];
    if (!units.length || !products.length) {
      return page(req, res, { title, body: html`${loanHeader(req, title)}<p class="error" role="alert">${t('No pilot unit or product yet: an administrator sets them first.')}</p>` });
    }
    const g = (i: number) => html`<fieldset class="wide"><legend>${t('Guarantor')} ${i + 1}</legend>
${field({ name: `guarantors.${i}.name`, label: `${t('Guarantor name')} ${i + 1}`, value: v[`guarantors.${i}.name`], error: e[`guarantors.${i}.name`], attrs: 'maxlength="50" autocomplete="off"' })}
${field({ name: `guarantors.${i}.idNumber`, label: `${t('Guarantor ID number')} ${i + 1}`, value: v[`guarantors.${i}.idNumber`], error: e[`guarantors.${i}.idNumber`], attrs: 'maxlength="20" autocomplete="off"' })}
${field({ name: `guarantors.${i}.relation`, label: `${t('Guarantor relation')} ${i + 1}`, value: v[`guarantors.${i}.relation`], error: e[`guarantors.${i}.relation`], attrs: 'maxlength="20"' })}
</fieldset>`;
    page(req, res, {
      title,
      status: o.status,
      body: html`${loanHeader(req, title)}
${o.message ? html`<div class="error" role="alert"><p>${t('Please correct the marked fields.')}</p><p>${o.message}</p></div>` : ''}
<p class="hint">${t('Every field marked * is required.')}</p>
<form method="post" action="/loans/new" class="grid" novalidate>${csrfField(req)}
${field({ name: 'pilotUnit', label: t('Pilot unit'), value: v.pilotUnit, required: true, error: e.pilotUnit, options: [['', t('Choose…')], ...units.map((u) => [u.code, `${u.nameZh}（${label(lang, PILOT_KIND, u.kind)}）`] as [string, string])] })}
${field({ name: 'product', label: t('Product'), value: v.product, required: true, error: e.product, options: [['', t('Choose…')], ...products.map((p) => [p.code, `${p.nameZh} · ${label(lang, LOAN_METHOD, p.method)} · ${p.annualRate}% · ¥${p.minAmount}–${p.maxAmount} · ≤ ${p.termMonths}`] as [string, string])] })}
${field({ name: 'borrower.name', label: t('Borrower name'), value: v['borrower.name'], required: true, error: e['borrower.name'], attrs: 'maxlength="50" autocomplete="off"' })}
${field({ name: 'borrower.idNumber', label: t('Borrower ID number'), value: v['borrower.idNumber'], required: true, error: e['borrower.idNumber'], attrs: 'maxlength="20" autocomplete="off"' })}
${field({ name: 'borrower.phone', label: t('Borrower phone'), value: v['borrower.phone'], error: e['borrower.phone'], attrs: 'maxlength="20" inputmode="tel"' })}
${field({ name: 'householdId', label: t('Household file (optional)'), value: v.householdId, error: e.householdId, attrs: 'inputmode="numeric" maxlength="9"' })}
${field({ name: 'membership.unionOrg', label: t('Union organisation'), value: v['membership.unionOrg'], required: true, error: e['membership.unionOrg'], attrs: 'maxlength="200"' })}
${field({ name: 'membership.memberNo', label: t('Member number'), value: v['membership.memberNo'], error: e['membership.memberNo'], attrs: 'maxlength="40"' })}
${field({ name: 'requestedAmount', label: `${t('Requested amount')} (¥)`, value: v.requestedAmount, required: true, error: e.requestedAmount, attrs: 'inputmode="decimal" placeholder="0.00"' })}
${field({ name: 'termMonths', label: t('Term (months)'), value: v.termMonths, required: true, error: e.termMonths, attrs: 'inputmode="numeric" maxlength="3"' })}
${field({ name: 'businessPlan', label: t('Business plan'), value: v.businessPlan, required: true, textarea: true, error: e.businessPlan, attrs: 'maxlength="5000"' })}
${g(0)}${g(1)}
<p class="wide"><button type="submit">${t('Save')}</button></p>
</form>`,
    });
  };

  r.get('/loans/new', needUser('officer'), (req, res) => newForm(req, res, { values: {} }));
  r.post('/loans/new', needUser('officer'), async (req, res) => {
    const b = req.body as Record<string, unknown>;
    const s = (k: string) => str(b[k]);
    const int = (k: string) => (/^\d{1,9}$/.test(s(k)) ? Number(s(k)) : s(k));
    const guarantors = [0, 1].filter((i) => s(`guarantors.${i}.name`) || s(`guarantors.${i}.idNumber`)).map((i) => ({
      name: s(`guarantors.${i}.name`), idNumber: s(`guarantors.${i}.idNumber`), ...(s(`guarantors.${i}.relation`) ? { relation: s(`guarantors.${i}.relation`) } : {}),
    }));
    const body = {
      pilotUnit: s('pilotUnit'), product: s('product'),
      borrower: { name: s('borrower.name'), idNumber: s('borrower.idNumber'), ...(s('borrower.phone') ? { phone: s('borrower.phone') } : {}) },
      ...(s('householdId') ? { householdId: int('householdId') } : {}),
      membership: { unionOrg: s('membership.unionOrg'), ...(s('membership.memberNo') ? { memberNo: s('membership.memberNo') } : {}) },
      businessPlan: typeof b.businessPlan === 'string' ? b.businessPlan.trim() : '', guarantors, requestedAmount: s('requestedAmount'), termMonths: int('termMonths'),
    };
    const out = await callApi(req, 'POST', '/loans', { body });
    if (out.ok) return res.redirect(303, `/loans/${out.body.id}?saved=1`);
    const values = Object.fromEntries(Object.entries(b).filter(([k]) => k !== '_csrf').map(([k, x]) => [k, typeof x === 'string' ? x : '']));
    await newForm(req, res, { values, errors: fieldErrorsZh(req, out), message: apiError(out).message, status: out.status });
  });

  // ── arrears (officers and everyone who reads loans)
  r.get('/loans/arrears', needUser(...LOAN_READ), async (req, res) => {
    const t = tr(req), lang = langOf(req);
    const f = { asOf: str(req.query.asOf), bucket: str(req.query.bucket), district: str(req.query.district) };
    const out = await callApi(req, 'GET', `/loans/arrears${qs({ ...f, limit: wantsExport(req) ? 500 : 50, cursor: str(req.query.cursor) })}`);
    const items: ArrearsItem[] = out.ok ? out.body.items : [];
    const fe = out.ok ? {} : fieldErrorsZh(req, out);
    const cols = arrearsColumns(req);
    if (wantsExport(req)) return sendCsv(res, 'loan-arrears', cols, items);
    const buckets: Record<string, { loans: number; principalOutstanding: string }> = out.ok ? out.body.buckets : {};
    page(req, res, {
      title: t('Arrears'),
      body: html`${loanHeader(req, t('Arrears'))}
<form method="get" action="/loans/arrears" class="filters">
${field({ name: 'asOf', label: t('As of'), type: 'date', value: f.asOf || shanghaiDate(), error: fe.asOf })}
${field({ name: 'bucket', label: t('Ageing bucket'), value: f.bucket, error: fe.bucket, options: opts(lang, Object.fromEntries(Object.entries(LOAN_BUCKET).filter(([k]) => k !== 'current')), t('All')) })}
${req.web!.user!.district ? '' : field({ name: 'district', label: t('District'), value: f.district, error: fe.district, options: opts(lang, DISTRICT, t('All')) })}
<button type="submit">${t('Filter')}</button> <a href="/loans/arrears">${t('Reset')}</a>
</form>
${out.ok ? '' : apiAlert(out)}
<h2>${t('Arrears by bucket')}</h2>
${table(req, [
  { head: t('Ageing bucket'), cell: (b: [string, { loans: number; principalOutstanding: string }]) => html`<a href="/loans/arrears${qs({ ...f, bucket: b[0] })}">${label(lang, LOAN_BUCKET, b[0])}</a>` },
  { head: t('Loans'), cell: (b) => String(b[1].loans), num: true },
  { head: t('Principal outstanding'), cell: (b) => b[1].principalOutstanding, num: true },
], Object.entries(buckets), { csv: false })}
<h2>${t('Arrears')}${out.ok ? ` · ${t('As of')} ${out.body.asOf}` : ''}</h2>
${table(req, cols, items, { nextCursor: out.ok ? out.body.nextCursor : null })}`,
    });
  });

  // ── approvers' work: applications to review and approve, long arrears to write off or restructure
  r.get('/loans/approvals', needUser('approver'), async (req, res) => {
    const t = tr(req);
    const [reviewed, submitted, over90] = await Promise.all([
      callApi(req, 'GET', `/loans${qs({ status: 'reviewed', limit: 100 })}`),
      callApi(req, 'GET', `/loans${qs({ status: 'submitted', limit: 100 })}`),
      callApi(req, 'GET', `/loans/arrears${qs({ bucket: 'over_90', limit: 100 })}`),
    ]);
    const list = (out: ApiResult, cols: Column<LoanListItem>[] | Column<ArrearsItem>[]) =>
      out.ok ? table(req, cols as Column<LoanListItem>[], out.body.items, { csv: false }) : apiAlert(out);
    page(req, res, {
      title: t('Loan approvals'),
      body: html`${loanHeader(req, t('Loan approvals'))}
<p class="hint">${t('The officer who took an application and its reviewer never approve it.')} ${t('Two different approvers must agree; the second one acts.')}</p>
<h2>${t('Applications to approve')}</h2>${list(reviewed, loanColumns(req))}
<h2>${t('Applications to review')}</h2>${list(submitted, loanColumns(req))}
<h2>${t('Over 90 days past due: write-off or restructuring to consider')}</h2>${list(over90, arrearsColumns(req))}`,
    });
  });

  // ── finance: loans to disburse, active loans to record repayments on
  r.get('/loans/finance', needUser('finance'), async (req, res) => {
    const t = tr(req);
    const [approved, active] = await Promise.all([
      callApi(req, 'GET', `/loans${qs({ status: 'approved', limit: 100 })}`),
      callApi(req, 'GET', `/loans${qs({ status: 'active', limit: 100, cursor: str(req.query.cursor) })}`),
    ]);
    page(req, res, {
      title: t('Disbursement and repayments'),
      body: html`${loanHeader(req, t('Disbursement and repayments'))}
<h2>${t('Approved, waiting for disbursement')}</h2>${approved.ok ? table(req, loanColumns(req), approved.body.items, { csv: false }) : apiAlert(approved)}
<h2>${t('Active loans')}</h2>${active.ok ? table(req, loanColumns(req), active.body.items, { nextCursor: active.body.nextCursor, csv: false }) : apiAlert(active)}`,
    });
  });

  // ── programme progress (all staff), with the programme PDF
  r.get('/loans/programme', needUser(...LOAN_READ), async (req, res) => {
    const t = tr(req), lang = langOf(req);
    const y = /^\d{4}$/.test(str(req.query.year)) ? Number(str(req.query.year)) : year();
    const out = await callApi<Progress>(req, 'GET', `/loans/programme/${y}/progress`);
    const title = `${t('Programme progress')} ${y}`;
    const yearForm = html`<form method="get" action="/loans/programme" class="filters">${field({ name: 'year', label: t('Year'), type: 'number', value: y, attrs: 'min="2000" max="2099"' })}<button type="submit">${t('Filter')}</button></form>`;
    if (!out.ok) return page(req, res, { title, body: html`${loanHeader(req, title)}${yearForm}${out.status === 404 ? html`<p>${t('There is no loan programme for this year.')}</p>` : apiAlert(out)}` });
    const p = out.body;
    page(req, res, {
      title,
      body: html`${loanHeader(req, title)}${yearForm}
<p><a href="/loans/programme/${y}/report.pdf" download>${t('Programme PDF')}</a></p>
<dl class="facts">
<dt>${t('Target')}</dt><dd>¥${p.target}</dd>
<dt>${t('Lent')}</dt><dd>¥${p.lent} · ${p.loans} ${t('Loans')}</dd>
<dt>${t('Share of the target')}</dt><dd>${pct(p.shareOfTarget)}</dd>
<dt>${t('Active loans')}</dt><dd>${p.portfolio.activeLoans} · ${t('Principal outstanding')} ¥${p.portfolio.principalOutstanding}</dd>
<dt>${withEnglish(t('Portfolio at risk'), 'PAR30')}</dt><dd>${pct(p.portfolio.par30)} · ¥${p.portfolio.par30Amount}</dd>
<dt>${withEnglish(t('Portfolio at risk'), 'PAR90')}</dt><dd>${pct(p.portfolio.par90)} · ¥${p.portfolio.par90Amount}</dd>
<dt>${t('Repayment rate')}</dt><dd>${pct(p.repayment.rate)} · ${t('Repaid')} ¥${p.repayment.repaid} / ${t('Fallen due')} ¥${p.repayment.due}</dd>
<dt>${t('As of')}</dt><dd>${p.asOf}</dd>
</dl>
<h2>${t('By month')}</h2>
${table(req, [
  { head: t('Month'), cell: (m: Progress['months'][number]) => m.month },
  { head: t('Lent'), cell: (m) => m.lent, num: true },
  { head: t('Loans'), cell: (m) => String(m.loans), num: true },
  { head: t('Cumulative'), cell: (m) => m.cumulative, num: true },
  { head: t('Of target'), cell: (m) => pct(m.cumulativeShareOfTarget), num: true },
], p.months, { csv: false })}
<h2>${t('Pilot unit')}</h2>
${table(req, [
  { head: t('Pilot unit'), cell: (u: Progress['pilotUnits'][number]) => recorded(u.nameZh) },
  { head: t('Kind'), cell: (u) => label(lang, PILOT_KIND, u.kind) },
  { head: t('Loan quota'), cell: (u) => u.quota, num: true },
  { head: t('Lent'), cell: (u) => u.lent, num: true },
  { head: t('Loans'), cell: (u) => String(u.loans), num: true },
  { head: t('Of quota'), cell: (u) => pct(u.shareOfQuota), num: true },
], p.pilotUnits, { csv: false })}`,
    });
  });
  r.get('/loans/programme/:year/report.pdf', needUser(...LOAN_READ), async (req, res) => {
    if (!/^\d{4}$/.test(String(req.params.year))) return errorPage(req, res, 404, tr(req)('Page not found'));
    await sendPdf(req, res, `/reports/loan-programme.pdf${qs({ year: req.params.year })}`, `loan-programme-${req.params.year}`);
  });

  loanDetailPages(r);
}

/** A PDF of the API saved as a download (the API answers inline), with its SHA-256 header. */
export async function sendPdf(req: Request, res: Response, apiPath: string, name: string) {
  const out = await callApi(req, 'GET', apiPath, { binary: true });
  if (!out.ok) return errorPage(req, res, out.status, apiError(out).message);
  res.type('application/pdf').setHeader('Content-Disposition', `attachment; filename="${name}-${shanghaiDate()}.pdf"`);
  res.send(out.bytes);
}
