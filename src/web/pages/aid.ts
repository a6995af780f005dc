import crypto from 'node:crypto';
import type { Request, Response, Router } from 'express';
import { apiError, callApi, fieldErrors, qs } from '../api';
import { html } from '../html';
import { AID_REASON, DISTRICT, label, STATUS, TIER } from '../i18n';
import { csrfField, errorPage, field, fmtTime, hasRole, langOf, needUser, page, sendCsv, str, table, tr, wantsCsv, type Column } from '../view';
import { shanghaiDate } from '../../platform/clock';

const READ = ['officer', 'approver', 'finance', 'auditor'];
const STATUSES = ['draft', 'submitted', 'reviewed', 'in_notice', 'payable', 'paid', 'rejected', 'withdrawn', 'cancelled'];

export async function fundOptions(req: Request, withAll?: string): Promise<[string, string][]> {
  const out = await callApi(req, 'GET', '/funds');
  const funds: any[] = out.ok ? (Array.isArray(out.body) ? out.body : out.body.items ?? []) : [];
  const lang = langOf(req);
  return [...(withAll !== undefined ? ([['', withAll]] as [string, string][]) : []), ...funds.map((f) => [f.code, `${f.code} ${lang === 'zh' ? f.nameZh : f.nameEn}`] as [string, string])];
}

export function caseColumns(req: Request): Column<any>[] {
  const t = tr(req), lang = langOf(req);
  return [
    { head: t('Case no.'), cell: (c) => html`<a href="/cases/${c.id}">${c.caseNo}</a>`, csv: (c) => c.caseNo },
    { head: t('Household'), cell: (c) => c.maskedName },
    { head: t('District'), cell: (c) => label(lang, DISTRICT, c.district), csv: (c) => c.district },
    { head: t('Fund'), cell: (c) => c.fund },
    { head: t('Reason'), cell: (c) => label(lang, AID_REASON, c.reason), csv: (c) => c.reason },
    { head: t('Requested amount'), cell: (c) => c.requestedAmount, num: true },
    { head: t('Approved amount'), cell: (c) => c.approvedAmount ?? '', num: true },
    { head: t('Urgent'), cell: (c) => (c.urgent ? t('Yes') : ''), csv: (c) => c.urgent },
    { head: t('Status'), cell: (c) => html`<span class="badge s-${c.status}">${label(lang, STATUS, c.status)}</span>`, csv: (c) => c.status },
    { head: t('Created'), cell: (c) => fmtTime(c.createdAt), csv: (c) => c.createdAt },
  ];
}

