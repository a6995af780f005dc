// One loan's page: the application, the borrower as the API shows this user (full or masked), the approval rules,
// the actions this user may take (review, approve, refuse, withdraw, disburse, repayment, write-off,
// restructuring), the schedule, repayments and timeline; the schedule CSV and the statement PDF.
import crypto from 'node:crypto';
import type { Request, Response, Router } from 'express';
import { apiError, callApi, qs } from '../api';
import { html, type Html } from '../html';
import { DISTRICT, label } from '../i18n';
import { actorCell, systemText } from '../i18n-people';
import { LOAN_BUCKET, LOAN_EVENT, LOAN_METHOD, LOAN_STATUS, LOAN_TIER, PILOT_KIND, REFUSAL_REASON } from '../i18n-loans';
import { csrfField, errorPage, field, fmtTime, hasRole, langOf, needUser, page, recorded, str, table, tr } from '../view';
import { shanghaiDate } from '../../platform/clock';
import { apiAlert, fieldErrorsZh, LOAN_READ, loanHeader, sendPdf } from './loans';

interface Event { action: string; fromStatus: string | null; toStatus: string; actor: string; amount: string | null; note: string | null; at: string }
interface Repayment { id: number; date: string; amount: string; penalty: string; interest: string; principal: string; subsidy: string; entry: string; reference: string | null }
interface LoanView {
  id: number; loanNo: string; year: number; status: string; district: string | null; fund: string;
  pilotUnit: { code: string; nameZh: string; kind: string };
  product: { code: string; nameZh: string; minAmount: string; maxAmount: string; termMonths: number; annualRate: string; subsidyPercent: string; method: string; graceMonths: number; penaltyRate: string };
  borrower: { name: string; maskedName: string; idNumber: string; phone: string | null };
  householdId: number | null; membership: { unionOrg: string; memberNo: string | null }; businessPlan: string;
  guarantors: { name: string; idNumber: string; relation: string | null }[];
  requestedAmount: string; termMonths: number; recommendedAmount: string | null; approvedAmount: string | null; tier: string;
  tierLimits: { district: string; foundation: string }; refusalReasons: string[] | null;
  disbursedDate: string | null; disbursementEntry: string | null; closedDate: string | null;
  principalOutstanding: string; penaltyOutstanding: string; penaltyPaid: string; writtenOff: string; daysPastDue: number; bucket: string;
  repayments: Repayment[]; timeline: Event[]; createdAt: string;
}
interface Instalment { no: number; dueDate: string; principal: string; interest: string; subsidy: string; borrowerInterest: string; total: string; paidPrincipal: string; paidInterest: string; waivedInterest: string; outstanding: string; balance: string }

const VERBS = ['review', 'approve', 'refuse', 'withdraw', 'disburse', 'repay', 'write-off', 'restructure'] as const;
type Verb = (typeof VERBS)[number];
const VERB_TITLE: Record<Verb, string> = {
  review: 'Review the application', approve: 'Approve the loan', refuse: 'Refuse the application', withdraw: 'Withdraw the application',
  disburse: 'Disburse', repay: 'Record a repayment', 'write-off': 'Write off', restructure: 'Restructure',
};
const VERB_ROLES: Record<Verb, string[]> = {
  review: ['officer', 'approver'], approve: ['approver'], refuse: ['approver'], withdraw: ['officer'], disburse: ['finance'], repay: ['finance'], 'write-off': ['approver'], restructure: ['approver'],
};
const IDEMPOTENT: Verb[] = ['disburse', 'repay', 'write-off', 'restructure'];

/** The actors of the steps that matter for maker-checker and two-approver steps, from the timeline. */
function actors(l: LoanView) {
  const tl = l.timeline;
  const lastRestructure = tl.map((e) => e.action).lastIndexOf('restructured');
  const since = (action: string) => tl.slice(lastRestructure + 1).filter((e) => e.action === action).map((e) => e.actor);
  return {
    creator: tl.find((e) => e.action === 'created')?.actor,
    reviewer: [...tl].reverse().find((e) => e.action === 'reviewed')?.actor,
    approvals: since('approval_recorded'),
    writeOffs: since('write_off_approval_recorded'),
    restructures: since('restructure_approval_recorded'),
  };
}

