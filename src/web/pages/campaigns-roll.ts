// The roll of a campaign: build / recompute with what changed (a preview first), the lines with the district
// review (exclude, include, adjust — each with a reason; officers see and act on their district's lines only),
// the progress page, and the dashboard's campaigns section. Everything through the JSON API.
import crypto from 'node:crypto';
import type { Request, Response, Router } from 'express';
import { apiError, callApi, qs } from '../api';
import { html, type Html } from '../html';
import { CATEGORY, DISTRICT, label } from '../i18n';
import { LINE_STATUS, PAY_STATE, REVIEW_ACTION } from '../i18n-campaigns';
import { csrfField, errorPage, field, hasRole, langOf, needUser, page, recorded, safeNext, sendCsv, str, table, tr, wantsExport, type Column } from '../view';
import { alertOf, CAMPAIGN_READ, getCampaign, idParam, statusBadge, type CampaignPage, type CampaignView } from './campaigns';

interface RollDiff {
  lines: number; included: number; total: string; added: number; removed: number; amountChanged: number;
  changes: {
    added: { householdId: number; maskedName: string; district: string; amount: string }[];
    removed: { lineNo: number; householdId: number; maskedName: string; district: string; amount: string }[];
    amountChanged: { lineNo: number; householdId: number; from: string; to: string; rule: string }[];
  };
}
export interface LineView {
  lineNo: number; householdId: number; maskedName: string; district: string; category: string; fund: string; ruleAmount: string; amount: string; rule: string;
  status: string; reviewNote: string | null; reviewedBy: string | null; payState: string; payAttempt: number; entryNumber: string | null; paidDate: string | null; bankReason: string | null;
}
interface Agg { lines: number; amount: string; paidLines: number; paid: string }
interface Progress {
  campaignId: number; status: string; district: string | null;
  lines: { total: number; included: number; excluded: number; removed: number; unpaid: number; paid: number; confirmed: number; returned: number };
  amounts: { roll: string; unpaid: string; paid: string; confirmed: string; returned: string };
  byDistrict: (Agg & { district: string })[];
  byCategory: (Agg & { category: string })[];
}

const bar = (done: number, total: number, labelText: string) => {
  const pct = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 0;
  return html`<div class="bar" role="img" aria-label="${labelText} ${pct}%"><svg viewBox="0 0 100 4" preserveAspectRatio="none" width="100%" height="16"><rect width="100" height="4" fill="#e8e2d8"/><rect width="${pct}" height="4" fill="#c0392b"/></svg></div>`;
};

async function progressOf(req: Request, id: number) {
  return callApi<Progress>(req, 'GET', `/campaigns/${id}/progress`);
}

/** The dashboard's campaigns section: the campaigns waiting on this user's role, each with its payment progress. */
export async function campaignDashboardSection(req: Request): Promise<Html[]> {
  if (!hasRole(req, 'officer', 'approver', 'finance', 'auditor')) return [];
  const t = tr(req), lang = langOf(req);
  const wanted = [
    ...(hasRole(req, 'officer') ? ['built'] : []), ...(hasRole(req, 'approver') ? ['submitted', 'in_notice'] : []),
    ...(hasRole(req, 'finance') ? ['payable', 'paying'] : []), ...(hasRole(req, 'auditor') ? ['paying'] : []),
  ];
  const items: CampaignView[] = [];
  for (const status of [...new Set(wanted)]) {
    const out = await callApi<{ items: CampaignView[] }>(req, 'GET', `/campaigns${qs({ status, limit: 20 })}`);
    if (out.ok) items.push(...out.body.items);
  }
  const rows: Html[] = [];
  for (const c of items.slice(0, 10)) {
    const p = await progressOf(req, c.id);
    const done = p.ok ? p.body.lines.paid + p.body.lines.confirmed : 0;
    const of = p.ok ? p.body.lines.included : 0;
    rows.push(html`<li><a href="/campaigns/${c.id}">C${c.id} ${recorded(c.name)}</a> · ${statusBadge(lang, c.status)} · ${t('Paid lines')} ${done} / ${of}${p.ok ? ` · ¥${p.body.amounts.paid} + ¥${p.body.amounts.confirmed} / ¥${p.body.amounts.roll}` : ''}
${bar(done, of, t('Paid lines'))} <a href="/campaigns/${c.id}/progress">${t('Campaign progress')} →</a></li>`);
  }
  return [html`<section class="card" aria-labelledby="todo-campaigns"><h2 id="todo-campaigns">${t('Relief campaigns')} · ${t('Waiting for you')} <span class="count">${items.length}</span></h2>
${rows.length ? html`<ul class="todo">${rows}</ul>` : html`<p>${t('Nothing waiting.')}</p>`}<p><a href="/campaigns">${t('Relief campaigns')} →</a></p></section>`];
}

