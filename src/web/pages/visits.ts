import type { Request, Router } from 'express';
import { apiError, callApi, qs } from '../api';
import { html, type Html } from '../html';
import { DISTRICT, label } from '../i18n';
import { EMPLOYMENT, HEALTH, HOUSING, NEED } from '../i18n-documents';
import { csrfField, errorPage, field, hasRole, langOf, needUser, str, tr } from '../view';
import { shanghaiDate } from '../../platform/clock';

// Home visits on the household page (history, record a visit, mark follow-ups done) and the dashboard's list of
// files not visited recently. Every rule is the API's (GET/POST /households/:id/visits, /households/visits/overdue).

interface Finding { status: string; note?: string }
interface FollowUp { id: number; action: string; dueDate: string; done: boolean; doneBy: string | null; doneNote: string | null; overdue: boolean }
interface VisitItem {
  id: number; date: string; visitors: { name: string }[]; summary: string | null; createdBy: string; healthMasked: boolean;
  findings: { housing?: Finding; health?: Finding | null; employment?: Finding; needs?: { items: string[]; note?: string } };
  followUps: FollowUp[];
}

/** The visits of a file for the household page (undefined when the viewer may not read them). */
export async function householdVisits(req: Request, householdId: number): Promise<VisitItem[] | undefined> {
  const r = await callApi<{ items: VisitItem[] }>(req, 'GET', `/households/${householdId}/visits`);
  return r.ok ? r.body.items : undefined;
}

/** The owners a document may be attached to among the visits (for the documents section's select). */
export const visitOwners = (req: Request, visits: VisitItem[] | undefined): [string, string][] =>
  (visits ?? []).map((v) => [`visit:${v.id}`, `${tr(req)('Visit')} ${v.date}`]);

export function visitsSection(req: Request, householdId: number, visits: VisitItem[] | undefined): Html | '' {
  if (visits === undefined) return '';
  const t = tr(req), lang = langOf(req);
  const canWrite = hasRole(req, 'officer');
  const today = shanghaiDate();
  const finding = (name: string, table: Record<string, [string, string]>, f: Finding | null | undefined) =>
    f ? html`<dt>${name}</dt><dd>${label(lang, table, f.status)}${f.note ? html` · ${f.note}` : ''}</dd>` : '';
  const followUp = (f: FollowUp) => html`<li>${f.action} · ${t('Due date')} ${f.dueDate}
${f.done ? html` · <span class="badge">${t('Done')}</span> ${f.doneNote ?? ''}` : f.overdue ? html` · <strong class="bad">${t('Overdue')}</strong>` : ''}
${canWrite && !f.done ? html`<form method="post" action="/households/${householdId}/follow-ups/${f.id}/done" class="inline">${csrfField(req)}<button type="submit">${t('Mark done')}</button></form>` : ''}</li>`;
  const visit = (v: VisitItem) => html`<article class="visit card" data-visit="${v.id}"><h3>${t('Visit')} ${v.date} · ${v.visitors.map((p) => p.name).join('、')}</h3>
<dl class="facts">
${finding(t('Housing'), HOUSING, v.findings.housing)}
${v.healthMasked ? html`<dt>${t('Health')}</dt><dd>${t('Health details are shown only to the district and the foundation.')}</dd>` : finding(t('Health'), HEALTH, v.findings.health)}
${finding(t('Employment'), EMPLOYMENT, v.findings.employment)}
${v.findings.needs ? html`<dt>${t('Needs')}</dt><dd>${v.findings.needs.items.map((n) => label(lang, NEED, n)).join('、')}${v.findings.needs.note ? html` · ${v.findings.needs.note}` : ''}</dd>` : ''}
${v.summary ? html`<dt>${t('Visit summary')}</dt><dd>${v.summary}</dd>` : ''}
</dl>
${v.followUps.length ? html`<h4>${t('Follow-up actions')}</h4><ul>${v.followUps.map(followUp)}</ul>` : ''}</article>`;
  const select = (name: string, l: string, table: Record<string, [string, string]>) =>
    field({ name, label: l, options: [['', t('Not set')], ...Object.keys(table).map((k) => [k, label(lang, table, k)] as [string, string])] });
  const form = canWrite
    ? html`<form method="post" action="/households/${householdId}/visits" class="grid" aria-labelledby="h-visit-new">${csrfField(req)}
<h3 id="h-visit-new" class="wide">${t('Record a visit')}</h3>
${field({ name: 'date', label: t('Visit date'), type: 'date', value: today, required: true, attrs: `max="${today}"` })}
${field({ name: 'visitors', label: t('Visitors'), required: true, hint: t('Names, separated by commas') })}
${select('housing', t('Housing'), HOUSING)}${field({ name: 'housingNote', label: `${t('Housing')} · ${t('Finding note')}` })}
${select('health', t('Health'), HEALTH)}${field({ name: 'healthNote', label: `${t('Health')} · ${t('Finding note')}` })}
${select('employment', t('Employment'), EMPLOYMENT)}${field({ name: 'employmentNote', label: `${t('Employment')} · ${t('Finding note')}` })}
${field({ name: 'needs', label: t('Needs'), multiple: true, options: Object.keys(NEED).map((k) => [k, label(lang, NEED, k)] as [string, string]), selected: [] })}
${field({ name: 'needsNote', label: `${t('Needs')} · ${t('Finding note')}` })}
${field({ name: 'summary', label: t('Visit summary'), textarea: true })}
${[0, 1].map((i) => html`${field({ name: `f${i}_action`, label: `${t('Follow-up action')} ${i + 1}` })}${field({ name: `f${i}_due`, label: `${t('Due date')} ${i + 1}`, type: 'date' })}`)}
<p class="wide"><button type="submit">${t('Record a visit')}</button></p></form>`
    : '';
  return html`<section id="visits" aria-labelledby="h-visits"><h2 id="h-visits">${t('Home visits')}</h2>
${visits.length ? visits.map(visit) : html`<p>${t('Not visited yet.')}</p>`}
${form}</section>`;
}

