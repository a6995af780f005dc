import type { Request, Response, Router } from 'express';
import { apiError, callApi, fieldErrors, qs } from '../api';
import { html } from '../html';
import { AID_REASON, CATEGORY, CAUSE, DISTRICT, label, STATUS } from '../i18n';
import { actorCell, HH_EVENT, HH_FIELD, RELATION, systemText } from '../i18n-people';
import { csrfField, errorPage, field, fmtTime, hasRole, langOf, needUser, page, sendCsv, str, table, tr, wantsCsv, type Column } from '../view';
import { shanghaiDate } from '../../platform/clock';
import { documentsSection, householdDocuments } from './documents';
import { householdVisits, visitOwners, visitsSection } from './visits';

const READ = ['officer', 'approver', 'auditor', 'finance'];
const MEMBER_ROWS = 20;

const opts = (lang: 'zh' | 'en', tableOf: Record<string, [string, string]>, withAll?: string): [string, string][] => [
  ...(withAll !== undefined ? ([['', withAll]] as [string, string][]) : []),
  ...Object.keys(tableOf).map((k) => [k, `${label(lang, tableOf, k)}${lang === 'zh' ? '' : ''}`] as [string, string]),
];

/** Integer text as a number, anything else as given so the API's validation names the field. */
const intOr = (v: string) => (/^\d{1,6}$/.test(v) ? Number(v) : v);

function householdBody(b: any, forCreate: boolean) {
  const members: any[] = [];
  for (let i = 0; i < MEMBER_ROWS; i++) {
    const name = str(b[`m${i}_name`]);
    const relation = str(b[`m${i}_relation`]);
    const age = str(b[`m${i}_age`]);
    const health = str(b[`m${i}_health`]);
    if (!name && !relation && !age && !health) continue;
    members.push({ name, relation, ...(age ? { age: intOr(age) } : {}), ...(health ? { health } : {}) });
  }
  const causes = ([] as string[]).concat(b.causes ?? []).filter((c) => typeof c === 'string');
  const body: Record<string, unknown> = {
    headName: str(b.headName),
    district: str(b.district),
    unionOrg: str(b.unionOrg),
    address: str(b.address),
    members,
    monthlyIncome: str(b.monthlyIncome),
    memberCount: intOr(str(b.memberCount)),
    category: str(b.category),
    causes,
    notes: str(b.notes),
  };
  if (str(b.idNumber) || forCreate) body.idNumber = str(b.idNumber);
  const phone = str(b.phone);
  body.phone = phone || null;
  if (!forCreate) {
    for (const k of ['idNumber', 'phone', 'address'] as const) if (b[`${k}Masked`] === '1') delete body[k];
  }
  return body;
}