export function aidPages(r: Router) {
  r.get('/cases', needUser(...READ), async (req, res) => {
    const t = tr(req), lang = langOf(req);
    const f = { status: str(req.query.status), district: str(req.query.district) };
    const out = await callApi(req, 'GET', `/aid-cases${qs({ ...f, limit: wantsCsv(req) ? 500 : 50, cursor: str(req.query.cursor) })}`);
    const items: any[] = out.ok ? out.body.items : [];
    const cols = caseColumns(req);
    if (wantsCsv(req)) return sendCsv(res, 'aid-cases', cols, items);
    page(req, res, {
      title: t('Aid cases'),
      body: html`<h1>${t('Aid cases')}</h1>
<form method="get" action="/cases" class="filters">
${field({ name: 'status', label: t('Status'), value: f.status, options: [['', t('All')], ...STATUSES.map((s) => [s, label(lang, STATUS, s)] as [string, string])] })}
${req.web!.user!.district ? '' : field({ name: 'district', label: t('District'), value: f.district, options: [['', t('All')], ...Object.keys(DISTRICT).map((d) => [d, label(lang, DISTRICT, d)] as [string, string])] })}
<button type="submit">${t('Filter')}</button>
</form>
${out.ok ? '' : html`<p class="error" role="alert">${apiError(out).message}</p>`}
${table(req, cols, items, { nextCursor: out.ok ? out.body.nextCursor : null })}`,
    });
  });

  const newForm = async (req: Request, res: Response, o: { values: any; errors?: Record<string, string>; message?: string; status?: number }) => {
    const t = tr(req), lang = langOf(req);
    const v = o.values, e = o.errors ?? {};
    let household = html``;
    if (v.householdId) {
      const h = await callApi(req, 'GET', `/households/${Number(v.householdId)}`);
      if (h.ok) household = html`<p>${t('Household')}: <a href="/households/${h.body.id}">${h.body.headName}</a> · ${label(lang, DISTRICT, h.body.district)}</p>`;
    }
    page(req, res, {
      title: t('Open an aid case'),
      status: o.status,
      body: html`<h1>${t('Open an aid case')}</h1>${household}
${o.message ? html`<div class="error" role="alert"><p>${t('Please correct the marked fields.')}</p><p>${o.message}</p></div>` : ''}
<form method="post" action="/cases/new" class="grid" novalidate>${csrfField(req)}
${field({ name: 'householdId', label: `${t('Household')} #`, type: 'number', value: v.householdId, required: true, error: e.householdId, attrs: 'min="1"' })}
${field({ name: 'fund', label: t('Fund'), value: v.fund, required: true, error: e.fund, options: await fundOptions(req, t('Choose…')) })}
${field({ name: 'reason', label: t('Reason'), value: v.reason, required: true, error: e.reason, options: [['', t('Choose…')], ...Object.keys(AID_REASON).map((k) => [k, label(lang, AID_REASON, k)] as [string, string])] })}
${field({ name: 'requestedAmount', label: `${t('Requested amount')} (¥)`, value: v.requestedAmount, required: true, error: e.requestedAmount, attrs: 'inputmode="decimal" placeholder="0.00"' })}
${field({ name: 'description', label: t('Description'), value: v.description, textarea: true, error: e.description, attrs: 'maxlength="2000"' })}
${field({ name: 'urgent', label: t('Urgent'), type: 'checkbox', value: v.urgent === 'true', error: e.urgent })}
<p class="wide"><button type="submit">${t('Save')}</button></p>
</form>`,
    });
  };

  r.get('/cases/new', needUser('officer'), (req, res) => newForm(req, res, { values: { householdId: str(req.query.household) } }));
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
    if (s === 'draft' && hasRole(req, 'officer')) actions.push(actionForm('submit', t('Submit'), html``));
    if (s === 'submitted' && hasRole(req, 'officer', 'approver'))
      actions.push(actionForm('review', t('Review'), html`${field({ name: 'recommendedAmount', label: `${t('Recommended amount')} (¥)`, value: c.requestedAmount, required: true, error: extra.form === 'review' ? e.recommendedAmount : undefined })}${field({ name: 'note', label: t('Note'), textarea: true })}`));
    if (s === 'reviewed' && hasRole(req, 'approver'))
      actions.push(actionForm('approve', t('Approve'), html`${field({ name: 'approvedAmount', label: `${t('Approved amount')} (¥)`, value: c.recommendedAmount ?? c.requestedAmount, required: true, error: extra.form === 'approve' ? e.approvedAmount : undefined })}${field({ name: 'note', label: t('Note'), textarea: true })}`));
    if ((s === 'submitted' || s === 'reviewed') && hasRole(req, 'approver'))
      actions.push(actionForm('reject', t('Reject'), html`${field({ name: 'note', label: `${t('Note')} (${t('Reject')})`, textarea: true, required: true, error: extra.form === 'reject' ? e.note : undefined })}`));
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
${c.recoveryNote ? html`<dt>!</dt><dd>${c.recoveryNote}</dd>` : ''}
</dl>
<section class="rules" aria-labelledby="h-rules"><h2 id="h-rules">${t('Approval rules')}</h2>
<ul><li>${t('Tier')}: <strong>${label(lang, TIER, c.tier)}</strong></li>
<li>${t('Approvals needed')}: ${c.approvalsNeeded} · ${t('Approvals')}: ${(c.approvals ?? []).map((a: any) => `${a.approver} ¥${a.amount}`).join('、') || '—'}</li>
<li>${t('Maker-checker')}: ${t('The creator and the reviewer of a case can never approve it.')}</li></ul></section>
${actions.length ? html`<h2>${t('Action')}</h2><div class="actions-grid">${actions}</div>` : ''}
<h2>${t('Objections')}</h2>
${objections.length ? html`<ul class="objections">${objections.map((o) => html`<li><p><span class="badge s-${o.status}">${label(lang, STATUS, o.status)}</span> ${fmtTime(o.createdAt)}</p><blockquote>${o.text}</blockquote>${o.note ? html`<p>${t('Outcome')}: ${o.note}</p>` : ''}
${o.status === 'open' && hasRole(req, 'approver') ? html`${err(`resolve-${o.id}`)}<form method="post" action="/cases/${c.id}/objections/${o.id}/resolve" class="grid">${csrfField(req)}
${field({ name: 'outcome', label: `${t('Outcome')} #${o.id}`, required: true, options: [['dismissed', t('Dismissed')], ['upheld', t('Upheld')]] })}
${field({ name: 'note', label: `${t('Note')} #${o.id}`, textarea: true, required: true })}
<p class="wide"><button type="submit">${t('Resolve')}</button></p></form>` : ''}</li>`)}</ul>` : html`<p>${t('No records.')}</p>`}
<h2>${t('Timeline')}</h2>
${table(req, [
  { head: t('When'), cell: (e: any) => fmtTime(e.at) },
  { head: t('Action'), cell: (e: any) => e.action },
  { head: t('Status'), cell: (e: any) => `${label(lang, STATUS, e.fromStatus)} → ${label(lang, STATUS, e.toStatus)}` },
  { head: t('Amount'), cell: (e: any) => e.amount ?? '', num: true },
  { head: t('Who'), cell: (e: any) => e.actor },
  { head: t('Note'), cell: (e: any) => e.note ?? '' },
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
  r.post('/cases/:id/objections/:oid/resolve', needUser('approver'), async (req, res) => {
    const id = Number(req.params.id), oid = Number(req.params.oid);
    const out = await callApi(req, 'POST', `/aid-cases/${id}/objections/${oid}/resolve`, { body: { outcome: str(req.body.outcome), note: str(req.body.note) } });
    if (out.ok) return res.redirect(303, `/cases/${id}?saved=1`);
    await casePage(req, res, { form: `resolve-${oid}`, message: apiError(out).message, status: out.status });
  });
}
