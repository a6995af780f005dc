// The public notice of campaign rolls (公示, no login): a section on the notice board listing the rolls in
// notice, each roll's masked lines (line, masked name, district, category, amount — nothing else) and an
// objection form per line. Through the public API (no token).
import type { Request, Response, Router } from 'express';
import { apiError, callApi, fieldErrors, qs } from '../api';
import { html, type Html } from '../html';
import { CATEGORY, DISTRICT, label } from '../i18n';
import { csrfField, errorPage, field, fmtTime, langOf, page, recorded, str, table, tr, type Column } from '../view';
import { idParam, kindCell } from './campaigns';

interface PublicCampaign { id: number; name: string; kind: string; year: number; district: string | null; lines: number; total: string; noticeStart: string | null; noticeEnd: string | null }
interface PublicLine { lineNo: number; maskedName: string; district: string; category: string; amount: string }
interface PublicRoll { campaign: { id: number; name: string; kind: string; year: number; noticeEnd: string | null }; items: PublicLine[]; nextCursor: string | null }

/** The notice board's section: the campaign rolls in notice now (called by pages/public.ts). */
export async function campaignNoticeSection(req: Request): Promise<Html | ''> {
  const t = tr(req), lang = langOf(req);
  const out = await callApi<{ items: PublicCampaign[] }>(req, 'GET', '/public/campaigns', { token: null });
  if (!out.ok || !out.body.items.length) return '';
  const cols: Column<PublicCampaign>[] = [
    { head: t('Relief campaign'), cell: (c) => html`<a href="/notices/campaigns/${c.id}">${recorded(c.name)}</a>` },
    { head: t('Campaign kind'), cell: (c) => kindCell(lang, c.kind) },
    { head: t('District'), cell: (c) => (c.district ? label(lang, DISTRICT, c.district) : t('All')) },
    { head: t('Household count'), cell: (c) => c.lines, num: true },
    { head: t('Roll total'), cell: (c) => c.total, num: true },
    { head: t('Notice ends'), cell: (c) => fmtTime(c.noticeEnd) },
    { head: t('Open the roll'), cell: (c) => html`<a href="/notices/campaigns/${c.id}">${t('Open the roll')}</a>` },
  ];
  return html`<section aria-labelledby="h-campaign-notices"><h2 id="h-campaign-notices">${t('Campaign rolls in public notice')}</h2>${table(req, cols, out.body.items, { csv: false })}</section>`;
}

