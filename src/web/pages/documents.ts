import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Router } from 'express';
import busboy from 'busboy';
import { apiError, baseUrl, callApi, qs, type ApiResult } from '../api';
import { html, type Html } from '../html';
import { label } from '../i18n';
import { OWNER_KIND } from '../i18n-documents';
import { csrfField, errorPage, fmtTime, hasRole, langOf, needUser, str, tr } from '../view';

// Supporting documents on the household page: the list (image thumbnails, PDFs opening in the browser), the
// upload form (a phone takes a photo), withdrawal. The bytes travel browser ⇄ page ⇄ API as streams: the page
// never holds a file, and every rule (type, size, who, audit) is the API's.

interface DocumentItem { id: number; ownerKind: string; ownerId: number; title: string; mediaType: string; sizeBytes: number; status: string; createdBy: string; createdAt: string; withdrawReason: string | null; erased: boolean }

/** The API's headers for a streamed call on the visitor's behalf (as callApi sets them). */
function apiHeaders(req: Request, extra: Record<string, string> = {}) {
  const headers: Record<string, string> = { ...extra };
  if (req.web?.token) headers.authorization = `Bearer ${req.web.token}`;
  if (req.ip) headers['x-forwarded-for'] = req.ip;
  if (typeof req.id === 'string' || typeof req.id === 'number') headers['x-request-id'] = String(req.id);
  return headers;
}

const kb = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`);
const showsInline = (m: string) => m === 'image/jpeg' || m === 'image/png';

/** The documents of a household file (its own and its records'), for the household page. */
export async function householdDocuments(req: Request, householdId: number): Promise<DocumentItem[] | undefined> {
  const r = await callApi<{ items: DocumentItem[] }>(req, 'GET', `/documents${qs({ householdId, limit: 500 })}`);
  return r.ok ? r.body.items : undefined;
}

/** The household page's documents section; `owners` are the records a document may be attached to besides the file. */
export function documentsSection(req: Request, householdId: number, docs: DocumentItem[] | undefined, owners: [string, string][] = []): Html | '' {
  if (docs === undefined) return ''; // a role that may not see documents (finance) gets no section
  const t = tr(req), lang = langOf(req);
  const canWrite = hasRole(req, 'officer');
  const item = (d: DocumentItem) => {
    const href = `/documents/${d.id}/content`;
    const owner = d.ownerKind === 'household' ? '' : html` · ${label(lang, OWNER_KIND, d.ownerKind)} #${d.ownerId}`;
    const preview = d.erased ? html`<span class="badge">${t('Erased')}</span>`
      : showsInline(d.mediaType) ? html`<a href="${href}" target="_blank" rel="noopener"><img src="${href}" width="160" alt="${d.title}" loading="lazy"></a>`
      : html`<a class="button" href="${href}" target="_blank" rel="noopener">${d.mediaType === 'application/pdf' ? t('Open PDF') : t('Open file')}</a>`;
    const withdraw = canWrite && d.status === 'active'
      ? html`<form method="post" action="/documents/${d.id}/withdraw" class="inline">${csrfField(req)}<input type="hidden" name="household" value="${householdId}">
<label for="wd-${d.id}">${t('Withdrawal reason')}</label> <input id="wd-${d.id}" name="reason" required maxlength="1000"> <button type="submit">${t('Withdraw')}</button></form>`
      : '';
    return html`<li class="document" data-document="${d.id}"><figure>${preview}<figcaption><strong>${d.title}</strong>${owner} · ${kb(d.sizeBytes)} · ${fmtTime(d.createdAt)} · <span translate="no">${d.createdBy}</span>
${d.status === 'withdrawn' ? html` · <span class="badge">${t('Withdrawn')}</span> ${d.withdrawReason ?? ''}` : ''}</figcaption></figure>${withdraw}</li>`;
  };
  const form = canWrite
    ? html`<form method="post" enctype="multipart/form-data" action="/households/${householdId}/documents?_csrf=${encodeURIComponent(req.web?.csrf ?? '')}" class="grid" aria-labelledby="h-doc-upload">
<h3 id="h-doc-upload" class="wide">${t('Attach a document')}</h3>
<div class="field"><label for="f-doc-owner">${t('Attach to')}</label><select id="f-doc-owner" name="owner"><option value="household:${householdId}">${t('This household file')}</option>${owners.map(([v, l]) => html`<option value="${v}">${l}</option>`)}</select></div>
<div class="field"><label for="f-doc-title">${t('Title')} *</label><input id="f-doc-title" name="title" required maxlength="200"></div>
<div class="field"><label for="f-doc-file">${t('File')} *</label><input id="f-doc-file" name="file" type="file" accept="application/pdf,image/*" capture="environment" required aria-describedby="f-doc-hint"><p class="hint" id="f-doc-hint">${t('PDF, JPEG, PNG or HEIC, at most 20 MB; on a phone this takes a photo.')}</p></div>
<p class="wide"><button type="submit">${t('Upload')}</button></p></form>`
    : '';
  return html`<section id="documents" aria-labelledby="h-documents"><h2 id="h-documents">${t('Supporting documents')}</h2>
<p class="hint">${t('Every view of a document is recorded in the audit log.')}</p>
${docs.length ? html`<ul class="documents">${docs.map(item)}</ul>` : html`<p>${t('No documents yet.')}</p>`}
${form}</section>`;
}