/**
 * Why this user would be refused, or null: the API's own rules (maker-checker, tier, a second approver),
 * worked out beforehand so the page does not offer a form that can only fail. The API still decides.
 */
function refusalOf(req: Request, l: LoanView, verb: Verb): string | null {
  const t = tr(req);
  const user = req.web!.user!;
  const a = actors(l);
  const me = (s: string | undefined) => !!s && s === user.username;
  if (user.district && l.district !== user.district) return t('This loan is not in your district.');
  if (verb === 'review' && me(a.creator)) return t('You took this application: you cannot review it.');
  if ((verb === 'approve' || verb === 'refuse') && me(a.creator)) return t('You took this application: you cannot approve or refuse it.');
  if (verb === 'approve') {
    if (me(a.reviewer)) return t('You reviewed this application: you cannot approve it.');
    if (a.approvals.includes(user.username)) return t('You have already approved: a second, different approver is needed.');
    if (user.district && l.tier !== 'district') return `${t('The amount is above the district approvers’ limit: a foundation approver must approve it.')} (¥${l.recommendedAmount ?? l.requestedAmount} > ¥${l.tierLimits.district})`;
  }
  if (verb === 'write-off' && a.writeOffs.includes(user.username)) return t('You have already approved: a second, different approver is needed.');
  if (verb === 'restructure' && a.restructures.includes(user.username)) return t('You have already approved: a second, different approver is needed.');
  return null;
}

/** Which actions the loan's state offers this user's roles (admin passes as in needUser). */
function offered(req: Request, l: LoanView): Verb[] {
  const s = l.status;
  const states: Record<Verb, string[]> = {
    review: ['submitted'], approve: ['reviewed'], refuse: ['submitted', 'reviewed'], withdraw: ['submitted', 'reviewed', 'approved'],
    disburse: ['approved'], repay: ['active'], 'write-off': ['active'], restructure: ['active'],
  };
  return VERBS.filter((v) => states[v].includes(s) && hasRole(req, ...VERB_ROLES[v]) && (v !== 'withdraw' || !hasRole(req, 'admin') || hasRole(req, 'officer')));
}