function householdForm(req: Request, res: Response, o: { values: any; errors?: Record<string, string>; message?: string; action: string; title: string; status?: number; masked?: boolean }) {
  const t = tr(req), lang = langOf(req);
  const v = o.values, e = o.errors ?? {};
  const user = req.web!.user!;
  const districts = user.district ? [[user.district, label(lang, DISTRICT, user.district)] as [string, string]] : opts(lang, DISTRICT, t('Choose…'));
  const members: any[] = v.members ?? [];
  const rows = Math.max(members.length + 1, 3);
  const memberRow = (i: number) => {
    const m = members[i] ?? {};
    const err = (f: string) => e[`members.${i}.${f}`] ?? (f === 'name' ? e[`members.${i}`] : undefined);
    return html`<fieldset class="member" data-member-row${i >= rows ? html` hidden` : ''}><legend>${t('Members')} ${i + 1}</legend>
${field({ name: `m${i}_name`, label: t('Name'), value: m.name, error: err('name') })}
${field({ name: `m${i}_relation`, label: t('Relation'), value: m.relation, error: err('relation') })}
${field({ name: `m${i}_age`, label: t('Age'), type: 'number', value: m.age, error: err('age'), attrs: 'min="0" max="130" inputmode="numeric"' })}
${field({ name: `m${i}_health`, label: t('Health'), value: m.health, error: err('health') })}
</fieldset>`;
  };
  const causes: string[] = v.causes ?? [];
  page(req, res, {
    title: o.title,
    status: o.status,
    body: html`<h1>${o.title}</h1>
${o.message ? html`<div class="error" role="alert"><p>${t('Please correct the marked fields.')}</p><p>${o.message}</p></div>` : ''}
<p class="hint">${t('Every field marked * is required.')}</p>
<form method="post" action="${o.action}" class="grid" novalidate>
${csrfField(req)}
${field({ name: 'headName', label: t('Head of household'), value: v.headName, required: true, error: e.headName, attrs: 'maxlength="50"' })}
${o.masked
  ? html`<input type="hidden" name="idNumberMasked" value="1"><input type="hidden" name="phoneMasked" value="1"><input type="hidden" name="addressMasked" value="1">`
  : html`${field({ name: 'idNumber', label: t('ID number'), value: v.idNumber, required: true, error: e.idNumber, attrs: 'maxlength="18" autocomplete="off" spellcheck="false"' })}
${field({ name: 'phone', label: t('Phone'), type: 'tel', value: v.phone, error: e.phone })}
${field({ name: 'address', label: t('Address'), value: v.address, error: e.address })}`}
${field({ name: 'district', label: t('District'), value: v.district, required: true, error: e.district, options: districts })}
${field({ name: 'unionOrg', label: t('Union organisation'), value: v.unionOrg, error: e.unionOrg })}
${field({ name: 'monthlyIncome', label: `${t('Monthly income')} (¥)`, value: v.monthlyIncome, required: true, error: e.monthlyIncome, attrs: 'inputmode="decimal" placeholder="0.00"' })}
${field({ name: 'memberCount', label: t('Member count'), type: 'number', value: v.memberCount, required: true, error: e.memberCount, attrs: 'min="1" max="30"' })}
${field({ name: 'category', label: t('Category'), value: v.category, required: true, error: e.category, options: opts(lang, CATEGORY, t('Choose…')) })}
<fieldset class="field${e.causes ? ' has-error' : ''}" ${e.causes ? html`aria-describedby="causes-err"` : ''}><legend>${t('Causes')} *</legend>
${Object.keys(CAUSE).map((c) => html`<span class="check"><input type="checkbox" id="cause-${c}" name="causes" value="${c}"${causes.includes(c) ? html` checked` : ''}> <label for="cause-${c}">${label(lang, CAUSE, c)}</label></span>`)}
${e.causes ? html`<p class="err" id="causes-err">${e.causes}</p>` : ''}
</fieldset>
${field({ name: 'notes', label: t('Notes'), value: v.notes, textarea: true, error: e.notes })}
<div class="members wide">
<h2>${t('Members')}</h2>
${e.members ? html`<p class="err">${e.members}</p>` : ''}
${Array.from({ length: MEMBER_ROWS }, (_, i) => memberRow(i))}
<button type="button" class="secondary" data-add-member>${t('Add member')}</button>
</div>
<p class="wide"><button type="submit">${t('Save')}</button> <a href="/households">${t('Cancel')}</a></p>
</form>`,
  });
}

/** What a history row changed, in words: the fields of an edit, the income of an assessment, the basis of an exit. */
function historyDetails(req: Request, e: any): string {
  const t = tr(req), lang = langOf(req);
  const c = e.changes;
  if (Array.isArray(c)) return c.map((x: any) => label(lang, HH_FIELD, x.field)).join('、');
  if (c && typeof c === 'object') {
    const parts: string[] = [];
    if (c.assessmentDate) parts.push(`${t('Assessed on')} ${c.assessmentDate}`);
    if (c.perCapitaIncome) parts.push(`${t('Per-capita income')} ¥${c.perCapitaIncome}`);
    if (c.threshold) parts.push(`${t('Threshold')} ¥${c.threshold}`);
    return parts.join(' · ');
  }
  return '';
}

function formValuesFromBody(b: any) {
  const body = householdBody(b, true) as any;
  return { ...body, phone: str(b.phone), memberCount: str(b.memberCount) };
}