export function documentPages(r: Router) {
  // The content, streamed from the API (which audits the view): thumbnails and PDFs open from here.
  r.get('/documents/:id/content', needUser('officer', 'approver', 'auditor'), async (req, res) => {
    const id = Number(req.params.id);
    if (!Number.isSafeInteger(id) || id < 1 || id > 2147483647) return errorPage(req, res, 404, tr(req)('Page not found'));
    const up = await fetch(`${baseUrl(req)}/api/v1/documents/${id}/content`, { headers: apiHeaders(req) });
    if (!up.ok || !up.body) {
      const text = await up.text();
      let body: unknown;
      try { body = JSON.parse(text); } catch { body = undefined; }
      return errorPage(req, res, up.status, apiError({ status: up.status, ok: false, body, headers: up.headers } as ApiResult).message);
    }
    for (const h of ['content-type', 'content-length', 'content-disposition', 'x-content-type-options']) {
      const v = up.headers.get(h);
      if (v) res.setHeader(h, v);
    }
    res.setHeader('Cache-Control', 'private, no-store');
    // The file is shown by the browser itself (image, PDF viewer): nothing of it may run script.
    res.setHeader('Content-Security-Policy', "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'; frame-ancestors 'self'");
    await pipeline(Readable.fromWeb(up.body as import('node:stream/web').ReadableStream<Uint8Array>), res);
  });

  // The upload form (multipart; CSRF token in the action, the only field the CSRF check can read before the file).
  r.post('/households/:id/documents', needUser('officer'), (req, res, next) => {
    const householdId = Number(req.params.id);
    if (!Number.isSafeInteger(householdId) || householdId < 1) return errorPage(req, res, 404, tr(req)('Page not found'));
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 1, fields: 5, fieldSize: 1000 } });
    } catch {
      return errorPage(req, res, 400, tr(req)('The upload was refused'));
    }
    const fields: Record<string, string> = {};
    let handled = false;
    bb.on('field', (name, value) => { fields[name] = value; });
    bb.on('file', (_name, file, info) => {
      handled = true;
      const [kind, ownerId] = (fields.owner ?? `household:${householdId}`).split(':');
      const title = str(fields.title) || str(info.filename) || tr(req)('Supporting documents');
      const url = `${baseUrl(req)}/api/v1/documents${qs({ ownerKind: kind, ownerId, title: title.slice(0, 200) })}`;
      const init: RequestInit & { duplex: 'half' } = {
        method: 'POST', duplex: 'half',
        headers: apiHeaders(req, { 'content-type': info.mimeType || 'application/octet-stream' }),
        body: Readable.toWeb(file) as unknown as BodyInit,
      };
      fetch(url, init)
        .then(async (up) => {
          file.resume(); // the API may answer before it read everything (415, 413)
          const text = await up.text();
          if (up.ok) return res.redirect(303, `/households/${householdId}?saved=1#documents`);
          let body: unknown;
          try { body = JSON.parse(text); } catch { body = undefined; }
          errorPage(req, res, up.status, `${tr(req)('The upload was refused')}: ${apiError({ status: up.status, ok: false, body, headers: up.headers } as ApiResult).message}`);
        })
        .catch(next);
    });
    bb.on('close', () => {
      if (!handled && !res.headersSent) errorPage(req, res, 400, tr(req)('The upload was refused'));
    });
    bb.on('error', (e) => { if (!res.headersSent) next(e); });
    req.pipe(bb);
  });

  r.post('/documents/:id/withdraw', needUser('officer'), async (req, res) => {
    const id = Number(req.params.id);
    const household = Number(req.body?.household);
    const out = await callApi(req, 'POST', `/documents/${Number.isSafeInteger(id) ? id : 0}/withdraw`, { body: { reason: str(req.body?.reason) } });
    if (!out.ok) return errorPage(req, res, out.status, apiError(out).message);
    res.redirect(303, Number.isSafeInteger(household) && household > 0 ? `/households/${household}?saved=1#documents` : '/households');
  });
}