async function loanPage(req: Request, res: Response, extra: { form?: Verb; message?: string; errors?: Record<string, string>; values?: Record<string, string>; status?: number } = {}) {
  const t = tr(req), lang = langOf(req);
  const id = Number(req.params.id);
  const out = await callApi<LoanView>(req, 'GET', `/loans/${id}`);
  if (!out.ok) return errorPage(req, res, out.status, apiError(out).message);
  const l = out.body;
  const today = shanghaiDate();
  const e = extra.errors ?? {};
  const v = extra.values ?? {};
  const at = (verb: Verb, name: string) => (extra.form === verb ? e[name] : undefined);
  const val = (verb: Verb, name: string, fallback: string) => (extra.form === verb && v[name] !== undefined ? v[name] : fallback);
  const err = (verb: Verb) => (extra.form === verb && extra.message ? html`<p class="error" role="alert" id="err-${verb}">${extra.message}</p>` : '');
  const a = actors(l);
  const fields = async (verb: Verb): Promise<Html> => {
    switch (verb) {
      case 'review':
        return html`${field({ name: 'recommendedAmount', label: `${t('Recommended amount')} (¥)`, value: val(verb, 'recommendedAmount', l.requestedAmount), error: at(verb, 'recommendedAmount'), attrs: 'inputmode="decimal"' })}${field({ name: 'note', label: `${t('Note')} (${t('Review the application')})`, textarea: true, value: val(verb, 'note', '') })}`;
      case 'approve':
        return html`${field({ name: 'approvedAmount', label: `${t('Approved amount')} (¥)`, required: true, value: val(verb, 'approvedAmount', l.recommendedAmount ?? l.requestedAmount), error: at(verb, 'approvedAmount'), attrs: 'inputmode="decimal"' })}${field({ name: 'note', label: `${t('Note')} (${t('Approve the loan')})`, textarea: true, value: val(verb, 'note', '') })}`;
      case 'refuse':
        return html`<fieldset class="wide"><legend>${t('Refusal reasons')} *</legend>${Object.keys(REFUSAL_REASON).map((k) => html`<label class="check"><input type="checkbox" name="reasons" value="${k}"> ${label(lang, REFUSAL_REASON, k)}</label> `)}${at(verb, 'reasons') ? html`<p class="err">${at(verb, 'reasons')}</p>` : ''}</fieldset>${field({ name: 'note', label: `${t('Note')} (${t('Refuse the application')})`, textarea: true, required: true, value: val(verb, 'note', ''), error: at(verb, 'note') })}`;
      case 'withdraw':
        return field({ name: 'note', label: `${t('Note')} (${t('Withdraw the application')})`, textarea: true, value: val(verb, 'note', '') });
      case 'disburse':
        return html`${field({ name: 'date', label: t('Date'), type: 'date', required: true, value: val(verb, 'date', today), error: at(verb, 'date') })}${field({ name: 'paymentRef', label: t('Payment reference'), required: true, value: val(verb, 'paymentRef', ''), error: at(verb, 'paymentRef'), attrs: 'maxlength="100"' })}`;
      case 'repay': {
        const po = await callApi(req, 'GET', `/loans/${l.id}/payoff${qs({ date: today })}`);
        return html`${po.ok ? html`<p class="hint wide">${t('Pay off on this date')} ${today}: ¥${po.body.amount}</p>` : ''}${field({ name: 'amount', label: `${t('Amount')} (¥)`, required: true, value: val(verb, 'amount', ''), error: at(verb, 'amount'), attrs: 'inputmode="decimal" placeholder="0.00"' })}${field({ name: 'date', label: t('Date'), type: 'date', required: true, value: val(verb, 'date', today), error: at(verb, 'date') })}${field({ name: 'reference', label: t('Reference'), value: val(verb, 'reference', ''), error: at(verb, 'reference'), attrs: 'maxlength="100"' })}`;
      }
      case 'write-off':
        return html`<p class="hint wide">${t('Approvals so far')}: ${a.writeOffs.length ? a.writeOffs.map((x, i) => html`${i ? '、' : ''}${actorCell(lang, x)}`) : '—'}</p>${field({ name: 'note', label: `${t('Note')} (${t('Write off')})`, textarea: true, required: true, value: val(verb, 'note', ''), error: at(verb, 'note') })}${field({ name: 'date', label: `${t('Date')} (${t('Write off')})`, type: 'date', value: val(verb, 'date', today), error: at(verb, 'date') })}`;
      case 'restructure':
        return html`<p class="hint wide">${t('Approvals so far')}: ${a.restructures.length ? a.restructures.map((x, i) => html`${i ? '、' : ''}${actorCell(lang, x)}`) : '—'}</p>${field({ name: 'termMonths', label: t('New term (months)'), required: true, value: val(verb, 'termMonths', ''), error: at(verb, 'termMonths'), attrs: 'inputmode="numeric" maxlength="3"' })}${field({ name: 'note', label: `${t('Note')} (${t('Restructure')})`, textarea: true, required: true, value: val(verb, 'note', ''), error: at(verb, 'note') })}${field({ name: 'date', label: `${t('Date')} (${t('Restructure')})`, type: 'date', value: val(verb, 'date', today), error: at(verb, 'date') })}`;
    }
  };
  const actionsHtml: Html[] = [];
  for (const verb of offered(req, l)) {
    const title = t(VERB_TITLE[verb]);
    const why = refusalOf(req, l, verb);
    if (why) {
      actionsHtml.push(html`<section class="action refused" aria-labelledby="h-${verb}"><h3 id="h-${verb}">${title}</h3>${err(verb)}<p class="hint" id="why-${verb}"><strong>${t('Why you cannot act here')}:</strong> ${why}</p></section>`);
      continue;
    }
    const key = IDEMPOTENT.includes(verb) ? html`<input type="hidden" name="idempotencyKey" value="${crypto.randomUUID()}">` : '';
    actionsHtml.push(html`<section class="action" aria-labelledby="h-${verb}"><h3 id="h-${verb}">${title}</h3>${err(verb)}
<form method="post" action="/loans/${l.id}/${verb}" class="grid">${csrfField(req)}${key}${await fields(verb)}<p class="wide"><button type="submit">${title}</button></p></form></section>`);
  }
  const sch = l.disbursedDate ? await callApi<{ version: number; instalments: Instalment[]; totals: Record<string, string> }>(req, 'GET', `/loans/${l.id}/schedule`) : null;
  const saved = typeof req.query.saved === 'string' && (VERBS as readonly string[]).includes(req.query.saved) ? t(VERB_TITLE[req.query.saved as Verb]) : req.query.saved ? t('Application saved') : '';
  const p = l.product;
  page(req, res, {
    title: `${t('Loan')} ${l.loanNo}`,
    status: extra.status,
    flash: saved ? html`${t('Done')}: ${saved} · ${l.loanNo} · ${label(lang, LOAN_STATUS, l.status)}` : undefined,
    body: html`${loanHeader(req, `${t('Loan')} ${l.loanNo}`)}<p><span class="badge s-${l.status}" id="loan-status">${label(lang, LOAN_STATUS, l.status)}</span></p>
<p>${l.disbursedDate ? html`<a href="/loans/${l.id}/schedule.csv" download>${t('Schedule CSV')}</a> · ` : ''}${hasRole(req, 'officer', 'finance', 'auditor') ? html`<a href="/loans/${l.id}/statement.pdf" download>${t('Loan statement PDF')}</a>` : ''}</p>
<dl class="facts">
<dt>${t('Borrower')}</dt><dd><span translate="no">${l.borrower.name}</span> · ${t('ID number')} <span translate="no">${l.borrower.idNumber}</span>${l.borrower.phone ? html` · ${t('Phone')} <span translate="no">${l.borrower.phone}</span>` : ''}</dd>
${l.householdId ? html`<dt>${t('Household file')}</dt><dd><a href="/households/${l.householdId}">${l.householdId}</a></dd>` : ''}
<dt>${t('Union membership')}</dt><dd>${recorded(l.membership.unionOrg)}${l.membership.memberNo ? html` · ${t('Member number')} ${l.membership.memberNo}` : ''}</dd>
<dt>${t('District')}</dt><dd>${label(lang, DISTRICT, l.district)}</dd>
<dt>${t('Pilot unit')}</dt><dd>${recorded(l.pilotUnit.nameZh)}（${label(lang, PILOT_KIND, l.pilotUnit.kind)}）</dd>
<dt>${t('Product')}</dt><dd>${recorded(p.nameZh)} · ${label(lang, LOAN_METHOD, p.method)} · ${t('Annual rate')} ${p.annualRate}% · ${t('Interest subsidy')} ${p.subsidyPercent}% · ${t('Penalty rate')} ${p.penaltyRate}%${p.graceMonths ? html` · ${t('Grace months')} ${p.graceMonths}` : ''}</dd>
<dt>${t('Requested amount')}</dt><dd>¥${l.requestedAmount} · ${t('Term (months)')} ${l.termMonths}</dd>
<dt>${t('Recommended amount')}</dt><dd>${l.recommendedAmount ? `¥${l.recommendedAmount}` : ''}</dd>
<dt>${t('Approved amount')}</dt><dd>${l.approvedAmount ? `¥${l.approvedAmount}` : ''}</dd>
${l.refusalReasons ? html`<dt>${t('Refusal reasons')}</dt><dd>${l.refusalReasons.map((r) => label(lang, REFUSAL_REASON, r)).join('、')}</dd>` : ''}
${l.disbursedDate ? html`<dt>${t('Disbursed on')}</dt><dd>${l.disbursedDate} · ${l.disbursementEntry ?? ''}</dd>
<dt>${t('Principal outstanding')}</dt><dd id="principal-outstanding">¥${l.principalOutstanding}</dd>
<dt>${t('Days past due')}</dt><dd>${l.daysPastDue} · ${label(lang, LOAN_BUCKET, l.bucket)}</dd>
<dt>${t('Penalty owed')}</dt><dd>¥${l.penaltyOutstanding}</dd>` : ''}
${l.writtenOff !== '0.00' ? html`<dt>${t('Written off')}</dt><dd>¥${l.writtenOff}</dd>` : ''}
${l.closedDate ? html`<dt>${t('Closed on')}</dt><dd>${l.closedDate}</dd>` : ''}
<dt>${t('Business plan')}</dt><dd>${recorded(l.businessPlan)}</dd>
<dt>${t('Guarantors')}</dt><dd>${l.guarantors.length ? l.guarantors.map((g, i) => html`${i ? '；' : ''}<span translate="no">${g.name}</span> <span translate="no">${g.idNumber}</span>${g.relation ? html` ${recorded(g.relation)}` : ''}`) : '—'}</dd>
</dl>
<section class="rules" aria-labelledby="h-rules"><h2 id="h-rules">${t('Approval rules')}</h2>
<ul><li>${t('Tier')}: <strong>${label(lang, LOAN_TIER, l.tier)}</strong></li>
<li>${t('District approvers approve up to')} ¥${l.tierLimits.district}；${t('one foundation approver up to')} ¥${l.tierLimits.foundation}；${t('above that, two foundation approvers')}</li>
${a.approvals.length ? html`<li>${t('Approvals so far')}: ${a.approvals.map((x, i) => html`${i ? '、' : ''}${actorCell(lang, x)}`)}</li>` : ''}
<li>${t('Maker-checker')}: ${t('The officer who took an application and its reviewer never approve it.')}</li></ul></section>
${actionsHtml.length ? html`<h2>${t('Action')}</h2><div class="actions-grid">${actionsHtml}</div>` : ''}
<h2>${t('Repayment schedule')}</h2>
${!sch ? html`<p>${t('Not disbursed yet: no schedule.')}</p>` : !sch.ok ? apiAlert(sch) : table(req, [
  { head: t('Instalment'), cell: (i: Instalment) => String(i.no), num: true },
  { head: t('Instalment due'), cell: (i) => i.dueDate },
  { head: t('Principal'), cell: (i) => i.principal, num: true },
  { head: t('Interest'), cell: (i) => i.interest, num: true },
  { head: t('Subsidy'), cell: (i) => i.subsidy, num: true },
  { head: t('Borrower interest'), cell: (i) => i.borrowerInterest, num: true },
  { head: t('Paid principal'), cell: (i) => i.paidPrincipal, num: true },
  { head: t('Paid interest'), cell: (i) => i.paidInterest, num: true },
  { head: t('Waived interest'), cell: (i) => i.waivedInterest, num: true },
  { head: t('Owed'), cell: (i) => i.outstanding, num: true },
], sch.body.instalments, { csv: false })}
<h2>${t('Repayments')}</h2>
${table(req, [
  { head: t('Date'), cell: (r: Repayment) => r.date },
  { head: t('Amount'), cell: (r) => r.amount, num: true },
  { head: t('Penalty'), cell: (r) => r.penalty, num: true },
  { head: t('Interest'), cell: (r) => r.interest, num: true },
  { head: t('Principal'), cell: (r) => r.principal, num: true },
  { head: t('Subsidy'), cell: (r) => r.subsidy, num: true },
  { head: t('Entry number'), cell: (r) => r.entry },
  { head: t('Reference'), cell: (r) => recorded(r.reference) },
], l.repayments, { csv: false })}
<h2>${t('Timeline')}</h2>
${table(req, [
  { head: t('When'), cell: (ev: Event) => fmtTime(ev.at) },
  { head: t('Action'), cell: (ev) => label(lang, LOAN_EVENT, ev.action) },
  { head: t('Status'), cell: (ev) => (ev.fromStatus === ev.toStatus ? label(lang, LOAN_STATUS, ev.toStatus) : `${ev.fromStatus ? label(lang, LOAN_STATUS, ev.fromStatus) : '—'} → ${label(lang, LOAN_STATUS, ev.toStatus)}`) },
  { head: t('Amount'), cell: (ev) => ev.amount ?? '', num: true },
  { head: t('Who'), cell: (ev) => actorCell(lang, ev.actor) },
  { head: t('Note'), cell: (ev) => (ev.action === 'disbursed' ? systemText(lang, ev.note) : recorded(ev.note)) },
], l.timeline, { csv: false })}`,
  });
}

