import type { Request, Router } from 'express';
import { callApi, qs } from '../api';
import { html, type Html } from '../html';
import { AID_REASON, DISTRICT, label } from '../i18n';
import { hasRole, langOf, needUser, page, tr } from '../view';
import { shanghaiDate } from '../../platform/clock';
import { overdueVisitsSection } from './visits';
import { campaignDashboardSection } from './campaigns-roll';

const list = async (req: Request, path: string) => {
  const r = await callApi(req, 'GET', path);
  return r.ok ? (r.body.items as any[]) : [];
};

export function dashboardPages(r: Router) {
  r.get('/dashboard', needUser(), async (req, res) => {
    const t = tr(req), lang = langOf(req);
    const user = req.web!.user!;
    const sections: Html[] = [];
    const caseList = (items: any[]) =>
      items.length
        ? html`<ul class="todo">${items.slice(0, 20).map((c) => html`<li><a href="/cases/${c.id}">${c.caseNo}</a> · ${c.maskedName} · ${label(lang, DISTRICT, c.district)} · ${label(lang, AID_REASON, c.reason)} · ¥${c.approvedAmount ?? c.recommendedAmount ?? c.requestedAmount}</li>`)}</ul>${items.length > 20 ? html`<p>… ${items.length}</p>` : ''}`
        : html`<p>${t('Nothing waiting.')}</p>`;
    const section = (id: string, title: string, count: number, body: Html) =>
      html`<section class="card" aria-labelledby="${id}"><h2 id="${id}">${title} <span class="count">${count}</span></h2>${body}</section>`;

    if (hasRole(req, 'officer', 'approver')) {
      const submitted = (await list(req, `/aid-cases${qs({ status: 'submitted', limit: 100 })}`)).filter((c) => c.createdBy !== user.username);
      sections.push(section('todo-review', t('Waiting for review'), submitted.length, caseList(submitted)));
    }
    if (hasRole(req, 'officer')) {
      const drafts = await list(req, `/aid-cases${qs({ status: 'draft', limit: 100 })}`);
      sections.push(section('todo-drafts', `${t('Aid cases')} · ${t('Submit')}`, drafts.length, caseList(drafts)));
    }
    if (hasRole(req, 'approver')) {
      const reviewed = await list(req, `/aid-cases${qs({ status: 'reviewed', limit: 100 })}`);
      sections.push(section('todo-approve', t('Waiting for approval'), reviewed.length, caseList(reviewed)));
      // One list call for the open objections in the approver's scope (no call per case).
      const objections = await list(req, `/aid-objections${qs({ status: 'open', limit: 100 })}`);
      const cases = [...new Map(objections.map((o) => [o.caseId, { id: o.caseId, caseNo: o.caseNo, maskedName: o.maskedName, district: o.district, reason: o.reason, approvedAmount: o.approvedAmount }])).values()];
      sections.push(section('todo-objections', t('Open objections'), objections.length, html`${caseList(cases)}<p><a href="/objections">${t('Objections to handle')} →</a></p>`));
    }
    if (hasRole(req, 'finance')) {
      const payable = await list(req, `/aid-cases${qs({ status: 'payable', limit: 100 })}`);
      sections.push(section('todo-payable', t('Payable cases'), payable.length, html`${caseList(payable)}<p><a href="/payments">${t('Payments')} →</a></p>`));
      sections.push(section('todo-recon', t('Statements to reconcile'), 0, html`<p><a href="/reconciliation">${t('Bank reconciliation')} →</a></p>`));
    }
    sections.push(...(await overdueVisitsSection(req))); // files not visited recently (pages/visits.ts)
    sections.push(...(await campaignDashboardSection(req))); // relief campaigns waiting on this role, with progress
    const year = shanghaiDate().slice(0, 4);
    const target = await callApi(req, 'GET', `/targets/${year}`);
    if (target.ok) {
      const g = target.body;
      sections.push(section('todo-target', `${t('Target pace')} ${year}`, g.exited, html`<p>${t('Exited')} ${g.exited} / ${g.target} (${g.percent}%) · ${t('Required per week')} ${g.requiredPerWeek} · ${t('Current pace per week')} ${g.currentPerWeek} · <strong>${g.onTrack ? t('On track') : t('Behind')}</strong></p>
<div class="bar" role="img" aria-label="${g.percent}%"><svg viewBox="0 0 100 4" preserveAspectRatio="none" width="100%" height="16"><rect width="100" height="4" fill="#e8e2d8"/><rect width="${Math.min(100, Number(g.percent) || 0)}" height="4" fill="#c0392b"/></svg></div>
<p><a href="/targets">${t('Target tracker')} →</a></p>`));
    }
    page(req, res, { title: t('Dashboard'), body: html`<h1>${t('Dashboard')} · ${t('Today')}</h1><div class="cards">${sections}</div>` });
  });
}
