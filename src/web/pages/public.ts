import type { Router } from 'express';
import type { AppContext } from '../../http/route';
import { cachedPage, PUBLIC_MAX_AGE } from '../../http/conditional';
import { apiError, callApi, fieldErrors, qs } from '../api';
import { html } from '../html';
import { AID_REASON, DISTRICT, label } from '../i18n';
import { REPORT_KIND } from '../i18n-people';
import { shanghaiDate } from '../../platform/clock';
import { isPublicPeriod } from '../../reports';
import { noticeBoardTimeline } from '../../aid';
import { campaignNoticeSection } from './campaigns-public';
import { csrfField, errorPage, field, fmtTime, langOf, page, sendCsv, str, table, tr, wantsCsv, type Column } from '../view';

const pageQuery = (req: any) => ({ limit: Math.min(Number(req.query.limit) || 50, 500), cursor: typeof req.query.cursor === 'string' ? req.query.cursor : undefined });

/** A published report's facts with Chinese labels and Asia/Shanghai times (the verify result). */
function publicationFacts(t: (s: string) => string, lang: 'zh' | 'en', p: any) {
  const params = p.params && typeof p.params === 'object' ? p.params : {};
  const paramText = [
    params.from || params.to ? `${t('From')} ${params.from ?? ''} ${t('To')} ${params.to ?? ''}` : '',
    params.fund ? `${t('Fund')} ${params.fund}` : '',
    params.year ? `${t('Year')} ${params.year}` : '',
  ].filter(Boolean).join(' · ') || '—';
  const rows: [string, string][] = [
    [t('Report kind'), label(lang, REPORT_KIND, p.kind)],
    [t('Parameters'), paramText],
    ['SHA-256', String(p.sha256 ?? '')],
    [t('Published at'), fmtTime(p.issuedAt)],
    [t('Generated at'), fmtTime(p.generatedAt)],
    [t('Pages'), String(p.pages ?? '')],
    [t('File size (bytes)'), String(p.bytes ?? '')],
    [t('Published seq'), String(p.seq ?? '')],
    [t('Audit head seq'), String(p.headSeq ?? '')],
    [t('Audit head hash'), String(p.headHash ?? '')],
  ];
  return html`<dl class="facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${k === 'SHA-256' || k === t('Audit head hash') ? html`<code>${v}</code>` : v}</dd>`)}</dl>`;
}

export function publicPages(r: Router, ctx: AppContext) {
  // Anonymous pages revalidate against the audit head (src/http/conditional.ts): 304 before any API call or
  // rendering. Private to the browser: the board holds the visitor's form token, every page the language.
  const boardCache = cachedPage(ctx.db, (req) => ({ scope: 'private', timeBucketMs: PUBLIC_MAX_AGE * 1000, timeline: () => noticeBoardTimeline(ctx.db), vary: [langOf(req), req.web?.csrf] }));
  const disclosureCache = cachedPage(ctx.db, (req) => ({ scope: 'private', vary: [langOf(req), shanghaiDate()] }));
  const verifyCache = cachedPage(ctx.db, (req) => ({ scope: 'private', vary: [langOf(req)] }));
  const noticeBoard = async (req: any, res: any, extra: { caseNo?: string; errors?: Record<string, string>; message?: string; text?: string; contact?: string; flash?: string; status?: number } = {}) => {
    const t = tr(req), lang = langOf(req);
    const out = await callApi(req, 'GET', `/public/notices${qs(pageQuery(req))}`, { token: null });
    if (!out.ok) return errorPage(req, res, out.status, apiError(out).message);
    const items: any[] = out.body.items;
    const cols: Column<any>[] = [
      { head: t('Case no.'), cell: (n) => n.caseNo },
      { head: t('Name'), cell: (n) => n.maskedName },
      { head: t('District'), cell: (n) => label(lang, DISTRICT, n.district) },
      { head: t('Reason'), cell: (n) => label(lang, AID_REASON, n.reason) },
      { head: t('Approved amount'), cell: (n) => n.approvedAmount, num: true },
      { head: t('Notice starts'), cell: (n) => fmtTime(n.noticeStart) },
      { head: t('Notice ends'), cell: (n) => fmtTime(n.noticeEnd) },
      { head: t('Urgent'), cell: (n) => (n.urgent ? t('Yes') : t('No')) },
    ];
    if (wantsCsv(req)) return sendCsv(res, 'notices', cols, items);
    const objectionForm = (n: any) => {
      const mine = extra.caseNo === n.caseNo;
      return html`<details class="objection"${mine ? html` open` : ''}><summary>${t('File an objection')} · ${n.caseNo}</summary>
