// Bulk import of household files (批量导入): the template, an upload with a preview whose problem cells are
// marked, and the confirmation (all rows, or the valid ones only); the imports' record. Everything through
// the API (POST /households/imports with dryRun, then without).
import type { Request, Response, Router } from 'express';
import { apiError, callApi } from '../api';
import { html, type Renderable } from '../html';
import { CATEGORY, DISTRICT, label } from '../i18n';
import { csrfField, errorPage, field, fmtTime, hasRole, langOf, needUser, page, str, table, tr, type Column } from '../view';

const IMPORT = ['officer'];
const VIEW = ['officer', 'auditor'];
/** Rows shown in the preview: those with problems first; the counts cover the whole file. */
const SHOWN = 500;

interface Problem { sheet: string; row: number | null; column: string | null; message: string; messageZh: string }
interface PreviewItem { row: number; valid: boolean; headName: string | null; idNumber: string | null; district: string | null; category: string | null; memberCount: number | null; members: number; problems: Problem[] }
interface Preview { fileName: string | null; format: string; encoding: string; rows: number; valid: number; invalid: number; problemCount: number; fileProblems: Problem[]; items: PreviewItem[] }
interface ImportView { id: number; createdBy: string; createdAt: string; fileName: string | null; format: string; rows: number; created: number; skipped: number; onlyValid: boolean; district: string | null }
interface CreatedFile { row: number; householdId: number; headName: string; district: string; category: string; status: string }

/** The file as the API takes it: the bytes the page's script read (base64), else the CSV text pasted. */
function fileBody(b: Record<string, unknown>) {
  const base64 = typeof b.contentBase64 === 'string' ? b.contentBase64.trim() : '';
  const text = typeof b.content === 'string' ? b.content : '';
  const fileName = str(b.fileName).slice(0, 200);
  return { contentBase64: base64 || Buffer.from(text, 'utf8').toString('base64'), ...(fileName ? { fileName } : {}) };
}