/** The form's fields as the API's body (empty findings left out, so the API names what is missing). */
function visitBody(b: Record<string, unknown>) {
  const findings: Record<string, unknown> = {};
  for (const k of ['housing', 'health', 'employment'] as const) {
    if (str(b[k])) findings[k] = { status: str(b[k]), ...(str(b[`${k}Note`]) ? { note: str(b[`${k}Note`]) } : {}) };
  }
  const needs = ([] as unknown[]).concat(b.needs ?? []).filter((n): n is string => typeof n === 'string' && n !== '');
  if (needs.length || str(b.needsNote)) findings.needs = { items: needs, ...(str(b.needsNote) ? { note: str(b.needsNote) } : {}) };
  const followUps = [0, 1].filter((i) => str(b[`f${i}_action`]) || str(b[`f${i}_due`])).map((i) => ({ action: str(b[`f${i}_action`]), dueDate: str(b[`f${i}_due`]) }));
  return {
    date: str(b.date),
    visitors: str(b.visitors).split(/[,，、]/).map((s) => s.trim()).filter(Boolean).map((name) => ({ name })),
    findings,
    ...(str(b.summary) ? { summary: str(b.summary) } : {}),
    ...(followUps.length ? { followUps } : {}),
  };
}

/** The dashboard's section (none for roles that may not list files): files in hardship not visited for longer than VISIT_OVERDUE_DAYS. */
export async function overdueVisitsSection(req: Request): Promise<Html[]> {
  if (!hasRole(req, 'officer', 'approver', 'auditor')) return [];
  const r = await callApi(req, 'GET', `/households/visits/overdue${qs({ limit: 20 })}`);
  if (!r.ok) return [];
  const t = tr(req), lang = langOf(req);
  const items = r.body.items as { householdId: number; headName: string; district: string; lastVisitDate: string | null; daysSinceVisit: number }[];
  return [html`<section class="card" aria-labelledby="todo-visits"><h2 id="todo-visits">${t('Households not visited recently')} <span class="count">${r.body.total}</span></h2>
${items.length ? html`<ul class="todo">${items.map((i) => html`<li><a href="/households/${i.householdId}#visits">${i.headName}</a> · ${label(lang, DISTRICT, i.district)} · ${t('Last visit')} ${i.lastVisitDate ?? t('never')} · ${i.daysSinceVisit} ${t('days')}</li>`)}</ul>` : html`<p>${t('Nothing waiting.')}</p>`}</section>`];
}

export function visitPages(r: Router) {
  r.post('/households/:id/visits', needUser('officer'), async (req, res) => {
    const id = Number(req.params.id);
    const out = await callApi(req, 'POST', `/households/${Number.isSafeInteger(id) ? id : 0}/visits`, { body: visitBody(req.body ?? {}) });
    if (out.ok) return res.redirect(303, `/households/${id}?saved=1#visits`);
    errorPage(req, res, out.status, apiError(out).message);
  });
  r.post('/households/:id/follow-ups/:actionId/done', needUser('officer'), async (req, res) => {
    const id = Number(req.params.id), actionId = Number(req.params.actionId);
    const ok = Number.isSafeInteger(id) && Number.isSafeInteger(actionId);
    const out = await callApi(req, 'POST', `/households/${ok ? id : 0}/follow-ups/${ok ? actionId : 0}/done`, { body: {} });
    if (out.ok) return res.redirect(303, `/households/${id}?saved=1#visits`);
    errorPage(req, res, out.status, apiError(out).message);
  });
}