export function campaignPublicPages(r: Router) {
  const rollPage = async (req: Request, res: Response, extra: { flash?: string } = {}) => {
    const t = tr(req), lang = langOf(req);
    const id = idParam(req.params.id);
    if (!id) return errorPage(req, res, 404, t('Page not found'));
    const district = str(req.query.district);
    const out = await callApi<PublicRoll>(req, 'GET', `/public/campaigns/${id}/lines${qs({ district, limit: 50, cursor: str(req.query.cursor) })}`, { token: null });
    if (!out.ok) return errorPage(req, res, out.status, apiError(out).message);
    const c = out.body.campaign;
    const cols: Column<PublicLine>[] = [
      { head: t('Line no.'), cell: (l) => l.lineNo, num: true },
      { head: t('Name'), cell: (l) => l.maskedName },
      { head: t('District'), cell: (l) => label(lang, DISTRICT, l.district) },
      { head: t('Category'), cell: (l) => label(lang, CATEGORY, l.category) },
      { head: t('Amount'), cell: (l) => l.amount, num: true },
      { head: t('File an objection'), cell: (l) => html`<a href="/notices/campaigns/${id}/lines/${l.lineNo}/objection">${t('Object to this line')} ${l.lineNo}</a>` },
    ];
    page(req, res, {
      title: `${t('Notice board')} · ${c.name}`,
      flash: extra.flash ?? (req.query.filed ? t('Objection received. Thank you.') : undefined),
      body: html`<h1>${t('Notice board')} · ${recorded(c.name)}</h1>
<p>${kindCell(lang, c.kind)} · ${c.year} · ${t('Notice ends')} ${fmtTime(c.noticeEnd)}</p>
<p>${t('Names are masked; ID numbers, phones and addresses are never shown.')}</p>
<form method="get" action="/notices/campaigns/${id}" class="filters">
${field({ name: 'district', label: t('District'), value: district, options: [['', t('All')], ...Object.keys(DISTRICT).map((d) => [d, label(lang, DISTRICT, d)] as [string, string])] })}
<button type="submit">${t('Filter')}</button></form>
${table(req, cols, out.body.items, { nextCursor: out.body.nextCursor, csv: false })}
<p><a href="/notices">${t('Notice board')}</a></p>`,
    });
  };
  r.get('/notices/campaigns/:id', (req, res) => rollPage(req, res));

  const objectionForm = async (req: Request, res: Response, o: { text?: string; contact?: string; message?: string; errors?: Record<string, string>; status?: number } = {}) => {
    const t = tr(req), lang = langOf(req);
    const id = idParam(req.params.id), lineNo = idParam(req.params.lineNo);
    if (!id || !lineNo) return errorPage(req, res, 404, t('Page not found'));
    // The line as the public sees it (the roll in notice, this line number).
    const out = await callApi<PublicRoll>(req, 'GET', `/public/campaigns/${id}/lines${qs({ cursor: lineNo > 1 ? lineNo - 1 : undefined, limit: 1 })}`, { token: null });
    const line = out.ok ? out.body.items.find((l) => l.lineNo === lineNo) : undefined;
    if (!out.ok || !line) return errorPage(req, res, out.ok ? 404 : out.status, out.ok ? t('Page not found') : apiError(out).message);
    page(req, res, {
      title: t('Objection to line'),
      status: o.status,
      body: html`<h1>${t('Objection to line')} ${lineNo} · ${recorded(out.body.campaign.name)}</h1>
<dl class="facts"><dt>${t('Name')}</dt><dd>${line.maskedName}</dd><dt>${t('District')}</dt><dd>${label(lang, DISTRICT, line.district)}</dd>
<dt>${t('Category')}</dt><dd>${label(lang, CATEGORY, line.category)}</dd><dt>${t('Amount')}</dt><dd>¥${line.amount}</dd></dl>
${o.message ? html`<p class="error" role="alert">${o.message}</p>` : ''}
<form method="post" action="/notices/campaigns/${id}/lines/${lineNo}/objection" class="narrow">${csrfField(req)}
${field({ name: 'text', label: t('Your objection (text only)'), textarea: true, required: true, value: o.text, error: o.errors?.text, attrs: 'maxlength="2000"' })}
${field({ name: 'contact', label: t('Contact (optional)'), value: o.contact, error: o.errors?.contact, attrs: 'maxlength="200"' })}
<button type="submit">${t('File an objection')}</button></form>
<p><a href="/notices/campaigns/${id}">${t('Open the roll')}</a></p>`,
    });
  };
  r.get('/notices/campaigns/:id/lines/:lineNo/objection', (req, res) => objectionForm(req, res));
  r.post('/notices/campaigns/:id/lines/:lineNo/objection', async (req, res) => {
    const id = idParam(req.params.id), lineNo = idParam(req.params.lineNo);
    if (!id || !lineNo) return errorPage(req, res, 404, tr(req)('Page not found'));
    const text = typeof req.body?.text === 'string' ? req.body.text : '';
    const contact = str(req.body?.contact);
    const out = await callApi(req, 'POST', `/public/campaigns/${id}/lines/${lineNo}/objections`, { body: { text, ...(contact ? { contact } : {}) }, token: null });
    if (out.ok) return res.redirect(303, `/notices/campaigns/${id}?filed=1`);
    await objectionForm(req, res, { text, contact, message: apiError(out).message, errors: fieldErrors(out), status: out.status });
  });
}
