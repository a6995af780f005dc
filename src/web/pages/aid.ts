import crypto from 'node:crypto';
import type { Request, Response, Router } from 'express';
import { apiError, callApi, fieldErrors, qs } from '../api';
import { html } from '../html';
import { AID_REASON, DISTRICT, label, STATUS, TIER } from '../i18n';
import { actorCell, AID_EVENT, systemText } from '../i18n-people';
import { householdChoices } from './households';
import { csrfField, errorPage, field, fmtTime, hasRole, langOf, needUser, page, sendCsv, str, table, tr, wantsCsv, type Column } from '../view';
import { shanghaiDate } from '../../platform/clock';

const READ = ['officer', 'approver', 'finance', 'auditor'];
const STATUSES = ['draft', 'submitted', 'reviewed', 'in_notice', 'payable', 'paid', 'rejected', 'withdrawn', 'cancelled'];

export async function fundOptions(req: Request, withAll?: string, only?: (f: any) => boolean): Promise<[string, string][]> {
  const out = await callApi(req, 'GET', '/funds');
  const funds: any[] = out.ok ? (Array.isArray(out.body) ? out.body : out.body.items ?? []) : [];
  const lang = langOf(req);
  return [...(withAll !== undefined ? ([['', withAll]] as [string, string][]) : []), ...funds.filter(only ?? (() => true)).map((f) => [f.code, `${f.code} ${lang === 'zh' ? f.nameZh : f.nameEn}`] as [string, string])];
}

/** The funds a case of this district may draw on (the API's rule: the district's own funds or the foundation fund). */
export const fundFitsDistrict = (district: string | null | undefined) => (f: any) => (!!district && f.district === district) || (f.kind === 'foundation' && !f.district);

/** Who has touched the case, from its timeline and approvals (usernames). */
function caseActors(c: any) {
  const tl: any[] = c.timeline ?? [];
  return {
    creator: tl.find((e) => e.action === 'created')?.actor as string | undefined,
    reviewer: [...tl].reverse().find((e) => e.action === 'reviewed')?.actor as string | undefined,
    approvers: (c.approvals ?? []).map((a: any) => a.approver as string),
  };
}

/**
 * Why this user would be refused an action on this case, or null: the same rules the API applies
 * (maker-checker, tier, district, fund), worked out beforehand so the page does not offer a form that fails.
 * The API still decides; this only chooses what to show.
 */
export function refusalOf(req: Request, c: any, verb: 'review' | 'approve' | 'reject' | 'resolve', fund?: any): string | null {
  const t = tr(req);
  const user = req.web!.user!;
  const who = caseActors(c);
  const mine = (s: string | undefined) => !!s && s === user.username;
  if (user.district && c.district !== user.district) return t('This case is not in your district.');
  if (verb === 'review' && mine(who.creator)) return t('You created this case: you cannot review it.');
  if (verb === 'reject' && mine(who.creator)) return t('You created this case: you cannot reject it.');
  if (verb === 'resolve' && (mine(who.creator) || mine(who.reviewer) || who.approvers.includes(user.username))) return t('You created, reviewed or approved this case: you cannot resolve objections to it.');
  if (verb === 'approve') {
    if (mine(who.creator)) return t('You created this case: you cannot approve it.');
    if (mine(who.reviewer)) return t('You reviewed this case: you cannot approve it.');
    if (who.approvers.includes(user.username)) return t('You have already approved this case: a second, different foundation approver is needed.');
    if (user.district && c.tier !== 'district') return `${t('The amount is above the district approvers’ limit: a foundation approver must approve it.')} (¥${c.recommendedAmount ?? c.requestedAmount} > ¥${c.tierLimits?.district ?? ''})`;
    if (user.district && fund && fund.district !== user.district) return `${t('The case draws on a fund that is not your district’s: a foundation approver must approve it.')} (${fund.code})`;
  }
  return null;
}

