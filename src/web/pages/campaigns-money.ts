// Paying a campaign (finance): the payment run, the bank file (CSV in GBK, XLSX) and the bank's result file
// (a multipart upload: the CSRF token travels in the form's action, as for documents). Everything through
// the JSON API; the bank file's bytes pass through untouched and are never kept.
import crypto from 'node:crypto';
import type { Request, Router } from 'express';
import busboy from 'busboy';
import { apiError, callApi, qs } from '../api';
import { html, type Html } from '../html';
import { DISTRICT, label } from '../i18n';
import { csrfField, errorPage, field, hasRole, langOf, needUser, page, recorded, table, tr } from '../view';
import { shanghaiDate } from '../../platform/clock';
import { idParam, type CampaignDetail, type CampaignPage } from './campaigns';

/** A result file of 50,000 lines, read whole (the API takes it as base64 in JSON, ≤ 8,000,000 characters). */
const MAX_RESULT_BYTES = 5_900_000;

interface PaymentSummary { campaignId: number; status: string; paidNow: number; amountNow: string; withoutBankAccount: number; entries: string[] }
interface ResultSummary { campaignId: number; confirmed: number; returned: number; skipped: number; returnedLines: { lineNo: number; district: string; maskedName: string; amount: string; reason: string }[] }

/** The finance actions on a campaign's page. */
export function moneyActions(req: Request, c: CampaignDetail, err: (form: string) => Html | ''): Html[] {
  if (!hasRole(req, 'finance')) return [];
  const t = tr(req);
  const out: Html[] = [];
  const s = c.status;
  if (['in_notice', 'payable', 'paying', 'paid'].includes(s)) {
    out.push(html`<section class="action" aria-labelledby="h-pay"><h3 id="h-pay">${t('Pay the roll')}</h3>${err('pay')}
<p class="hint">${t('One ledger entry per household, through the batch path; the fund’s available amount is checked first.')} ${t('Households without a bank account are left for cash.')}</p>
${s === 'in_notice' ? html`<p class="hint">${t('Open objections first: the roll cannot be paid while one is open.')}</p>` : ''}
<form method="post" action="/campaigns/${c.id}/pay" class="grid">${csrfField(req)}<input type="hidden" name="idempotencyKey" value="${crypto.randomUUID()}">
${field({ name: 'date', label: t('Payment date'), type: 'date', value: shanghaiDate(), required: true })}
<p class="wide"><button type="submit">${t('Pay the roll')}</button></p></form></section>`);
  }
  if (s === 'paying' || s === 'paid') {
    out.push(html`<section class="action" aria-labelledby="h-bank"><h3 id="h-bank">${t('Bank file')}</h3>${err('bank-file')}
<ul><li><a href="/campaigns/${c.id}/bank-file.csv" download>${t('Download the bank file (CSV, GBK)')}</a></li><li><a href="/campaigns/${c.id}/bank-file.xlsx" download>${t('Download the bank file (Excel)')}</a></li></ul></section>`);
    out.push(html`<section class="action" aria-labelledby="h-results"><h3 id="h-results">${t('Upload the bank’s result file')}</h3>${err('bank-results')}
<form method="post" enctype="multipart/form-data" action="/campaigns/${c.id}/bank-results?_csrf=${encodeURIComponent(req.web?.csrf ?? '')}" class="grid">
<input type="hidden" name="idempotencyKey" value="${crypto.randomUUID()}">
<div class="field wide"><label for="f-result-file">${t('Result file (CSV or Excel)')} *</label><input id="f-result-file" name="file" type="file" required accept=".csv,.txt,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" aria-describedby="f-result-hint"><p class="hint" id="f-result-hint">${t('Columns 附言 and 状态 (成功 / 失败), optional 失败原因 and 金额.')}</p></div>
<p class="wide"><button type="submit">${t('Upload')}</button></p></form></section>`);
  }
  return out;
}