<form method="post" action="/notices/${n.caseNo}/objections">
${csrfField(req)}
${mine && extra.message ? html`<p class="error" role="alert">${extra.message}</p>` : ''}
${field({ name: 'text', label: `${t('Your objection (text only)')} (${n.caseNo})`, textarea: true, required: true, value: mine ? extra.text : '', error: mine ? extra.errors?.text : undefined, attrs: 'maxlength="2000"' })}
${field({ name: 'contact', label: `${t('Contact (optional)')} (${n.caseNo})`, value: mine ? extra.contact : '', error: mine ? extra.errors?.contact : undefined, attrs: 'maxlength="200"' })}
<button type="submit">${t('File an objection')}</button>
</form></details>`;
    };
    page(req, res, {
      title: t('Notice board'),
      status: extra.status,
      flash: extra.flash,
      body: html`<h1>${t('Notice board')}</h1>
<p>${t('Cases in public notice')}. ${t('Names are masked; ID numbers, phones and addresses are never shown.')}</p>
${table(req, cols, items, { nextCursor: out.body.nextCursor })}
${items.length ? html`<h2>${t('File an objection')}</h2>${items.map(objectionForm)}` : ''}
${await campaignNoticeSection(req)}`,
    });
  };

  r.get('/notices', boardCache, (req, res) => noticeBoard(req, res, req.query.filed ? { flash: tr(req)('Objection received. Thank you.') } : {}));

  r.post('/notices/:caseNo/objections', async (req, res) => {
    const caseNo = String(req.params.caseNo);
    const text = typeof req.body.text === 'string' ? req.body.text : '';
    const contact = str(req.body.contact);
    const out = await callApi(req, 'POST', `/public/notices/${encodeURIComponent(caseNo)}/objections`, { body: { text, ...(contact ? { contact } : {}) }, token: null });
    if (out.ok) return res.redirect(303, '/notices?filed=1');
    const e = apiError(out);
    return noticeBoard(req, res, { caseNo, errors: fieldErrors(out), message: e.message, text, contact, status: out.status });
  });

  // Public PDFs are for whole months, quarters or years (the API refuses other ranges without a login):
  // the chosen range when it is one, else the year it ends in; and always this year, quarter and last month.
  const lastDay = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
  const pdfHref = (from: string, to: string, fund: string) => `/api/v1/reports/aid-disclosure.pdf${qs({ from, to, fund })}`;
  const disclosurePdfLinks = (t: (s: string) => string, from: string, to: string, fund: string) => {
    const today = shanghaiDate();
    const y = Number(today.slice(0, 4)), m = Number(today.slice(5, 7));
    const q0 = Math.floor((m - 1) / 3) * 3 + 1;
    const [ly, lm] = m === 1 ? [y - 1, 12] : [y, m - 1];
    const pad = (n: number) => String(n).padStart(2, '0');
    const links: [string, string, string][] = [];
    if (from && to) {
      const whole = isPublicPeriod(from, to);
      const p = whole ? { from, to } : { from: `${to.slice(0, 4)}-01-01`, to: `${to.slice(0, 4)}-12-31` };
      links.push([whole ? `${from} – ${to}` : `${t('The PDF of the year')} ${to.slice(0, 4)}`, p.from, p.to]);
    }
    links.push([`${t('This year')} ${y}`, `${y}-01-01`, `${y}-12-31`]);
    links.push([`${t('This quarter')} ${y}Q${(q0 + 2) / 3}`, `${y}-${pad(q0)}-01`, lastDay(y, q0 + 2)]);
    links.push([`${t('Last month')} ${ly}-${pad(lm)}`, `${ly}-${pad(lm)}-01`, lastDay(ly, lm)]);
    return html`<section aria-labelledby="h-pdf"><h2 id="h-pdf">${t('Disclosure PDFs (whole months, quarters or years)')}</h2>
