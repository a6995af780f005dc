// 送温暖活动 Relief campaigns: the list, a new campaign (rules per category, add-ons, cap, eligibility, quotas,
// funds), one campaign's page (rules, roll totals, approval rules with maker-checker, actions offered only to
// whom the API would allow them, objections, timeline) and its steps. The roll, review and progress pages:
// campaigns-roll.ts; payment and the bank files: campaigns-money.ts; the public notice: campaigns-public.ts.
// Everything through the JSON API.
import type { Request, Response, Router } from 'express';
import { apiError, callApi, fieldErrors, qs, type ApiResult } from '../api';
import { html, type Html } from '../html';
import { CATEGORY, CAUSE, DISTRICT, label, STATUS, TIER, type Lang } from '../i18n';
import { CAMPAIGN_EVENT, CAMPAIGN_KIND, CAMPAIGN_STATUS, campaignNote } from '../i18n-campaigns';
import { csrfField, errorPage, field, fmtTime, hasRole, langOf, needUser, page, recorded, sendCsv, str, table, tr, wantsExport, type Column } from '../view';
import { shanghaiDate } from '../../platform/clock';
import { fundFitsDistrict, fundOptions } from './aid';
import { campaignRollPages } from './campaigns-roll';
import { campaignMoneyPages, moneyActions } from './campaigns-money';
import { campaignPublicPages } from './campaigns-public';

export const CAMPAIGN_READ = ['officer', 'approver', 'finance', 'auditor'];
export const CAMPAIGN_MAKERS = ['officer'];

export interface CampaignView {
  id: number; name: string; kind: string; year: number; district: string | null; funds: string[]; status: string;
  rules: { perCategory: Record<string, string>; perAdditionalMember?: string; perCause?: Record<string, string>; cap: string };
  eligibility: { statuses: string[]; categories: string[]; districts: string[] | null; notExitedThisYear: boolean };
  quotas: Record<string, number>; builtAt: string | null; noticeStart: string | null; noticeEnd: string | null; approvedTotal: string | null; createdAt: string;
}
export interface CampaignDetail extends CampaignView {
  roll: { lines: number; included: number; total: string };
  tier?: string; approvalsNeeded?: number; tierLimits?: { district: string; foundation: string };
  approvals: { approver: string; total: string; at: string }[];
  timeline: { action: string; actor: string; at: string; note: string | null; amount: string | null; fromStatus: string | null; toStatus: string }[];
  objections: { id: number; lineId: number; status: string; text: string; createdAt: string; note: string | null }[];
}

const CATEGORIES = Object.keys(CATEGORY);
const CAUSES = Object.keys(CAUSE);
const ELIGIBLE_STATUSES = ['registered', 'assisted', 'returned', 'exited'];
const opts = (lang: Lang, t: Record<string, [string, string]>, all?: string): [string, string][] =>
  [...(all !== undefined ? [['', all] as [string, string]] : []), ...Object.keys(t).map((k) => [k, label(lang, t, k)] as [string, string])];

const fieldError = (req: Request, errors: Record<string, string>, path: string) => {
  const hit = errors[path] ?? Object.entries(errors).find(([k]) => k.startsWith(`${path}.`))?.[1];
  return hit ? `${tr(req)('Please correct the marked fields.')} · ${hit}` : undefined;
};
export const alertOf = (out: ApiResult) => html`<p class="error" role="alert">${apiError(out).message}</p>`;
export const money = (v: string | null | undefined) => (v === null || v === undefined ? '' : `¥${v}`);

/** A numeric id of a path (1 … 2^31−1), else null (the page answers 404). */
export const idParam = (v: unknown) => (typeof v === 'string' && /^\d{1,10}$/.test(v) && Number(v) >= 1 && Number(v) <= 2147483647 ? Number(v) : null);

export async function getCampaign(req: Request, id: number) {
  return callApi<CampaignDetail>(req, 'GET', `/campaigns/${id}`);
}

/** Who has made the roll (created, built, reviewed a line of, submitted) and who approved it, from its timeline. */
export function rollActors(c: CampaignDetail) {
  const makers = new Set(c.timeline.filter((e) => ['created', 'roll_built', 'line_reviewed', 'submitted'].includes(e.action)).map((e) => e.actor));
  return { makers, approvers: new Set(c.approvals.map((a) => a.approver)) };
}