export function householdImportPages(r: Router) {
  const uploadPage = async (req: Request, res: Response, o: { preview?: Preview; message?: string; status?: number; body?: Record<string, unknown> } = {}) => {
    const t = tr(req);
    const canImport = hasRole(req, 'officer');
    const list = await callApi(req, 'GET', '/households/imports?limit=20');
    const imports: ImportView[] = list.ok ? list.body.items : [];
    const cols: Column<ImportView>[] = [
      { head: '#', cell: (i) => html`<a href="/household-imports/${i.id}">${i.id}</a>` },
      { head: t('File'), cell: (i) => i.fileName ?? '' },
      { head: t('Imported by, on'), cell: (i) => `${i.createdBy} · ${fmtTime(i.createdAt)}` },
      { head: t('Rows'), cell: (i) => i.rows, num: true },
      { head: t('Files created'), cell: (i) => i.created, num: true },
      { head: t('Rows skipped'), cell: (i) => i.skipped, num: true },
    ];
    const pv = o.preview;
    const body = o.body ?? {};
    page(req, res, {
      title: t('Import household files'),
      status: o.status,
      body: html`<h1>${t('Import household files')}</h1>
${canImport ? html`<p>${t('Fill in the template, preview the file, then confirm. Officers import into their own district only.')}
 <a href="/household-imports/template.xlsx" download>${t('Download the template (.xlsx)')}</a></p>
${o.message ? html`<div class="error" role="alert"><p>${o.message}</p></div>` : ''}
<form method="post" action="/household-imports/preview" class="grid">${csrfField(req)}
${field({ name: 'file', label: t('Household file (.xlsx or CSV)'), type: 'file', attrs: 'accept=".xlsx,.xls,.csv,.txt,text/csv,application/vnd.ms-excel,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" data-read-into="f-content" data-read-base64-into="f-contentBase64"' })}
${field({ name: 'content', label: t('CSV text'), textarea: true, value: pv || !body.content ? '' : String(body.content), hint: t('A spreadsheet is sent as it is; CSV text shows here (UTF-8 or GBK).') })}
<input type="hidden" id="f-contentBase64" name="contentBase64" value="${typeof body.contentBase64 === 'string' ? body.contentBase64 : ''}">
${field({ name: 'fileName', label: t('File name (for the record)'), value: body.fileName, attrs: 'maxlength="200"' })}
<p class="wide"><button type="submit">${t('Preview')}</button></p>
</form>
${pv ? previewSection(req, pv, body) : ''}` : ''}
<h2>${t('Earlier imports')}</h2>
${list.ok ? table(req, cols, imports, { csv: false }) : html`<p class="error">${apiError(list).message}</p>`}
`,
    });
  };

  r.get('/household-imports', needUser(...IMPORT, ...VIEW), (req, res) => uploadPage(req, res));
  r.get('/household-imports/template.xlsx', needUser(...IMPORT), async (req, res) => {
    const out = await callApi(req, 'GET', '/households/imports/template', { binary: true });
    if (!out.ok || !out.bytes) return errorPage(req, res, out.status, apiError(out).message);
    res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    res.setHeader('Content-Disposition', out.headers.get('content-disposition') ?? 'attachment; filename="household-import-template.xlsx"');
    res.send(out.bytes);
  });
  r.post('/household-imports/preview', needUser(...IMPORT), async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const out = await callApi(req, 'POST', '/households/imports', { body: { ...fileBody(body), dryRun: true } });
    if (out.ok) return uploadPage(req, res, { preview: out.body as Preview, body: { ...body, contentBase64: fileBody(body).contentBase64 } });
    await uploadPage(req, res, { message: apiError(out).message, status: out.status, body });
  });
  r.post('/household-imports/import', needUser(...IMPORT), async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const onlyValid = body.onlyValid === 'true';
    const out = await callApi(req, 'POST', '/households/imports', { body: { ...fileBody(body), ...(onlyValid ? { onlyValid: true } : {}) } });
    if (out.ok) return res.redirect(303, `/household-imports/${Number(out.body.importId)}?done=imported`);
    // Refused (problems found since the preview, or a duplicate filed meanwhile): the preview again, with why.
    const again = await callApi(req, 'POST', '/households/imports', { body: { ...fileBody(body), dryRun: true } });
    await uploadPage(req, res, { message: apiError(out).message, status: out.status, body, ...(again.ok ? { preview: again.body as Preview } : {}) });
  });
  r.get('/household-imports/:id', needUser(...IMPORT, ...VIEW), async (req, res) => {
    const t = tr(req), lang = langOf(req);
    const id = Number(req.params.id);
    if (!Number.isSafeInteger(id) || id < 1) return errorPage(req, res, 404, t('Page not found'));
    const out = await callApi(req, 'GET', `/households/imports/${id}${typeof req.query.cursor === 'string' ? `?cursor=${encodeURIComponent(req.query.cursor)}` : ''}`);
    if (!out.ok) return errorPage(req, res, out.status, apiError(out).message);
    const imp = out.body as ImportView & { sha256: string; skippedRows: { row: number; problems: string[] }[]; files: { items: CreatedFile[]; nextCursor: string | null } };
    const cols: Column<CreatedFile>[] = [
      { head: t('Row'), cell: (f) => f.row, num: true },
      { head: t('Head of household'), cell: (f) => html`<a href="/households/${f.householdId}">${f.headName}</a>` },
      { head: t('District'), cell: (f) => label(lang, DISTRICT, f.district) },
      { head: t('Category'), cell: (f) => label(lang, CATEGORY, f.category) },
    ];
    page(req, res, {
      title: `${t('Import')} #${imp.id}`,
      flash: req.query.done === 'imported' ? html`${t('Files imported')}: ${imp.created} · ${t('Rows skipped')}: ${imp.skipped}` : undefined,
      body: html`<h1>${t('Import')} #${imp.id}</h1>
<dl class="facts">
<dt>${t('File')}</dt><dd>${imp.fileName ?? '—'} (${imp.format})</dd>
<dt>${t('Imported by, on')}</dt><dd>${imp.createdBy} · ${fmtTime(imp.createdAt)}</dd>
<dt>${t('Rows')}</dt><dd>${imp.rows}</dd>
<dt>${t('Files created')}</dt><dd id="import-created">${imp.created}</dd>
<dt>${t('Rows skipped')}</dt><dd>${imp.skipped}</dd>
<dt>SHA-256</dt><dd><code>${imp.sha256}</code></dd>
</dl>
${imp.skippedRows.length ? html`<h2>${t('Rows skipped')}</h2><ul>${imp.skippedRows.slice(0, 200).map((s) => html`<li>${t('Row')} ${s.row}: ${s.problems.join('；')}</li>`)}</ul>` : ''}
<h2>${t('Files created')}</h2>
${table(req, cols, imp.files.items, { nextCursor: imp.files.nextCursor, csv: false })}
<p><a href="/household-imports">${t('Back')}</a></p>`,
    });
  });
}