/** The API body of each action from the form. */
function bodyOf(verb: Verb, b: Record<string, unknown>): Record<string, unknown> {
  const s = (k: string) => str(b[k]);
  const opt = (k: string) => (s(k) ? { [k]: s(k) } : {});
  switch (verb) {
    case 'review': return { ...opt('recommendedAmount'), ...opt('note') };
    case 'approve': return { approvedAmount: s('approvedAmount'), ...opt('note') };
    case 'refuse': return { reasons: ([] as unknown[]).concat(b.reasons ?? []).map(String), note: s('note') };
    case 'withdraw': return opt('note');
    case 'disburse': return { date: s('date'), paymentRef: s('paymentRef') };
    case 'repay': return { amount: s('amount'), date: s('date'), ...opt('reference') };
    case 'write-off': return { note: s('note'), ...opt('date') };
    case 'restructure': return { termMonths: /^\d{1,3}$/.test(s('termMonths')) ? Number(s('termMonths')) : s('termMonths'), note: s('note'), ...opt('date') };
  }
}

export function loanDetailPages(r: Router) {
  const numeric = (req: Request) => /^\d{1,9}$/.test(String(req.params.id));
  r.get('/loans/:id', needUser(...LOAN_READ), (req, res, next) => (numeric(req) ? loanPage(req, res) : next()));
  r.get('/loans/:id/schedule.csv', needUser(...LOAN_READ), async (req, res, next) => {
    if (!numeric(req)) return next();
    const out = await callApi(req, 'GET', `/loans/${req.params.id}/schedule.csv`, { binary: true });
    if (!out.ok) return errorPage(req, res, out.status, apiError(out).message);
    res.type('text/csv; charset=utf-8').setHeader('Content-Disposition', out.headers.get('content-disposition') ?? 'attachment; filename="schedule.csv"');
    res.send(out.bytes);
  });
  r.get('/loans/:id/statement.pdf', needUser('officer', 'finance', 'auditor'), async (req, res, next) => {
    if (!numeric(req)) return next();
    await sendPdf(req, res, `/reports/loan-statement.pdf${qs({ loan: req.params.id })}`, `loan-statement-${req.params.id}`);
  });
  for (const verb of VERBS) {
    r.post(`/loans/:id/${verb}`, needUser(...VERB_ROLES[verb]), async (req, res, next) => {
      if (!numeric(req)) return next();
      const b = req.body as Record<string, unknown>;
      const path = verb === 'repay' ? `/loans/${req.params.id}/repayments` : `/loans/${req.params.id}/${verb}`;
      const out = await callApi(req, 'POST', path, { body: bodyOf(verb, b), idempotencyKey: IDEMPOTENT.includes(verb) ? str(b.idempotencyKey) || undefined : undefined });
      if (out.ok) return res.redirect(303, `/loans/${req.params.id}?saved=${verb}`);
      const values = Object.fromEntries(Object.entries(b).map(([k, x]) => [k, typeof x === 'string' ? x : '']));
      await loanPage(req, res, { form: verb, message: apiError(out).message, errors: fieldErrorsZh(req, out), values, status: out.status });
    });
  }
}