/** Why this user would be refused approving (or resolving an objection to) the roll, or null: the API's rules, shown beforehand. */
export function refusalOf(req: Request, c: CampaignDetail, verb: 'approve' | 'resolve'): string | null {
  const t = tr(req);
  const user = req.web!.user!;
  const { makers, approvers } = rollActors(c);
  if (verb === 'resolve') return makers.has(user.username) || approvers.has(user.username) ? t('You made, reviewed or approved this roll: you cannot resolve objections to it.') : null;
  if (makers.has(user.username)) return t('You created, built, reviewed or submitted this roll: you cannot approve it.');
  if (approvers.has(user.username)) return t('You have already approved this roll: a second, different foundation approver is needed.');
  if (user.district && c.district !== user.district) return t('This campaign is not of your district: a foundation approver must approve it.');
  if (user.district && c.tier && c.tier !== 'district') return `${t('The roll total is above the district approvers’ limit: a foundation approver must approve it.')} (¥${c.roll.total} > ¥${c.tierLimits?.district ?? ''})`;
  return null;
}

export const kindCell = (lang: Lang, k: string) => label(lang, CAMPAIGN_KIND, k);
export const statusBadge = (lang: Lang, s: string) => html`<span class="badge s-${s}">${label(lang, CAMPAIGN_STATUS, s)}</span>`;
const districtsText = (lang: Lang, ds: string[] | null | undefined, all: string) => (ds && ds.length ? ds.map((d) => label(lang, DISTRICT, d)).join('、') : all);