/** Households as the case picker lists them (archived files cannot receive aid). */
export function householdChoices(req: Request, items: any[]) {
  const lang = langOf(req);
  return items.filter((h) => h.status !== 'archived').map((h) => ({
    id: h.id, headName: h.headName, district: label(lang, DISTRICT, h.district), status: label(lang, STATUS, h.status),
    perCapitaIncome: h.latestAssessment?.perCapitaIncome ?? h.perCapitaIncome, href: `/cases/new?household=${h.id}`,
  }));
}

export function householdPages(r: Router) {
  r.get('/households', needUser(...READ), async (req, res) => {
    const t = tr(req), lang = langOf(req);
    const f = { q: str(req.query.q), district: str(req.query.district), status: str(req.query.status), category: str(req.query.category), cause: str(req.query.cause) };
    const limit = wantsCsv(req) ? 500 : 50;
    const out = await callApi(req, 'GET', `/households${qs({ ...f, limit, cursor: str(req.query.cursor) })}`);
    const items: any[] = out.ok ? out.body.items : [];
    const cols: Column<any>[] = [
      { head: '#', cell: (h) => h.id },
      { head: t('Head of household'), cell: (h) => html`<a href="/households/${h.id}">${h.headName}</a>`, csv: (h) => h.headName },
      { head: t('District'), cell: (h) => label(lang, DISTRICT, h.district) },
      { head: t('Category'), cell: (h) => label(lang, CATEGORY, h.category) },
      { head: t('Causes'), cell: (h) => (h.causes ?? []).map((c: string) => label(lang, CAUSE, c)).join('、') },
      { head: t('Status'), cell: (h) => html`<span class="badge s-${h.status}">${label(lang, STATUS, h.status)}</span>` },
      // Today's income is the latest assessment's, never the intake figure (shown only while none exists).
      { head: t('Per-capita income (latest assessment)'), cell: (h) => (h.latestAssessment ? h.latestAssessment.perCapitaIncome : html`${h.perCapitaIncome} <small>(${t('At intake')})</small>`), csv: (h) => h.latestAssessment?.perCapitaIncome ?? h.perCapitaIncome, num: true },
      { head: t('Assessed on'), cell: (h) => h.latestAssessment?.date ?? t('not assessed yet'), csv: (h) => h.latestAssessment?.date ?? '' },
      { head: t('Member count'), cell: (h) => h.memberCount, num: true },
    ];
    if (wantsCsv(req)) return sendCsv(res, 'households', cols, items);
    const user = req.web!.user!;
    page(req, res, {
      title: t('Households'),
      body: html`<h1>${t('Households')}</h1>
${hasRole(req, 'officer') ? html`<p><a class="button" href="/households/new">${t('New household')}</a></p>` : ''}
<form method="get" action="/households" class="filters" role="search">
${field({ name: 'q', label: t('Search name or ID number'), value: f.q, type: 'search' })}
${user.district ? '' : field({ name: 'district', label: t('District'), value: f.district, options: opts(lang, DISTRICT, t('All')) })}
${field({ name: 'status', label: t('Status'), value: f.status, options: [['', t('All')], ...['registered', 'assisted', 'exited', 'returned', 'archived'].map((s) => [s, label(lang, STATUS, s)] as [string, string])] })}
${field({ name: 'category', label: t('Category'), value: f.category, options: opts(lang, CATEGORY, t('All')) })}
${field({ name: 'cause', label: t('Causes'), value: f.cause, options: opts(lang, CAUSE, t('All')) })}
<button type="submit">${t('Search')}</button> <a href="/households">${t('Reset')}</a>
</form>
${out.ok ? '' : html`<p class="error" role="alert">${apiError(out).message}</p>`}
${table(req, cols, items, { nextCursor: out.ok ? out.body.nextCursor : null })}`,
    });
  });

  // The case form's household picker: same-origin JSON from the API's own scoped search (the browser never
  // holds the API token). Names and districts only; never ID numbers.
  r.get('/households/search.json', needUser(...READ), async (req, res) => {
    const q = str(req.query.q).slice(0, 50);
    if (q.length < 1) return res.json({ items: [] });
    const out = await callApi(req, 'GET', `/households${qs({ q, limit: 20 })}`);
    if (!out.ok) return res.status(out.status).json({ error: apiError(out) });
    res.json({ items: householdChoices(req, out.body.items) });
  });

  r.get('/households/new', needUser('officer'), (req, res) => {
    householdForm(req, res, { values: { district: req.web!.user!.district ?? '', memberCount: '1', members: [] }, action: '/households/new', title: tr(req)('New household') });
  });
  r.post('/households/new', needUser('officer'), async (req, res) => {
    const out = await callApi(req, 'POST', '/households', { body: householdBody(req.body, true) });
    if (out.ok) return res.redirect(303, `/households/${out.body.id}?saved=1`);
    householdForm(req, res, { values: formValuesFromBody(req.body), errors: fieldErrors(out), message: apiError(out).message, action: '/households/new', title: tr(req)('New household'), status: out.status });
  });

  r.get('/households/:id/edit', needUser('officer'), async (req, res) => {
    const id = Number(req.params.id);
    const out = await callApi(req, 'GET', `/households/${id}`);
    if (!out.ok) return errorPage(req, res, out.status, apiError(out).message);
    const h = out.body;
    householdForm(req, res, { values: { ...h, memberCount: String(h.memberCount) }, action: `/households/${id}/edit`, title: tr(req)('Edit household'), masked: h.identifiersMasked });
  });
  r.post('/households/:id/edit', needUser('officer'), async (req, res) => {
    const id = Number(req.params.id);
    const masked = req.body.idNumberMasked === '1';
    const out = await callApi(req, 'PATCH', `/households/${id}`, { body: householdBody(req.body, false) });
    if (out.ok) return res.redirect(303, `/households/${id}?saved=1`);
    householdForm(req, res, { values: formValuesFromBody(req.body), errors: fieldErrors(out), message: apiError(out).message, action: `/households/${id}/edit`, title: tr(req)('Edit household'), status: out.status, masked });
  });

  const filePage = async (req: Request, res: Response, extra: { form?: string; errors?: Record<string, string>; message?: string; values?: any; status?: number } = {}) => {
    const t = tr(req), lang = langOf(req);
    const id = Number(req.params.id);
    const out = await callApi(req, 'GET', `/households/${id}`);
    if (!out.ok) return errorPage(req, res, out.status, apiError(out).message);
    const h = out.body;
    // Assessments come newest first: the first is the household's income today.
    const latest: any = (h.assessments ?? [])[0] ?? null;
    const cases = await callApi(req, 'GET', `/aid-cases${qs({ district: h.district, limit: 500 })}`);
    const aid: any[] = cases.ok ? cases.body.items.filter((c: any) => c.householdId === h.id) : [];
    // Home visits and supporting documents: sections of their own files (pages/visits.ts, pages/documents.ts).
    const visits = await householdVisits(req, h.id);
    const extraSections = html`${visitsSection(req, h.id, visits)}${documentsSection(req, h.id, await householdDocuments(req, h.id), visitOwners(req, visits))}`;
    const canWrite = hasRole(req, 'officer');
    const today = shanghaiDate();
    const fe = (form: string) => (extra.form === form ? extra.errors ?? {} : {});
    const fv = (form: string) => (extra.form === form ? extra.values ?? {} : {});
    const msg = (form: string) => (extra.form === form && extra.message ? html`<p class="error" role="alert">${extra.message}</p>` : '');
    const transition = (kind: 'exit' | 'return', title: string) => html`<section aria-labelledby="h-${kind}"><h3 id="h-${kind}">${title}</h3>${msg(kind)}
<form method="post" action="/households/${h.id}/${kind}" class="grid">${csrfField(req)}
${field({ name: 'date', label: t('Date'), type: 'date', value: fv(kind).date ?? today, required: true, error: fe(kind).date })}
${field({ name: 'reason', label: t('Reason'), value: fv(kind).reason, required: true, error: fe(kind).reason })}
${kind === 'exit' ? field({ name: 'evidence', label: t('Evidence'), value: fv(kind).evidence, error: fe(kind).evidence }) : ''}
<p class="wide"><button type="submit">${title}</button></p></form></section>`;
    page(req, res, {
      title: `${t('Household file')} ${h.headName}`,
      status: extra.status,
      flash: req.query.saved ? t('Saved') : undefined,
      body: html`<h1>${t('Household file')} · ${h.headName} <span class="badge s-${h.status}">${label(lang, STATUS, h.status)}</span></h1>
${canWrite ? html`<p class="actions"><a class="button" href="/households/${h.id}/edit">${t('Edit household')}</a> <a class="button" href="/cases/new?household=${h.id}">${t('Open an aid case')}</a></p>` : ''}
<dl class="facts">
<dt>${t('ID number')}</dt><dd>${h.idNumber}</dd>
<dt>${t('Phone')}</dt><dd>${h.phone ?? ''}</dd>
<dt>${t('Address')}</dt><dd>${h.address ?? ''}</dd>
<dt>${t('District')}</dt><dd>${label(lang, DISTRICT, h.district)}</dd>
<dt>${t('Union organisation')}</dt><dd>${h.unionOrg ?? ''}</dd>
<dt>${t('Category')}</dt><dd>${label(lang, CATEGORY, h.category)}</dd>
<dt>${t('Causes')}</dt><dd>${(h.causes ?? []).map((c: string) => label(lang, CAUSE, c)).join('、')}</dd>
${latest
  ? html`<dt>${t('Per-capita income (latest assessment)')}</dt><dd id="latest-income"><strong>¥${latest.perCapitaIncome}</strong> · ${t('Assessed on')} ${latest.date}</dd>
<dt>${t('Monthly income (latest assessment)')}</dt><dd>¥${latest.monthlyIncome} · ${t('Member count')} ${latest.memberCount}</dd>
<dt>${t('Per-capita income at intake')}</dt><dd>¥${h.perCapitaIncome} (${t('Monthly income at intake')} ¥${h.monthlyIncome} / ${h.memberCount})</dd>`
  : html`<dt>${t('Per-capita income')}</dt><dd id="latest-income">¥${h.perCapitaIncome} · ${t('At intake')} (${t('not assessed yet')})</dd>
<dt>${t('Monthly income')}</dt><dd>¥${h.monthlyIncome}</dd>
<dt>${t('Member count')}</dt><dd>${h.memberCount}</dd>`}
<dt>${t('Notes')}</dt><dd>${systemText(lang, h.notes)}</dd>
</dl>
<h2>${t('Members')}</h2>
${table(req, [
  { head: t('Name'), cell: (m: any) => m.name }, { head: t('Relation'), cell: (m: any) => label(lang, RELATION, m.relation) },
  { head: t('Age'), cell: (m: any) => m.age ?? '', num: true }, { head: t('Health'), cell: (m: any) => m.health ?? '' },
], h.members ?? [], { csv: false })}
<h2>${t('Assessments')}</h2>
${table(req, [
  { head: t('Date'), cell: (a: any) => a.date }, { head: t('Monthly income'), cell: (a: any) => a.monthlyIncome, num: true },
  { head: t('Member count'), cell: (a: any) => a.memberCount, num: true }, { head: t('Rigid expenses'), cell: (a: any) => a.rigidExpenses, num: true },
  { head: t('Per-capita income'), cell: (a: any) => a.perCapitaIncome, num: true }, { head: t('Evidence'), cell: (a: any) => a.evidence ?? '' },
  { head: t('Who'), cell: (a: any) => actorCell(lang, a.createdBy) },
], h.assessments ?? [], { csv: false })}
${canWrite ? html`<section aria-labelledby="h-assess"><h3 id="h-assess">${t('Record an assessment')}</h3>${msg('assess')}
<form method="post" action="/households/${h.id}/assessments" class="grid">${csrfField(req)}
${field({ name: 'date', label: t('Date'), type: 'date', value: fv('assess').date ?? today, required: true, error: fe('assess').date })}
${field({ name: 'monthlyIncome', label: `${t('Monthly income')} (¥)`, value: fv('assess').monthlyIncome, required: true, error: fe('assess').monthlyIncome, attrs: 'inputmode="decimal"' })}
${field({ name: 'memberCount', label: t('Member count'), type: 'number', value: fv('assess').memberCount ?? h.memberCount, required: true, error: fe('assess').memberCount, attrs: 'min="1" max="30"' })}
${field({ name: 'rigidExpenses', label: `${t('Rigid expenses')} (¥)`, value: fv('assess').rigidExpenses, error: fe('assess').rigidExpenses, attrs: 'inputmode="decimal"' })}
${field({ name: 'evidence', label: t('Evidence'), value: fv('assess').evidence, error: fe('assess').evidence })}
<p class="wide"><button type="submit">${t('Record an assessment')}</button></p></form></section>
${['registered', 'assisted', 'returned'].includes(h.status) ? transition('exit', t('Mark exit')) : ''}
${h.status === 'exited' ? transition('return', t('Mark return')) : ''}` : ''}
${extraSections}
<h2>${t('Aid received')}</h2>
${table(req, [
  { head: t('Case no.'), cell: (c: any) => html`<a href="/cases/${c.id}">${c.caseNo}</a>` },
  { head: t('Reason'), cell: (c: any) => label(lang, AID_REASON, c.reason) },
  { head: t('Status'), cell: (c: any) => label(lang, STATUS, c.status) },
  { head: t('Approved amount'), cell: (c: any) => c.approvedAmount ?? '', num: true },
  { head: t('Paid on'), cell: (c: any) => c.paidDate ?? '' },
], aid, { csv: false })}
<h2>${t('History')}</h2>
${table(req, [
  { head: t('When'), cell: (e: any) => fmtTime(e.at) }, { head: t('Event'), cell: (e: any) => label(lang, HH_EVENT, e.kind) },
  { head: t('Status'), cell: (e: any) => (e.fromStatus || e.toStatus ? `${e.fromStatus ? label(lang, STATUS, e.fromStatus) : '—'} → ${label(lang, STATUS, e.toStatus)}` : '') },
  { head: t('Date'), cell: (e: any) => e.date ?? '' }, { head: t('Reason'), cell: (e: any) => systemText(lang, e.reason) },
  { head: t('Evidence'), cell: (e: any) => e.evidence ?? '' },
  { head: t('Details'), cell: (e: any) => historyDetails(req, e) },
  { head: t('Who'), cell: (e: any) => actorCell(lang, e.actor) },
], h.history ?? [], { csv: false })}`,
    });
  };

  r.get('/households/:id', needUser(...READ), (req, res) => filePage(req, res));

  r.post('/households/:id/assessments', needUser('officer'), async (req, res) => {
    const b = req.body;
    const body = { date: str(b.date), monthlyIncome: str(b.monthlyIncome), memberCount: intOr(str(b.memberCount)), rigidExpenses: str(b.rigidExpenses) || '0.00', evidence: str(b.evidence) };
    const out = await callApi(req, 'POST', `/households/${Number(req.params.id)}/assessments`, { body });
    if (out.ok) return res.redirect(303, `/households/${Number(req.params.id)}?saved=1`);
    filePage(req, res, { form: 'assess', errors: fieldErrors(out), message: apiError(out).message, values: b, status: out.status });
  });
  for (const kind of ['exit', 'return'] as const) {
    r.post(`/households/:id/${kind}`, needUser('officer'), async (req, res) => {
      const b = req.body;
      const body: Record<string, string> = { date: str(b.date), reason: str(b.reason) };
      if (kind === 'exit') body.evidence = str(b.evidence);
      const out = await callApi(req, 'POST', `/households/${Number(req.params.id)}/${kind}`, { body });
      if (out.ok) return res.redirect(303, `/households/${Number(req.params.id)}?saved=1`);
      filePage(req, res, { form: kind, errors: fieldErrors(out), message: apiError(out).message, values: b, status: out.status });
    });
  }
}