export function campaignMoneyPages(r: Router, campaignPage: CampaignPage) {
  r.post('/campaigns/:id/pay', needUser('finance'), async (req, res) => {
    const t = tr(req);
    const id = idParam(req.params.id);
    if (!id) return errorPage(req, res, 404, t('Page not found'));
    const date = String(req.body?.date ?? '').trim();
    const out = await callApi<PaymentSummary>(req, 'POST', `/campaigns/${id}/payments`, { body: date ? { date } : {}, idempotencyKey: String(req.body?.idempotencyKey ?? '') || crypto.randomUUID() });
    if (!out.ok) return campaignPage(req, res, { form: 'pay', message: apiError(out).message, status: out.status });
    const p = out.body;
    await campaignPage(req, res, {
      flash: html`${t('Payment result')}: ${t('Paid now')} ${p.paidNow} · ${t('Amount paid now')} ¥${p.amountNow} · ${t('Without a bank account')} ${p.withoutBankAccount}${p.entries.length ? html` · ${t('Journal')} <span translate="no">${p.entries[0]}${p.entries.length > 1 ? ` … ${p.entries[p.entries.length - 1]}` : ''}</span>` : ''}`,
    });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    r.get(`/campaigns/:id/bank-file.${format}`, needUser('finance'), async (req, res) => {
      const id = idParam(req.params.id);
      if (!id) return errorPage(req, res, 404, tr(req)('Page not found'));
      const out = await callApi(req, 'GET', `/campaigns/${id}/bank-file${qs({ format })}`, { binary: true });
      if (!out.ok || !out.bytes) return campaignPage(req, res, { form: 'bank-file', message: apiError(out).message, status: out.status });
      for (const h of ['content-type', 'content-disposition', 'x-lines', 'x-total']) {
        const v = out.headers.get(h);
        if (v) res.setHeader(h, v);
      }
      res.setHeader('Cache-Control', 'no-store');
      res.send(out.bytes);
    });
  }

  // The result file: multipart (works without script); read whole (bounded), sent to the API as base64.
  r.post('/campaigns/:id/bank-results', needUser('finance'), (req, res, next) => {
    const t = tr(req), lang = langOf(req);
    const id = idParam(req.params.id);
    if (!id) return errorPage(req, res, 404, t('Page not found'));
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 1, fields: 3, fieldSize: 200, fileSize: MAX_RESULT_BYTES } });
    } catch {
      return campaignPage(req, res, { form: 'bank-results', message: t('Choose a file.'), status: 400 });
    }
    const fields: Record<string, string> = {};
    const chunks: Buffer[] = [];
    let name = '';
    let tooLarge = false;
    bb.on('field', (k, v) => { fields[k] = v; });
    bb.on('file', (_k, file, info) => {
      name = info.filename ?? '';
      file.on('data', (d: Buffer) => chunks.push(d));
      file.on('limit', () => { tooLarge = true; });
    });
    bb.on('error', (e) => { if (!res.headersSent) next(e); });
    bb.on('close', () => {
      void (async () => {
        const bytes = Buffer.concat(chunks);
        if (!bytes.length) return campaignPage(req, res, { form: 'bank-results', message: t('Choose a file.'), status: 400 });
        if (tooLarge) return campaignPage(req, res, { form: 'bank-results', message: `${t('The upload was refused')} (> ${MAX_RESULT_BYTES} B)`, status: 413 });
        const xlsx = /\.xlsx$/i.test(name) || (bytes[0] === 0x50 && bytes[1] === 0x4b);
        const out = await callApi<ResultSummary>(req, 'POST', `/campaigns/${id}/bank-results`, {
          body: { format: xlsx ? 'xlsx' : 'csv', contentBase64: bytes.toString('base64') }, idempotencyKey: fields.idempotencyKey || crypto.randomUUID(),
        });
        if (!out.ok) return campaignPage(req, res, { form: 'bank-results', message: apiError(out).message, status: out.status });
        const s = out.body;
        page(req, res, {
          title: t('Result imported'),
          flash: `${t('Result imported')}: ${t('Confirmed')} ${s.confirmed} · ${t('Returned')} ${s.returned} · ${t('Skipped')} ${s.skipped}`,
          body: html`<h1>${t('Result imported')} · C${id}</h1>
<dl class="facts"><dt>${t('Confirmed')}</dt><dd>${s.confirmed}</dd><dt>${t('Returned')}</dt><dd>${s.returned}</dd><dt>${t('Skipped')}</dt><dd>${s.skipped}</dd></dl>
${s.returnedLines.length ? html`<h2>${t('Lines returned by the bank')}</h2><p>${t('Pay again with the next payment run, or in cash.')}</p>${table(req, [
  { head: t('Line no.'), cell: (l: ResultSummary['returnedLines'][number]) => l.lineNo, num: true },
  { head: t('Head of household'), cell: (l) => l.maskedName },
  { head: t('District'), cell: (l) => label(lang, DISTRICT, l.district) },
  { head: t('Amount'), cell: (l) => l.amount, num: true },
  { head: t('Reason'), cell: (l) => recorded(l.reason) },
], s.returnedLines, { csv: false })}<p><a href="/campaigns/${id}/lines?payState=returned">${t('Roll lines')} · ${t('Pay in cash')}</a></p>` : ''}
<p><a href="/campaigns/${id}">${t('Back to the campaign')}</a></p>`,
        });
      })().catch(next);
    });
    req.pipe(bb);
  });
}