const timelineNote = (lang: 'zh' | 'en', e: any) => (e.actor === 'system' || e.action === 'paid' ? systemText(lang, e.note) : e.note ?? '');

export function caseColumns(req: Request): Column<any>[] {
  const t = tr(req), lang = langOf(req);
  return [
    { head: t('Case no.'), cell: (c) => html`<a href="/cases/${c.id}">${c.caseNo}</a>`, csv: (c) => c.caseNo },
    { head: t('Household'), cell: (c) => c.maskedName },
    { head: t('District'), cell: (c) => label(lang, DISTRICT, c.district) },
    { head: t('Fund'), cell: (c) => c.fund },
    { head: t('Reason'), cell: (c) => label(lang, AID_REASON, c.reason) },
    { head: t('Requested amount'), cell: (c) => c.requestedAmount, num: true },
    { head: t('Approved amount'), cell: (c) => c.approvedAmount ?? '', num: true },
    { head: t('Urgent'), cell: (c) => (c.urgent ? t('Yes') : '') },
    { head: t('Status'), cell: (c) => html`<span class="badge s-${c.status}">${label(lang, STATUS, c.status)}</span>` },
    { head: t('Created'), cell: (c) => fmtTime(c.createdAt) },
  ];
}

export function aidPages(r: Router) {
  r.get('/cases', needUser(...READ), async (req, res) => {
    const t = tr(req), lang = langOf(req);
    const f = {
      status: str(req.query.status), district: str(req.query.district), reason: str(req.query.reason),
      minAmount: str(req.query.minAmount), maxAmount: str(req.query.maxAmount), from: str(req.query.from), to: str(req.query.to),
    };
    const out = await callApi(req, 'GET', `/aid-cases${qs({ ...f, limit: wantsCsv(req) ? 500 : 50, cursor: str(req.query.cursor) })}`);
    const fe = out.ok ? {} : fieldErrors(out);
    const items: any[] = out.ok ? out.body.items : [];
    const cols = caseColumns(req);
    if (wantsCsv(req)) return sendCsv(res, 'aid-cases', cols, items);
    page(req, res, {
      title: t('Aid cases'),
      body: html`<h1>${t('Aid cases')}</h1>
<form method="get" action="/cases" class="filters">
${field({ name: 'status', label: t('Status'), value: f.status, error: fe.status, options: [['', t('All')], ...STATUSES.map((s) => [s, label(lang, STATUS, s)] as [string, string])] })}
${field({ name: 'reason', label: t('Reason'), value: f.reason, error: fe.reason, options: [['', t('All')], ...Object.keys(AID_REASON).map((k) => [k, label(lang, AID_REASON, k)] as [string, string])] })}
${req.web!.user!.district ? '' : field({ name: 'district', label: t('District'), value: f.district, error: fe.district, options: [['', t('All')], ...Object.keys(DISTRICT).map((d) => [d, label(lang, DISTRICT, d)] as [string, string])] })}
${field({ name: 'minAmount', label: `${t('Minimum amount')} (¥)`, value: f.minAmount, error: fe.minAmount, attrs: 'inputmode="decimal" size="9"' })}
${field({ name: 'maxAmount', label: `${t('Maximum amount')} (¥)`, value: f.maxAmount, error: fe.maxAmount, attrs: 'inputmode="decimal" size="9"' })}
${field({ name: 'from', label: t('Created from'), type: 'date', value: f.from, error: fe.from })}
${field({ name: 'to', label: t('Created to'), type: 'date', value: f.to, error: fe.to })}
<button type="submit">${t('Filter')}</button> <a href="/cases">${t('Reset')}</a>
</form>
${out.ok ? '' : html`<p class="error" role="alert">${apiError(out).message}</p>`}
${table(req, cols, items, { nextCursor: out.ok ? out.body.nextCursor : null })}`,
    });
  });

  const newForm = async (req: Request, res: Response, o: { values: any; errors?: Record<string, string>; message?: string; status?: number }) => {
    const t = tr(req), lang = langOf(req);
    const v = o.values, e = o.errors ?? {};
    let household = html``;
    let hh: any = null;
    if (/^\d{1,9}$/.test(String(v.householdId ?? ''))) {
      const h = await callApi(req, 'GET', `/households/${Number(v.householdId)}`);
      if (h.ok) hh = h.body;
    }
    const q = str(req.query.q);
    let results = html``;
    if (!hh && q) {
      const found = await callApi(req, 'GET', `/households${qs({ q: q.slice(0, 50), limit: 20 })}`);
      const items = found.ok ? householdChoices(req, found.body.items) : [];
      results = found.ok ? html`${items.length ? '' : html`<p>${t('No household found.')}</p>`}` : html`<p class="error" role="alert">${apiError(found).message}</p>`;
      results = html`${results}${pickList(items)}`;
    }
    function pickList(items: any[]) {
      return html`<ul class="picker" data-hh-results aria-live="polite">${items.map((h) => html`<li><a href="${h.href}">${h.headName}</a> · ${h.district} · ${h.status} · ${t('Per-capita income')} ¥${h.perCapitaIncome}</li>`)}</ul>`;
    }
    if (hh) {
      const la = (hh.assessments ?? [])[0];
      household = html`<section class="card" aria-labelledby="h-hh"><h2 id="h-hh">${t('Household')}</h2><p><a href="/households/${hh.id}">${hh.headName}</a> · ${label(lang, DISTRICT, hh.district)} · ${label(lang, STATUS, hh.status)} · ${t('Per-capita income')} ¥${la ? la.perCapitaIncome : hh.perCapitaIncome}${la ? ` (${t('Assessed on')} ${la.date})` : ` (${t('At intake')})`}</p>
<p><a href="/cases/new">${t('Another household')}</a></p></section>`;
    } else {
      household = html`<section class="card" aria-labelledby="h-hh"><h2 id="h-hh">${t('Choose a household')}</h2>
${e.householdId ? html`<p class="err" role="alert">${e.householdId}</p>` : ''}
<form method="get" action="/cases/new" class="filters" role="search">
${field({ name: 'q', label: t('Search by name or ID number (your district)'), type: 'search', value: q, hint: t('Type a name or an ID number, then search.'), attrs: 'autocomplete="off" maxlength="50" data-hh-search="/households/search.json"' })}
<button type="submit">${t('Search')}</button></form>
${results.value ? results : pickList([])}</section>`;
    }
    const funds = await fundOptions(req, t('Choose…'), fundFitsDistrict(hh?.district ?? req.web!.user!.district));
    page(req, res, {
      title: t('Open an aid case'),
      status: o.status,
      body: html`<h1>${t('Open an aid case')}</h1>${household}
<script src="/assets/people.js" defer></script>
${o.message ? html`<div class="error" role="alert"><p>${t('Please correct the marked fields.')}</p><p>${o.message}</p></div>` : ''}
<form method="post" action="/cases/new" class="grid" novalidate>${csrfField(req)}
<input type="hidden" name="householdId" value="${hh ? hh.id : ''}">
${field({ name: 'fund', label: t('Fund'), value: v.fund, required: true, error: e.fund, options: funds, hint: `${t('Funds this case may use')}: ${t('Only the funds of the household’s district and the foundation fund.')}` })}
${field({ name: 'reason', label: t('Reason'), value: v.reason, required: true, error: e.reason, options: [['', t('Choose…')], ...Object.keys(AID_REASON).map((k) => [k, label(lang, AID_REASON, k)] as [string, string])] })}
${field({ name: 'requestedAmount', label: `${t('Requested amount')} (¥)`, value: v.requestedAmount, required: true, error: e.requestedAmount, attrs: 'inputmode="decimal" placeholder="0.00"' })}
${field({ name: 'description', label: t('Description'), value: v.description, textarea: true, error: e.description, attrs: 'maxlength="2000"' })}
${field({ name: 'urgent', label: t('Urgent'), type: 'checkbox', value: v.urgent === 'true', error: e.urgent })}
<p class="wide"><button type="submit">${t('Save')}</button></p>
</form>`,
    });
  };

  r.get('/cases/new', needUser('officer'), (req, res) => newForm(req, res, { values: { householdId: str(req.query.household) } }));
  r.post('/cases/new', needUser('officer'), async (req, res, next) => {
    // No household chosen: say so at the picker instead of sending the API a request it can only refuse.
    if (!/^\d{1,9}$/.test(str(req.body.householdId))) return newForm(req, res, { values: req.body, errors: { householdId: tr(req)('Choose a household first.') }, message: tr(req)('Choose a household first.'), status: 400 });
    next();
  });
  r.post('/cases/new', needUser('officer'), async (req, res) => {
    const b = req.body;
    const hid = str(b.householdId);
    const body = { householdId: /^\d{1,9}$/.test(hid) ? Number(hid) : hid, fund: str(b.fund), reason: str(b.reason), description: typeof b.description === 'string' ? b.description : '', requestedAmount: str(b.requestedAmount), urgent: b.urgent === 'true' };
    const out = await callApi(req, 'POST', '/aid-cases', { body });
    if (out.ok) return res.redirect(303, `/cases/${out.body.id}?saved=1`);
    await newForm(req, res, { values: b, errors: fieldErrors(out), message: apiError(out).message, status: out.status });
  });

  const casePage = async (req: Request, res: Response, extra: { form?: string; message?: string; errors?: Record<string, string>; status?: number } = {}) => {
    const t = tr(req), lang = langOf(req);
    const id = Number(req.params.id);
    const out = await callApi(req, 'GET', `/aid-cases/${id}`);
    if (!out.ok) return errorPage(req, res, out.status, apiError(out).message);
    const c = out.body;
    const e = extra.errors ?? {};
    const err = (form: string) => (extra.form === form && extra.message ? html`<p class="error" role="alert" id="err-${form}">${extra.message}</p>` : '');
    const actionForm = (verb: string, title: string, fields: ReturnType<typeof html>) =>
      html`<section class="action" aria-labelledby="h-${verb}"><h3 id="h-${verb}">${title}</h3>${err(verb)}
<form method="post" action="/cases/${c.id}/${verb}" class="grid">${csrfField(req)}${fields}<p class="wide"><button type="submit" name="do" value="${verb}">${title}</button></p></form></section>`;
    const actions: ReturnType<typeof html>[] = [];
    const s = c.status;
    // A form the API would refuse is not offered: its place says why (an error from a refused post still shows).
    const user = req.web!.user!;
    const fund = s === 'reviewed' && hasRole(req, 'approver') && user.district ? await callApi(req, 'GET', `/funds/${encodeURIComponent(c.fund)}`).then((f) => (f.ok ? f.body : undefined)) : undefined;
    const refused = (verb: string, title: string, why: string) =>
      html`<section class="action refused" aria-labelledby="h-${verb}"><h3 id="h-${verb}">${title}</h3>${err(verb)}<p class="hint" id="why-${verb}"><strong>${t('Why you cannot act here')}:</strong> ${why}</p></section>`;
    const guarded = (verb: 'review' | 'approve' | 'reject', title: string, fields: ReturnType<typeof html>) => {
      const why = refusalOf(req, c, verb, fund);
      actions.push(why ? refused(verb, title, why) : actionForm(verb, title, fields));
    };
    if (s === 'draft' && hasRole(req, 'officer')) actions.push(actionForm('submit', t('Submit'), html``));
    if (s === 'submitted' && hasRole(req, 'officer', 'approver'))
      guarded('review', t('Review'), html`${field({ name: 'recommendedAmount', label: `${t('Recommended amount')} (¥)`, value: c.requestedAmount, required: true, error: extra.form === 'review' ? e.recommendedAmount : undefined })}${field({ name: 'note', label: t('Note'), textarea: true })}`);
    if (s === 'reviewed' && hasRole(req, 'approver'))
      guarded('approve', t('Approve'), html`${field({ name: 'approvedAmount', label: `${t('Approved amount')} (¥)`, value: c.recommendedAmount ?? c.requestedAmount, required: true, error: extra.form === 'approve' ? e.approvedAmount : undefined })}${field({ name: 'note', label: t('Note'), textarea: true })}`);
    if ((s === 'submitted' || s === 'reviewed') && hasRole(req, 'approver'))
      guarded('reject', t('Reject'), html`${field({ name: 'note', label: `${t('Note')} (${t('Reject')})`, textarea: true, required: true, error: extra.form === 'reject' ? e.note : undefined })}`);
    if (['draft', 'submitted', 'reviewed'].includes(s) && hasRole(req, 'officer'))
      actions.push(actionForm('withdraw', t('Withdraw'), html`${field({ name: 'note', label: `${t('Note')} (${t('Withdraw')})`, textarea: true })}`));
    if ((s === 'payable' || (s === 'in_notice' && c.urgent)) && hasRole(req, 'finance'))
      actions.push(actionForm('disburse', t('Pay'), html`${field({ name: 'paymentRef', label: t('Payment reference'), required: true, error: extra.form === 'disburse' ? e.paymentRef : undefined })}${field({ name: 'date', label: t('Date'), type: 'date', value: shanghaiDate(), required: true, error: extra.form === 'disburse' ? e.date : undefined })}<input type="hidden" name="idempotencyKey" value="${crypto.randomUUID()}">`));
    const objections: any[] = c.objections ?? [];
    page(req, res, {
      title: `${t('Aid case')} ${c.caseNo}`,
      status: extra.status,
      flash: req.query.saved ? t('Saved') : undefined,
      body: html`<h1>${t('Aid case')} ${c.caseNo} <span class="badge s-${c.status}" id="case-status">${label(lang, STATUS, c.status)}</span></h1>
<dl class="facts">
<dt>${t('Household')}</dt><dd><a href="/households/${c.householdId}">${c.maskedName}</a></dd>
<dt>${t('District')}</dt><dd>${label(lang, DISTRICT, c.district)}</dd>
<dt>${t('Fund')}</dt><dd>${c.fund}</dd>
<dt>${t('Reason')}</dt><dd>${label(lang, AID_REASON, c.reason)}${c.urgent ? html` · <strong>${t('Urgent')}</strong>` : ''}</dd>
<dt>${t('Description')}</dt><dd>${c.description}</dd>
<dt>${t('Requested amount')}</dt><dd>¥${c.requestedAmount}</dd>
<dt>${t('Recommended amount')}</dt><dd>${c.recommendedAmount ? `¥${c.recommendedAmount}` : ''}</dd>
<dt>${t('Approved amount')}</dt><dd>${c.approvedAmount ? `¥${c.approvedAmount}` : ''}</dd>
<dt>${t('Aid this year')}</dt><dd>¥${c.householdAidThisYear}</dd>
${c.noticeStart ? html`<dt>${t('Notice')}</dt><dd>${fmtTime(c.noticeStart)} – ${fmtTime(c.noticeEnd)}</dd>` : ''}
${c.paidDate ? html`<dt>${t('Paid on')}</dt><dd>${c.paidDate} · ${c.paymentRef}</dd>` : ''}
${c.recoveryNote ? html`<dt>${t('Recovery note')}</dt><dd>${c.recoveryNote}</dd>` : ''}
</dl>
<section class="rules" aria-labelledby="h-rules"><h2 id="h-rules">${t('Approval rules')}</h2>
<ul><li>${t('Tier')}: <strong>${label(lang, TIER, c.tier)}</strong></li>
<li>${t('Approvals needed')}: ${c.approvalsNeeded} · ${t('Approvals')}: ${(c.approvals ?? []).length ? (c.approvals as any[]).map((a, i) => html`${i ? '、' : ''}${actorCell(lang, a.approver)} ¥${a.amount}`) : '—'}</li>
${c.tierLimits ? html`<li>${t('District approvers approve up to')} ¥${c.tierLimits.district}；${t('one foundation approver up to')} ¥${c.tierLimits.foundation}；${t('above that, two foundation approvers')}</li>` : ''}
<li>${t('Maker-checker')}: ${t('The creator and the reviewer of a case can never approve it.')}</li></ul></section>
${actions.length ? html`<h2>${t('Action')}</h2><div class="actions-grid">${actions}</div>` : ''}
<h2>${t('Objections')}</h2>
${objections.length ? html`<ul class="objections">${objections.map((o) => html`<li><p><span class="badge s-${o.status}">${label(lang, STATUS, o.status)}</span> ${fmtTime(o.createdAt)}</p><blockquote>${o.text}</blockquote>${o.note ? html`<p>${t('Outcome')}: ${o.note}</p>` : ''}
${o.status === 'open' && hasRole(req, 'approver') && refusalOf(req, c, 'resolve') ? html`${err(`resolve-${o.id}`)}<p class="hint" id="why-resolve-${o.id}"><strong>${t('Why you cannot act here')}:</strong> ${refusalOf(req, c, 'resolve')}</p>` : ''}
${o.status === 'open' && hasRole(req, 'approver') && !refusalOf(req, c, 'resolve') ? html`${err(`resolve-${o.id}`)}<form method="post" action="/cases/${c.id}/objections/${o.id}/resolve" class="grid">${csrfField(req)}
${field({ name: 'outcome', label: `${t('Outcome')} #${o.id}`, required: true, options: [['dismissed', t('Dismissed')], ['upheld', t('Upheld')]] })}
${field({ name: 'note', label: `${t('Note')} #${o.id}`, textarea: true, required: true })}
<p class="wide"><button type="submit">${t('Resolve')}</button></p></form>` : ''}</li>`)}</ul>` : html`<p>${t('No records.')}</p>`}
<h2>${t('Timeline')}</h2>
${table(req, [
  { head: t('When'), cell: (e: any) => fmtTime(e.at) },
  { head: t('Action'), cell: (e: any) => label(lang, AID_EVENT, e.action) },
  { head: t('Status'), cell: (e: any) => (e.fromStatus === e.toStatus ? label(lang, STATUS, e.toStatus) : `${e.fromStatus ? label(lang, STATUS, e.fromStatus) : '—'} → ${label(lang, STATUS, e.toStatus)}`) },
  { head: t('Amount'), cell: (e: any) => e.amount ?? '', num: true },
  { head: t('Who'), cell: (e: any) => actorCell(lang, e.actor) },
  { head: t('Note'), cell: (e: any) => timelineNote(lang, e) },
], c.timeline ?? [], { csv: false })}`,
    });
  };

  r.get('/cases/:id', needUser(...READ), (req, res) => casePage(req, res));

  const ACTIONS: Record<string, string[]> = { submit: ['officer'], review: ['officer', 'approver'], approve: ['approver'], reject: ['approver'], withdraw: ['officer'], disburse: ['finance'] };
  for (const [verb, roles] of Object.entries(ACTIONS)) {
    r.post(`/cases/:id/${verb}`, needUser(...roles), async (req, res) => {
      const b = req.body;
      const note = typeof b.note === 'string' ? b.note.trim() : undefined;
      const body: Record<string, unknown> = {};
      if (verb === 'review') Object.assign(body, { recommendedAmount: str(b.recommendedAmount), ...(note ? { note } : {}) });
      else if (verb === 'approve') Object.assign(body, { approvedAmount: str(b.approvedAmount), ...(note ? { note } : {}) });
      else if (verb === 'reject') body.note = note ?? '';
      else if (verb === 'disburse') Object.assign(body, { paymentRef: str(b.paymentRef), date: str(b.date) });
      else if (note) body.note = note;
      const id = Number(req.params.id);
      const out = await callApi(req, 'POST', `/aid-cases/${id}/${verb}`, { body, idempotencyKey: verb === 'disburse' ? str(b.idempotencyKey) || undefined : undefined });
      if (out.ok) return res.redirect(303, `/cases/${id}?saved=1`);
      await casePage(req, res, { form: verb, message: apiError(out).message, errors: fieldErrors(out), status: out.status });
    });
  }
  // Approvers' work list: objections across the cases they may see (resolved on the case page).
  r.get('/objections', needUser('approver', 'auditor'), async (req, res) => {
    const t = tr(req), lang = langOf(req);
    const status = ['open', 'upheld', 'dismissed'].includes(str(req.query.status)) ? str(req.query.status) : 'open';
    const out = await callApi(req, 'GET', `/aid-objections${qs({ status, limit: wantsCsv(req) ? 500 : 50, cursor: str(req.query.cursor) })}`);
    const items: any[] = out.ok ? out.body.items : [];
    const cols: Column<any>[] = [
      { head: t('Case no.'), cell: (o) => html`<a href="/cases/${o.caseId}">${o.caseNo}</a>`, csv: (o) => o.caseNo },
      { head: t('Household'), cell: (o) => o.maskedName },
      { head: t('District'), cell: (o) => label(lang, DISTRICT, o.district) },
      { head: t('Reason'), cell: (o) => label(lang, AID_REASON, o.reason) },
      { head: t('Approved amount'), cell: (o) => o.approvedAmount ?? '', num: true },
      { head: t('Case status'), cell: (o) => html`<span class="badge s-${o.caseStatus}">${label(lang, STATUS, o.caseStatus)}</span>`, csv: (o) => label(lang, STATUS, o.caseStatus) },
      { head: t('Notice ends'), cell: (o) => fmtTime(o.noticeEnd) },
      { head: t('Filed'), cell: (o) => fmtTime(o.createdAt) },
      { head: t('Objections'), cell: (o) => html`<blockquote>${o.text}</blockquote>`, csv: (o) => o.text },
      { head: t('Status'), cell: (o) => html`<span class="badge s-${o.status}">${label(lang, STATUS, o.status)}</span>${o.note ? html` ${o.note}` : ''}`, csv: (o) => `${label(lang, STATUS, o.status)} ${o.note ?? ''}` },
    ];
    if (wantsCsv(req)) return sendCsv(res, 'objections', cols, items);
    page(req, res, {
      title: t('Objections to handle'),
      body: html`<h1>${t('Objections to handle')}</h1>
<form method="get" action="/objections" class="filters">
${field({ name: 'status', label: t('Status'), value: status, options: ['open', 'upheld', 'dismissed'].map((s) => [s, label(lang, STATUS, s)] as [string, string]) })}
<button type="submit">${t('Filter')}</button></form>
<p class="hint">${t('Open the case to resolve')}.</p>
${out.ok ? '' : html`<p class="error" role="alert">${apiError(out).message}</p>`}
${table(req, cols, items, { nextCursor: out.ok ? out.body.nextCursor : null })}`,
    });
  });

  r.post('/cases/:id/objections/:oid/resolve', needUser('approver'), async (req, res) => {
    const id = Number(req.params.id), oid = Number(req.params.oid);
    const out = await callApi(req, 'POST', `/aid-cases/${id}/objections/${oid}/resolve`, { body: { outcome: str(req.body.outcome), note: str(req.body.note) } });
    if (out.ok) return res.redirect(303, `/cases/${id}?saved=1`);
    await casePage(req, res, { form: `resolve-${oid}`, message: apiError(out).message, status: out.status });
  });
}