<ul class="pdf-links">${links.map(([text, f, to2]) => html`<li><a href="${pdfHref(f, to2, fund)}" download data-pdf-period="${f}/${to2}">${t('Aid disclosure')} · ${text} (PDF)</a></li>`)}</ul></section>`;
  };
  r.get('/disclosures', disclosureCache, async (req, res) => {
    const t = tr(req), lang = langOf(req);
    const from = str(req.query.from), to = str(req.query.to), fund = str(req.query.fund);
    const out = await callApi(req, 'GET', `/public/disclosures${qs({ from, to, fund, ...pageQuery(req) })}`, { token: null });
    const errors = out.ok ? {} : fieldErrors(out);
    const items: any[] = out.ok ? out.body.items : [];
    const cols: Column<any>[] = [
      { head: t('Case no.'), cell: (d) => d.caseNo },
      { head: t('Name'), cell: (d) => d.maskedName },
      { head: t('District'), cell: (d) => label(lang, DISTRICT, d.district) },
      { head: t('Reason'), cell: (d) => label(lang, AID_REASON, d.reason) },
      { head: t('Fund'), cell: (d) => d.fund },
      { head: t('Approved amount'), cell: (d) => d.approvedAmount, num: true },
      { head: t('Paid on'), cell: (d) => d.paidAt },
      { head: t('Notice'), cell: (d) => (d.noticeStart ? `${fmtTime(d.noticeStart)} – ${fmtTime(d.noticeEnd)}` : '') },
      { head: t('Urgent'), cell: (d) => (d.urgent ? t('Yes') : t('No')) },
    ];
    if (wantsCsv(req)) return sendCsv(res, 'disclosures', cols, items);
    page(req, res, {
      title: t('Disclosures'),
      body: html`<h1>${t('Disclosures')}</h1>
<p>${t('Paid aid')}. ${t('Names are masked; ID numbers, phones and addresses are never shown.')}</p>
<form method="get" action="/disclosures" class="filters">
${field({ name: 'from', label: t('From'), type: 'date', value: from, error: errors.from })}
${field({ name: 'to', label: t('To'), type: 'date', value: to, error: errors.to })}
${field({ name: 'fund', label: t('Fund'), value: fund, error: errors.fund })}
<button type="submit">${t('Filter')}</button>
</form>
${out.ok ? '' : html`<p class="error" role="alert">${apiError(out).message}</p>`}
${table(req, cols, items, { nextCursor: out.ok ? out.body.nextCursor : null })}
${disclosurePdfLinks(t, from, to, fund)}`,
    });
  });

  r.get('/verify', verifyCache, async (req, res) => {
    const t = tr(req);
    const sha = str(req.query.sha256).toLowerCase();
    let result = html``;
    if (sha) {
      if (!/^[0-9a-f]{64}$/.test(sha)) {
        result = html`<p class="error" role="alert" id="verify-result">${t('SHA-256 must be 64 hexadecimal characters.')}</p>`;
      } else {
        const out = await callApi(req, 'GET', `/public/reports/verify${qs({ sha256: sha })}`, { token: null });
        const found = out.ok && out.body?.issued === true;
        result = found
          ? html`<div class="ok" role="status" id="verify-result"><p><strong>${t('Verified: this report was published by the foundation.')}</strong></p>
${publicationFacts(t, langOf(req), out.body)}</div>`
          : out.status === 404 || out.ok
            ? html`<p class="error" role="status" id="verify-result">${t('Not found: no report with this SHA-256 was published.')}</p>`
            : html`<p class="error" role="alert" id="verify-result">${apiError(out).message}</p>`;
      }
    }
    page(req, res, {
      title: t('Verify a report'),
      body: html`<h1>${t('Verify a report')}</h1>
<p>${t('Paste a SHA-256 or choose a PDF: the file is hashed in your browser and never uploaded.')}</p>
<form method="get" action="/verify" class="narrow" data-hash-form>
${field({ name: 'pdf', label: t('PDF file'), type: 'file', attrs: 'accept="application/pdf" data-hash-into="f-sha256"' })}
${field({ name: 'sha256', label: 'SHA-256', value: sha, attrs: 'pattern="[0-9a-fA-F]{64}" autocomplete="off" spellcheck="false"' })}
<button type="submit">${t('Verify')}</button>
</form>
${result}`,
    });
  });
}