/** The preview: counts, the file's own problems, the rows (problems first) with each problem cell marked. */
function previewSection(req: Request, pv: Preview, body: Record<string, unknown>): Renderable {
  const t = tr(req), lang = langOf(req);
  const rows = [...pv.items.filter((i) => !i.valid), ...pv.items.filter((i) => i.valid)].slice(0, SHOWN);
  const cell = (i: PreviewItem, column: string, value: Renderable) => {
    const ps = i.problems.filter((p) => p.column === column && p.row === i.row);
    if (!ps.length) return value;
    return html`<mark class="cell-problem">${value === '' || value === null ? '—' : value}</mark>${ps.map((p) => html` <span class="err">${lang === 'zh' ? p.messageZh : p.message}</span>`)}`;
  };
  const cols: Column<PreviewItem>[] = [
    { head: t('Row'), cell: (i) => i.row, num: true },
    { head: t('Head of household'), cell: (i) => cell(i, '户主姓名', i.headName ?? '') },
    { head: t('ID number'), cell: (i) => cell(i, '身份证号', i.idNumber ?? '') },
    { head: t('District'), cell: (i) => cell(i, '所在区', i.district ? label(lang, DISTRICT, i.district) : '') },
    { head: t('Category'), cell: (i) => cell(i, '困难类别', i.category ? label(lang, CATEGORY, i.category) : '') },
    { head: t('Member count'), cell: (i) => cell(i, '家庭人口', i.memberCount ?? ''), num: true },
    { head: t('Members'), cell: (i) => i.members, num: true },
    {
      head: t('Problems'),
      cell: (i) => {
        // Problems of cells not shown as a column here (income, cause, members sheet …), by sheet, row and column.
        const shown = ['户主姓名', '身份证号', '所在区', '困难类别', '家庭人口'];
        const rest = i.problems.filter((p) => !(p.row === i.row && p.column && shown.includes(p.column)));
        if (i.valid) return html`<span class="badge s-paid">${t('OK')}</span>`;
        return html`<span class="badge s-open">${i.problems.length}</span>${rest.map((p) => html` <span class="err">${p.sheet && p.row !== i.row ? `${p.sheet} ${t('Row')} ${p.row} ` : ''}${p.column ? `${p.column}：` : ''}${lang === 'zh' ? p.messageZh : p.message}</span>`)}`;
      },
    },
  ];
  const b64 = typeof body.contentBase64 === 'string' ? body.contentBase64 : '';
  const fileName = str(body.fileName);
  const confirm = (onlyValid: boolean, text: string, disabled: boolean) => html`<form method="post" action="/household-imports/import" class="inline">${csrfField(req)}
<input type="hidden" name="contentBase64" value="${b64}"><input type="hidden" name="fileName" value="${fileName}">${onlyValid ? html`<input type="hidden" name="onlyValid" value="true">` : ''}
<button type="submit"${disabled ? html` disabled` : ''}>${text}</button></form>`;
  return html`<section class="wide preview" aria-labelledby="preview-h"><h2 id="preview-h">${t('Preview')}</h2>
<dl class="facts">
<dt>${t('Format')}</dt><dd>${pv.format} · ${pv.encoding}</dd>
<dt>${t('Rows')}</dt><dd id="preview-rows">${pv.rows}</dd>
<dt>${t('Valid rows')}</dt><dd id="preview-valid">${pv.valid}</dd>
<dt>${t('Rows with problems')}</dt><dd id="preview-invalid">${pv.invalid}</dd>
</dl>
${pv.fileProblems.length ? html`<div class="error" role="alert"><p>${t('Problems')}</p><ul>${pv.fileProblems.map((p) => html`<li>${p.sheet ? `${p.sheet} ` : ''}${p.row ? `${t('Row')} ${p.row} ` : ''}${p.column ? `${p.column}：` : ''}${lang === 'zh' ? p.messageZh : p.message}</li>`)}</ul></div>` : ''}
${pv.invalid === 0 && !pv.fileProblems.length ? html`<p class="ok">${t('No problems found.')}</p>` : ''}
${pv.rows > SHOWN ? html`<p>${t('Showing the first rows, those with problems first.')} (${SHOWN} / ${pv.rows})</p>` : ''}
${table(req, cols, rows, { csv: false, caption: t('Rows of the file') })}
<p class="wide">${confirm(false, t('Import all rows'), pv.invalid > 0 || pv.fileProblems.length > 0 || pv.rows === 0)}
${pv.invalid > 0 && pv.valid > 0 ? confirm(true, `${t('Import only the valid rows')} (${pv.valid})`, false) : ''}</p>
</section>`;
}