export function campaignPages(r: Router) {
  r.get('/campaigns', needUser(...CAMPAIGN_READ), async (req, res) => {
    const t = tr(req), lang = langOf(req);
    const f = { year: str(req.query.year), status: str(req.query.status) };
    const out = await callApi<{ items: CampaignView[]; nextCursor: string | null }>(req, 'GET', `/campaigns${qs({ ...f, limit: wantsExport(req) ? 500 : 50, cursor: str(req.query.cursor) })}`);
    const items = out.ok ? out.body.items : [];
    const cols: Column<CampaignView>[] = [
      { head: '#', cell: (c) => html`<a href="/campaigns/${c.id}">C${c.id}</a>`, export: (c) => `C${c.id}` },
      { head: t('Campaign name'), cell: (c) => html`<a href="/campaigns/${c.id}">${recorded(c.name)}</a>`, export: (c) => c.name },
      { head: t('Campaign kind'), cell: (c) => kindCell(lang, c.kind) },
      { head: t('Year'), cell: (c) => c.year, num: true },
      { head: t('District'), cell: (c) => (c.district ? label(lang, DISTRICT, c.district) : t('All')) },
      { head: t('Status'), cell: (c) => statusBadge(lang, c.status), export: (c) => label(lang, CAMPAIGN_STATUS, c.status) },
      { head: t('Approved total'), cell: (c) => c.approvedTotal ?? '', num: true },
      { head: t('Created'), cell: (c) => fmtTime(c.createdAt) },
    ];
    if (wantsExport(req)) return sendCsv(res, 'campaigns', cols, items);
    page(req, res, {
      title: t('Relief campaigns'),
      body: html`<h1>${t('Relief campaigns')}</h1>
${hasRole(req, ...CAMPAIGN_MAKERS) ? html`<p><a class="button" href="/campaigns/new">${t('New campaign')}</a></p>` : ''}
<form method="get" action="/campaigns" class="filters">
${field({ name: 'year', label: t('Year'), value: f.year, attrs: 'inputmode="numeric" size="5" maxlength="4"' })}
${field({ name: 'status', label: t('Status'), value: f.status, options: opts(lang, CAMPAIGN_STATUS, t('All')) })}
<button type="submit">${t('Filter')}</button> <a href="/campaigns">${t('Reset')}</a></form>
${out.ok ? '' : alertOf(out)}
${table(req, cols, items, { nextCursor: out.ok ? out.body.nextCursor : null })}`,
    });
  });

  const newForm = async (req: Request, res: Response, o: { values: Record<string, unknown>; errors?: Record<string, string>; message?: string; status?: number }) => {
    const t = tr(req), lang = langOf(req);
    const user = req.web!.user!;
    const v = o.values, e = o.errors ?? {};
    const val = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : '');
    const list = (k: string) => ([] as unknown[]).concat(v[k] ?? []).filter((x): x is string => typeof x === 'string');
    const funds = await fundOptions(req, undefined, user.district ? fundFitsDistrict(user.district) : undefined);
    const districts = user.district ? [user.district] : Object.keys(DISTRICT);
    const statuses = list('eligibility.statuses');
    page(req, res, {
      title: t('New campaign'),
      status: o.status,
      body: html`<h1>${t('New campaign')}</h1>
${o.message ? html`<div class="error" role="alert"><p>${t('Please correct the marked fields.')}</p><p>${o.message}</p></div>` : ''}
<form method="post" action="/campaigns/new" class="grid" novalidate>${csrfField(req)}
${field({ name: 'name', label: t('Campaign name'), value: val('name'), required: true, error: fieldError(req, e, 'name'), attrs: 'maxlength="100"' })}
${field({ name: 'kind', label: t('Campaign kind'), value: val('kind') || 'new_year_spring', required: true, error: fieldError(req, e, 'kind'), options: opts(lang, CAMPAIGN_KIND) })}
${field({ name: 'year', label: t('Year'), value: val('year') || shanghaiDate().slice(0, 4), required: true, error: fieldError(req, e, 'year'), attrs: 'inputmode="numeric" maxlength="4"' })}
${field({ name: 'funds', label: t('Funds the campaign draws on'), multiple: true, selected: list('funds'), options: funds, required: true, error: fieldError(req, e, 'funds'), hint: t('Only your district’s funds and the foundation fund.') })}
<fieldset class="wide"><legend>${t('Amount rules')}</legend>
<p class="hint">${t('A category without a base amount is not on the roll.')}</p>
${CATEGORIES.map((c) => field({ name: `rules.perCategory.${c}`, label: `${t('Base amount per category')} · ${label(lang, CATEGORY, c)} (¥)`, value: val(`rules.perCategory.${c}`), error: fieldError(req, e, `rules.perCategory.${c}`), attrs: 'inputmode="decimal" placeholder="0.00"' }))}
${field({ name: 'rules.perAdditionalMember', label: `${t('Add-on per member beyond the head')} (¥)`, value: val('rules.perAdditionalMember'), error: fieldError(req, e, 'rules.perAdditionalMember'), hint: t('Leave empty for no add-on.'), attrs: 'inputmode="decimal"' })}
${CAUSES.map((c) => field({ name: `rules.perCause.${c}`, label: `${t('Add-on per cause')} · ${label(lang, CAUSE, c)} (¥)`, value: val(`rules.perCause.${c}`), error: fieldError(req, e, `rules.perCause.${c}`), attrs: 'inputmode="decimal"' }))}
${field({ name: 'rules.cap', label: `${t('Cap per household')} (¥)`, value: val('rules.cap'), required: true, error: fieldError(req, e, 'rules.cap'), attrs: 'inputmode="decimal" placeholder="0.00"' })}
</fieldset>
<fieldset class="wide"><legend>${t('Eligibility')}</legend>
${field({ name: 'eligibility.statuses', label: t('Household statuses'), multiple: true, selected: statuses.length ? statuses : ['registered', 'assisted', 'returned'], options: ELIGIBLE_STATUSES.map((s) => [s, label(lang, STATUS, s)] as [string, string]), error: fieldError(req, e, 'eligibility.statuses') })}
${user.district ? html`<p>${t('District')}: ${label(lang, DISTRICT, user.district)}</p>` : field({ name: 'eligibility.districts', label: t('District'), multiple: true, selected: list('eligibility.districts'), options: opts(lang, DISTRICT), error: fieldError(req, e, 'eligibility.districts'), hint: t('All districts the funds reach') })}
${field({ name: 'eligibility.notExitedThisYear', label: t('Not exited this year'), type: 'checkbox', value: v['eligibility.notExitedThisYear'] === 'true' })}
</fieldset>
<fieldset class="wide"><legend>${t('District quotas (households)')}</legend>
${districts.map((d) => field({ name: `quotas.${d}`, label: label(lang, DISTRICT, d), value: val(`quotas.${d}`), error: fieldError(req, e, `quotas.${d}`), hint: t('No quota'), attrs: 'inputmode="numeric" size="6"' }))}
</fieldset>
<p class="wide"><button type="submit">${t('Create the campaign')}</button></p>
</form>`,
    });
  };

  r.get('/campaigns/new', needUser(...CAMPAIGN_MAKERS), (req, res) => newForm(req, res, { values: {} }));
  r.post('/campaigns/new', needUser(...CAMPAIGN_MAKERS), async (req, res) => {
    const b = req.body as Record<string, unknown>;
    const s = (k: string) => str(b[k]);
    const list = (k: string) => ([] as unknown[]).concat(b[k] ?? []).filter((x): x is string => typeof x === 'string' && x !== '');
    const amounts = (prefix: string, keys: string[]) => Object.fromEntries(keys.filter((k) => s(`${prefix}.${k}`)).map((k) => [k, s(`${prefix}.${k}`)]));
    const perCause = amounts('rules.perCause', CAUSES);
    const quotas = Object.fromEntries(Object.keys(DISTRICT).filter((d) => s(`quotas.${d}`)).map((d) => [d, /^\d{1,6}$/.test(s(`quotas.${d}`)) ? Number(s(`quotas.${d}`)) : s(`quotas.${d}`)]));
    const districts = list('eligibility.districts');
    const statuses = list('eligibility.statuses');
    const body = {
      name: s('name'), kind: s('kind'), year: /^\d{4}$/.test(s('year')) ? Number(s('year')) : s('year'), funds: list('funds'),
      rules: { perCategory: amounts('rules.perCategory', CATEGORIES), ...(s('rules.perAdditionalMember') ? { perAdditionalMember: s('rules.perAdditionalMember') } : {}), ...(Object.keys(perCause).length ? { perCause } : {}), cap: s('rules.cap') },
      eligibility: { ...(statuses.length ? { statuses } : {}), ...(districts.length ? { districts } : {}), notExitedThisYear: b['eligibility.notExitedThisYear'] === 'true' },
      ...(Object.keys(quotas).length ? { quotas } : {}),
    };
    const out = await callApi<CampaignView>(req, 'POST', '/campaigns', { body });
    if (out.ok) return res.redirect(303, `/campaigns/${out.body.id}?saved=1`);
    await newForm(req, res, { values: b, errors: fieldErrors(out), message: apiError(out).message, status: out.status });
  });

  const campaignPage = async (req: Request, res: Response, extra: { form?: string; message?: string; status?: number; flash?: Html | string } = {}) => {
    const t = tr(req), lang = langOf(req);
    const id = idParam(req.params.id);
    if (!id) return errorPage(req, res, 404, t('Page not found'));
    const out = await getCampaign(req, id);
    if (!out.ok) return errorPage(req, res, out.status, apiError(out).message);
    const c = out.body;
    const user = req.web!.user!;
    const err = (form: string) => (extra.form === form && extra.message ? html`<p class="error" role="alert" id="err-${form}">${extra.message}</p>` : '');
    const actionForm = (verb: string, title: string, fields: Html | string = '', action = `/campaigns/${c.id}/${verb}`) =>
      html`<section class="action" aria-labelledby="h-${verb}"><h3 id="h-${verb}">${title}</h3>${err(verb)}
<form method="post" action="${action}" class="grid">${csrfField(req)}${fields}<p class="wide"><button type="submit">${title}</button></p></form></section>`;
    const refused = (verb: string, title: string, why: string) =>
      html`<section class="action refused" aria-labelledby="h-${verb}"><h3 id="h-${verb}">${title}</h3>${err(verb)}<p class="hint" id="why-${verb}"><strong>${t('Why you cannot act here')}:</strong> ${why}</p></section>`;
    const note = (required: boolean, form: string) => field({ name: 'note', label: `${t('Note')} (${form})`, textarea: true, required, attrs: 'maxlength="500"' });
    const actions: Html[] = [];
    const s = c.status;
    const maker = hasRole(req, 'officer', 'admin');
    const cityOnly = !c.district && !!user.district;
    if (maker && (s === 'draft' || s === 'built')) {
      const fields = html`<input type="hidden" name="dryRun" value="true">`;
      actions.push(cityOnly ? refused('roll', t('Build the roll'), t('A city-wide roll is built and submitted by city-level staff.'))
        : actionForm('roll', s === 'draft' ? t('Build the roll') : t('Recompute the roll'), html`${fields}<p class="hint">${t('Preview the changes')}</p>`));
    }
    if (maker && s === 'built') {
      actions.push(cityOnly ? refused('submit', t('Submit for approval'), t('A city-wide roll is built and submitted by city-level staff.')) : actionForm('submit', t('Submit for approval'), note(false, t('Submit for approval'))));
    }
    if (s === 'submitted' && hasRole(req, 'approver')) {
      const why = refusalOf(req, c, 'approve');
      actions.push(why ? refused('approve', t('Approve the roll'), why) : actionForm('approve', t('Approve the roll'), note(false, t('Approve the roll'))));
      actions.push(actionForm('send-back', t('Send back'), note(true, t('Send back'))));
    }
    if (['draft', 'built', 'submitted'].includes(s) && (maker || hasRole(req, 'approver')) && !(cityOnly && !hasRole(req, 'approver'))) {
      actions.push(actionForm('cancel', t('Cancel the campaign'), note(true, t('Cancel the campaign'))));
    }
    actions.push(...moneyActions(req, c, err));
    const objections = c.objections;
    const resolveWhy = hasRole(req, 'approver') ? refusalOf(req, c, 'resolve') : null;
    const objectionItem = (o: CampaignDetail['objections'][number]) => html`<li><p><span class="badge s-${o.status}">${label(lang, STATUS, o.status)}</span> ${fmtTime(o.createdAt)}</p><blockquote>${o.text}</blockquote>${o.note ? html`<p>${t('Outcome')}: ${o.note}</p>` : ''}
${o.status === 'open' && hasRole(req, 'approver') && resolveWhy ? html`<p class="hint"><strong>${t('Why you cannot act here')}:</strong> ${resolveWhy}</p>` : ''}
${o.status === 'open' && hasRole(req, 'approver') && !resolveWhy ? html`${err(`resolve-${o.id}`)}<form method="post" action="/campaigns/${c.id}/objections/${o.id}/resolve" class="grid">${csrfField(req)}
${field({ name: 'outcome', label: `${t('Outcome')} #${o.id}`, required: true, options: [['dismissed', t('Dismissed')], ['upheld', t('Upheld')]] })}
${field({ name: 'note', label: `${t('Note')} #${o.id}`, textarea: true, required: true })}
<p class="wide"><button type="submit">${t('Resolve')}</button></p></form>` : ''}</li>`;
    const r = c.rules;
    const disclosed = ['payable', 'paying', 'paid'].includes(s);
    page(req, res, {
      title: `${t('Relief campaign')} C${c.id}`,
      status: extra.status,
      flash: extra.flash ?? (req.query.saved ? t('Saved') : undefined),
      body: html`<h1>${t('Relief campaign')} C${c.id} ${recorded(c.name)} ${statusBadge(lang, s)}</h1>
<p><a href="/campaigns/${c.id}/lines">${t('Roll lines')}</a> · <a href="/campaigns/${c.id}/progress">${t('Campaign progress')}</a>${disclosed ? html` · <a href="/api/v1/reports/campaign-disclosure.pdf?campaign=${c.id}" download>${t('Disclosure PDF')}</a>` : ''}</p>
<dl class="facts">
<dt>${t('Campaign kind')}</dt><dd>${kindCell(lang, c.kind)}</dd>
<dt>${t('Year')}</dt><dd>${c.year}</dd>
<dt>${t('District')}</dt><dd>${c.district ? label(lang, DISTRICT, c.district) : t('All')}</dd>
<dt>${t('Funds the campaign draws on')}</dt><dd>${c.funds.join('、')}</dd>
<dt>${t('Base amount per category')}</dt><dd>${Object.entries(r.perCategory).map(([k, a]) => `${label(lang, CATEGORY, k)} ¥${a}`).join('；')}</dd>
<dt>${t('Add-on per member beyond the head')}</dt><dd>${money(r.perAdditionalMember) || '—'}</dd>
<dt>${t('Add-on per cause')}</dt><dd>${Object.entries(r.perCause ?? {}).map(([k, a]) => `${label(lang, CAUSE, k)} ¥${a}`).join('；') || '—'}</dd>
<dt>${t('Cap per household')}</dt><dd>¥${r.cap}</dd>
<dt>${t('Household statuses')}</dt><dd>${c.eligibility.statuses.map((x) => label(lang, STATUS, x)).join('、')}${c.eligibility.notExitedThisYear ? ` · ${t('Not exited this year')}` : ''}</dd>
<dt>${t('District')}</dt><dd>${districtsText(lang, c.eligibility.districts, t('All districts the funds reach'))}</dd>
<dt>${t('District quotas (households)')}</dt><dd>${Object.entries(c.quotas).map(([d, n]) => `${label(lang, DISTRICT, d)} ${n}`).join('；') || t('No quota')}</dd>
<dt>${t('Lines on the roll')}</dt><dd>${c.roll.included} / ${c.roll.lines}</dd>
<dt>${t('Roll total')}</dt><dd>¥${c.roll.total}</dd>
${c.builtAt ? html`<dt>${t('Roll built at')}</dt><dd>${fmtTime(c.builtAt)}</dd>` : ''}
${c.noticeStart ? html`<dt>${t('Notice period')}</dt><dd>${fmtTime(c.noticeStart)} – ${fmtTime(c.noticeEnd)}</dd>` : ''}
${c.approvedTotal ? html`<dt>${t('Approved total')}</dt><dd>¥${c.approvedTotal}</dd>` : ''}
</dl>
<section class="rules" aria-labelledby="h-rules"><h2 id="h-rules">${t('Approval rules')}</h2>
<ul>${c.tier ? html`<li>${t('Tier')}: <strong>${label(lang, TIER, c.tier)}</strong></li>` : ''}
<li>${t('Approvals needed')}: ${c.approvalsNeeded ?? 1} · ${t('Approvals')}: ${c.approvals.length ? c.approvals.map((a, i) => html`${i ? '、' : ''}<span translate="no">${a.approver}</span> ¥${a.total}`) : '—'}</li>
${c.tierLimits ? html`<li>${t('District approvers approve up to')} ¥${c.tierLimits.district}；${t('one foundation approver up to')} ¥${c.tierLimits.foundation}；${t('above that, two foundation approvers')}</li>` : ''}
<li>${t('Maker-checker')}: ${t('Whoever created, built, reviewed a line of or submitted the roll can never approve it.')}</li></ul></section>
${actions.length ? html`<h2>${t('Action')}</h2><div class="actions-grid">${actions}</div>` : ''}
<h2>${t('Objections')}</h2>
${objections.length ? html`<ul class="objections">${objections.map(objectionItem)}</ul>` : html`<p>${t('No records.')}</p>`}
<h2>${t('Timeline')}</h2>
${table(req, [
  { head: t('When'), cell: (e: CampaignDetail['timeline'][number]) => fmtTime(e.at) },
  { head: t('Action'), cell: (e) => label(lang, CAMPAIGN_EVENT, e.action) },
  { head: t('Status'), cell: (e) => (e.fromStatus === e.toStatus ? label(lang, CAMPAIGN_STATUS, e.toStatus) : `${e.fromStatus ? label(lang, CAMPAIGN_STATUS, e.fromStatus) : '—'} → ${label(lang, CAMPAIGN_STATUS, e.toStatus)}`) },
  { head: t('Amount'), cell: (e) => e.amount ?? '', num: true },
  { head: t('Who'), cell: (e) => html`<span translate="no">${e.actor}</span>` },
  { head: t('Note'), cell: (e) => { const n = campaignNote(lang, e.note); return n.system ? n.text : recorded(n.text); } },
], c.timeline, { csv: false })}`,
    });
  };

  r.get('/campaigns/:id', needUser(...CAMPAIGN_READ), (req, res) => campaignPage(req, res));

  const STEPS: Record<string, string[]> = { submit: ['officer'], approve: ['approver'], 'send-back': ['approver'], cancel: ['officer', 'approver'] };
  for (const [verb, roles] of Object.entries(STEPS)) {
    r.post(`/campaigns/:id/${verb}`, needUser(...roles), async (req, res) => {
      const id = idParam(req.params.id);
      if (!id) return errorPage(req, res, 404, tr(req)('Page not found'));
      const n = str(req.body?.note);
      const out = await callApi(req, 'POST', `/campaigns/${id}/${verb}`, { body: n ? { note: n } : {} });
      if (out.ok) return res.redirect(303, `/campaigns/${id}?saved=1`);
      await campaignPage(req, res, { form: verb, message: apiError(out).message, status: out.status });
    });
  }
  r.post('/campaigns/:id/objections/:oid/resolve', needUser('approver'), async (req, res) => {
    const id = idParam(req.params.id), oid = idParam(req.params.oid);
    if (!id || !oid) return errorPage(req, res, 404, tr(req)('Page not found'));
    const out = await callApi(req, 'POST', `/campaigns/${id}/objections/${oid}/resolve`, { body: { outcome: str(req.body?.outcome), note: str(req.body?.note) } });
    if (out.ok) return res.redirect(303, `/campaigns/${id}?saved=1`);
    await campaignPage(req, res, { form: `resolve-${oid}`, message: apiError(out).message, status: out.status });
  });

  campaignRollPages(r, campaignPage);
  campaignMoneyPages(r, campaignPage);
  campaignPublicPages(r);
}

export type CampaignPage = (req: Request, res: Response, extra?: { form?: string; message?: string; status?: number; flash?: Html | string }) => Promise<void>;