export function campaignRollPages(r: Router, campaignPage: CampaignPage) {
  // Build or recompute: a preview (dryRun) first, showing what would change; then the build itself.
  r.post('/campaigns/:id/roll', needUser('officer'), async (req, res) => {
    const t = tr(req), lang = langOf(req);
    const id = idParam(req.params.id);
    if (!id) return errorPage(req, res, 404, t('Page not found'));
    const dryRun = str(req.body?.dryRun) === 'true';
    const out = await callApi<RollDiff>(req, 'POST', `/campaigns/${id}/roll`, { body: { dryRun } });
    if (!out.ok) return campaignPage(req, res, { form: 'roll', message: apiError(out).message, status: out.status });
    const d = out.body;
    const ch = d.changes;
    const nothing = d.added + d.removed + d.amountChanged === 0;
    page(req, res, {
      title: t('What changed'),
      flash: dryRun ? t('Preview: nothing was saved.') : t('The roll was built.'),
      body: html`<h1>${t('What changed')} · C${id}</h1>
<dl class="facts"><dt>${t('Lines on the roll')}</dt><dd>${d.included} / ${d.lines}</dd><dt>${t('Roll total')}</dt><dd>¥${d.total}</dd>
<dt>${t('Added')}</dt><dd>${d.added}</dd><dt>${t('Removed')}</dt><dd>${d.removed}</dd><dt>${t('Amount changed')}</dt><dd>${d.amountChanged}</dd></dl>
${nothing ? html`<p>${t('Nothing changed.')}</p>` : ''}
${ch.added.length ? html`<h2>${t('Added')} (${d.added})</h2>${table(req, [
  { head: t('Head of household'), cell: (a: RollDiff['changes']['added'][number]) => a.maskedName },
  { head: t('District'), cell: (a) => label(lang, DISTRICT, a.district) },
  { head: t('Amount'), cell: (a) => a.amount, num: true },
], ch.added, { csv: false })}` : ''}
${ch.removed.length ? html`<h2>${t('Removed')} (${d.removed})</h2>${table(req, [
  { head: t('Line no.'), cell: (a: RollDiff['changes']['removed'][number]) => a.lineNo, num: true },
  { head: t('Head of household'), cell: (a) => a.maskedName },
  { head: t('District'), cell: (a) => label(lang, DISTRICT, a.district) },
  { head: t('Amount'), cell: (a) => a.amount, num: true },
], ch.removed, { csv: false })}` : ''}
${ch.amountChanged.length ? html`<h2>${t('Amount changed')} (${d.amountChanged})</h2>${table(req, [
  { head: t('Line no.'), cell: (a: RollDiff['changes']['amountChanged'][number]) => a.lineNo, num: true },
  { head: t('From'), cell: (a) => a.from, num: true },
  { head: t('To'), cell: (a) => a.to, num: true },
  { head: t('Rule'), cell: (a) => recorded(a.rule) },
], ch.amountChanged, { csv: false })}` : ''}
${dryRun ? html`<form method="post" action="/campaigns/${id}/roll">${csrfField(req)}<input type="hidden" name="dryRun" value="false"><button type="submit">${t('Save this roll')}</button></form>` : ''}
<p><a href="/campaigns/${id}">${t('Back to the campaign')}</a> · <a href="/campaigns/${id}/lines">${t('Roll lines')}</a></p>`,
    });
  });

  const linesPage = async (req: Request, res: Response, extra: { line?: number; message?: string; status?: number } = {}) => {
    const t = tr(req), lang = langOf(req);
    const id = idParam(req.params.id);
    if (!id) return errorPage(req, res, 404, t('Page not found'));
    const user = req.web!.user!;
    const c = await getCampaign(req, id);
    if (!c.ok) return errorPage(req, res, c.status, apiError(c).message);
    const f = { district: user.district ? '' : str(req.query.district), status: str(req.query.status), payState: str(req.query.payState) };
    const out = await callApi<{ items: LineView[]; nextCursor: string | null }>(req, 'GET', `/campaigns/${id}/lines${qs({ ...f, limit: wantsExport(req) ? 500 : 50, cursor: str(req.query.cursor) })}`);
    const items = out.ok ? out.body.items : [];
    const back = req.originalUrl.split('#')[0]!;
    const canReview = c.body.status === 'built' && hasRole(req, 'officer');
    const canCash = ['paying', 'paid'].includes(c.body.status) && hasRole(req, 'finance');
    const reviewForm = (l: LineView) => {
      if (!canReview || (user.district && user.district !== l.district)) return '';
      const actions = (l.status === 'included' ? ['exclude', 'adjust'] : l.status === 'excluded' ? ['include'] : []).map((a) => [a, label(lang, REVIEW_ACTION, a)] as [string, string]);
      if (!actions.length) return '';
      return html`${extra.line === l.lineNo && extra.message ? html`<p class="error" role="alert">${extra.message}</p>` : ''}<form method="post" action="/campaigns/${id}/lines/${l.lineNo}/review" class="inline-form">${csrfField(req)}<input type="hidden" name="back" value="${back}">
<label for="a-${l.lineNo}">${t('Review')} ${l.lineNo}</label> <select id="a-${l.lineNo}" name="action">${actions.map(([v, n]) => html`<option value="${v}">${n}</option>`)}</select>
<label for="m-${l.lineNo}">${t('Adjusted amount')}</label> <input id="m-${l.lineNo}" name="amount" inputmode="decimal" size="8">
<label for="r-${l.lineNo}">${t('Reason (required)')}</label> <input id="r-${l.lineNo}" name="reason" maxlength="500" required>
<button type="submit">${t('Save')}</button></form>`;
    };
    const cashForm = (l: LineView) => {
      if (!canCash || l.status !== 'included' || !['unpaid', 'returned'].includes(l.payState)) return '';
      return html`${extra.line === l.lineNo && extra.message ? html`<p class="error" role="alert">${extra.message}</p>` : ''}<form method="post" action="/campaigns/${id}/lines/${l.lineNo}/cash" class="inline-form">${csrfField(req)}<input type="hidden" name="back" value="${back}"><input type="hidden" name="idempotencyKey" value="${crypto.randomUUID()}">
<label for="c-${l.lineNo}">${t('Note')} ${l.lineNo}</label> <input id="c-${l.lineNo}" name="note" maxlength="500" required> <button type="submit">${t('Pay in cash')}</button></form>`;
    };
    const cols: Column<LineView>[] = [
      { head: t('Line no.'), cell: (l) => l.lineNo, num: true },
      { head: t('Head of household'), cell: (l) => l.maskedName },
      { head: t('District'), cell: (l) => label(lang, DISTRICT, l.district) },
      { head: t('Category'), cell: (l) => label(lang, CATEGORY, l.category) },
      { head: t('Amount'), cell: (l) => l.amount, num: true },
      { head: t('Rule'), cell: (l) => recorded(l.rule), export: (l) => l.rule },
      { head: t('Status'), cell: (l) => label(lang, LINE_STATUS, l.status) },
      { head: t('Review note'), cell: (l) => (l.reviewNote ? html`${recorded(l.reviewNote)}${l.reviewedBy ? html` · <span translate="no">${l.reviewedBy}</span>` : ''}` : ''), export: (l) => l.reviewNote ?? '' },
      { head: t('Payment state'), cell: (l) => html`${label(lang, PAY_STATE, l.payState)}${l.bankReason ? html` · ${recorded(l.bankReason)}` : ''}`, export: (l) => label(lang, PAY_STATE, l.payState) },
      ...(canReview || canCash ? [{ head: t('Action'), cell: (l: LineView) => html`${reviewForm(l)}${cashForm(l)}`, export: () => '' }] : []),
    ];
    if (wantsExport(req)) return sendCsv(res, `campaign-${id}-lines`, cols.filter((x) => x.head !== t('Action')), items);
    page(req, res, {
      title: `${t('Roll lines')} C${id}`,
      status: extra.status,
      flash: req.query.saved ? t('Saved') : undefined,
      body: html`<h1>${t('Roll lines')} · C${id} ${recorded(c.body.name)} ${statusBadge(lang, c.body.status)}</h1>
<p><a href="/campaigns/${id}">${t('Back to the campaign')}</a></p>
${user.district ? html`<p class="hint">${t('You review the lines of your district only.')} (${label(lang, DISTRICT, user.district)})</p>` : ''}
${extra.message && !items.some((l) => l.lineNo === extra.line) ? html`<p class="error" role="alert">${extra.message}</p>` : ''}
<form method="get" action="/campaigns/${id}/lines" class="filters">
${user.district ? '' : field({ name: 'district', label: t('District'), value: f.district, options: [['', t('All')], ...Object.keys(DISTRICT).map((d) => [d, label(lang, DISTRICT, d)] as [string, string])] })}
${field({ name: 'status', label: t('Status'), value: f.status, options: [['', t('All')], ...Object.keys(LINE_STATUS).map((s) => [s, label(lang, LINE_STATUS, s)] as [string, string])] })}
${field({ name: 'payState', label: t('Payment state'), value: f.payState, options: [['', t('All')], ...Object.keys(PAY_STATE).map((s) => [s, label(lang, PAY_STATE, s)] as [string, string])] })}
<button type="submit">${t('Filter')}</button> <a href="/campaigns/${id}/lines">${t('Reset')}</a></form>
${out.ok ? '' : alertOf(out)}
${table(req, cols, items, { nextCursor: out.ok ? out.body.nextCursor : null })}`,
    });
  };
  r.get('/campaigns/:id/lines', needUser(...CAMPAIGN_READ), (req, res) => linesPage(req, res));
  r.post('/campaigns/:id/lines/:lineNo/review', needUser('officer'), async (req, res) => {
    const id = idParam(req.params.id), lineNo = idParam(req.params.lineNo);
    if (!id || !lineNo) return errorPage(req, res, 404, tr(req)('Page not found'));
    const action = str(req.body?.action);
    const body = { action, reason: str(req.body?.reason), ...(action === 'adjust' ? { amount: str(req.body?.amount) } : {}) };
    const out = await callApi(req, 'POST', `/campaigns/${id}/lines/${lineNo}/review`, { body });
    const back = safeNext(req.body?.back, `/campaigns/${id}/lines`);
    if (out.ok) return res.redirect(303, `${back}${back.includes('?') ? '&' : '?'}saved=1`);
    await linesPage(req, res, { line: lineNo, message: apiError(out).message, status: out.status });
  });
  r.post('/campaigns/:id/lines/:lineNo/cash', needUser('finance'), async (req, res) => {
    const id = idParam(req.params.id), lineNo = idParam(req.params.lineNo);
    if (!id || !lineNo) return errorPage(req, res, 404, tr(req)('Page not found'));
    const out = await callApi(req, 'POST', `/campaigns/${id}/lines/${lineNo}/cash`, { body: { note: str(req.body?.note) }, idempotencyKey: str(req.body?.idempotencyKey) || undefined });
    const back = safeNext(req.body?.back, `/campaigns/${id}/lines`);
    if (out.ok) return res.redirect(303, `${back}${back.includes('?') ? '&' : '?'}saved=1`);
    await linesPage(req, res, { line: lineNo, message: apiError(out).message, status: out.status });
  });

  r.get('/campaigns/:id/progress', needUser(...CAMPAIGN_READ), async (req, res) => {
    const t = tr(req), lang = langOf(req);
    const id = idParam(req.params.id);
    if (!id) return errorPage(req, res, 404, t('Page not found'));
    const [c, p] = await Promise.all([getCampaign(req, id), progressOf(req, id)]);
    if (!c.ok) return errorPage(req, res, c.status, apiError(c).message);
    if (!p.ok) return errorPage(req, res, p.status, apiError(p).message);
    const g = p.body;
    const done = g.lines.paid + g.lines.confirmed;
    const aggCols = <T extends Agg>(first: Column<T>): Column<T>[] => [
      first,
      { head: t('Household count'), cell: (x) => x.lines, num: true },
      { head: t('Amount'), cell: (x) => x.amount, num: true },
      { head: t('Paid lines'), cell: (x) => x.paidLines, num: true },
      { head: t('Paid amount'), cell: (x) => x.paid, num: true },
    ];
    const byDistrict = aggCols<Progress['byDistrict'][number]>({ head: t('District'), cell: (x) => label(lang, DISTRICT, x.district) });
    const byCategory = aggCols<Progress['byCategory'][number]>({ head: t('Category'), cell: (x) => label(lang, CATEGORY, x.category) });
    if (wantsExport(req)) return sendCsv(res, `campaign-${id}-progress`, byDistrict, g.byDistrict);
    page(req, res, {
      title: `${t('Campaign progress')} C${id}`,
      body: html`<h1>${t('Campaign progress')} · C${id} ${recorded(c.body.name)} ${statusBadge(lang, g.status)}</h1>
<p><a href="/campaigns/${id}">${t('Back to the campaign')}</a>${g.district ? html` · ${t('District')} ${label(lang, DISTRICT, g.district)}` : ''}</p>
<section class="card" aria-labelledby="h-paid"><h2 id="h-paid">${t('Paid lines')} ${done} / ${g.lines.included}</h2>${bar(done, g.lines.included, t('Paid lines'))}</section>
<h2>${t('Lines by state')}</h2>
<dl class="facts">
<dt>${label(lang, LINE_STATUS, 'included')}</dt><dd>${g.lines.included} · ¥${g.amounts.roll}</dd>
<dt>${label(lang, LINE_STATUS, 'excluded')}</dt><dd>${g.lines.excluded}</dd>
<dt>${label(lang, LINE_STATUS, 'removed')}</dt><dd>${g.lines.removed}</dd>
<dt>${label(lang, PAY_STATE, 'unpaid')}</dt><dd>${g.lines.unpaid} · ¥${g.amounts.unpaid}</dd>
<dt>${label(lang, PAY_STATE, 'paid')}</dt><dd>${g.lines.paid} · ¥${g.amounts.paid}</dd>
<dt>${label(lang, PAY_STATE, 'confirmed')}</dt><dd>${g.lines.confirmed} · ¥${g.amounts.confirmed}</dd>
<dt>${label(lang, PAY_STATE, 'returned')}</dt><dd>${g.lines.returned} · ¥${g.amounts.returned}</dd>
</dl>
<h2>${t('By district')}</h2>${table(req, byDistrict, g.byDistrict)}
<h2>${t('By category')}</h2>${table(req, byCategory, g.byCategory, { csv: false })}`,
    });
  });
}

