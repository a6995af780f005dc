import type { Request, Response, Router } from 'express';
import { apiError, callApi, fieldErrors, qs } from '../api';
import { html, type Html } from '../html';
import { CATEGORY, DISTRICT, label, STATUS } from '../i18n';
import { csrfField, errorPage, field, hasRole, langOf, needUser, page, sendCsv, str, table, tr, wantsCsv, type Column } from '../view';
import { shanghaiDate } from '../../platform/clock';

/** A bar chart as server-drawn SVG (no script, no inline style: attributes only, so the CSP holds). */
export function barChart(title: string, bars: { label: string; value: number }[], opts: { width?: number; height?: number } = {}): Html {
  const w = opts.width ?? 640, h = opts.height ?? 220, pad = 28;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const bw = bars.length ? (w - pad * 2) / bars.length : 0;
  return html`<figure class="chart"><svg viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="${title}">
<title>${title}</title>
<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#888"/>
${bars.map((b, i) => {
  const bh = ((h - pad * 2) * b.value) / max;
  const x = pad + i * bw;
  return html`<g><rect x="${(x + bw * 0.15).toFixed(1)}" y="${(h - pad - bh).toFixed(1)}" width="${(bw * 0.7).toFixed(1)}" height="${bh.toFixed(1)}" fill="#c0392b"><title>${b.label}: ${b.value}</title></rect>
<text x="${(x + bw / 2).toFixed(1)}" y="${h - pad + 14}" font-size="11" text-anchor="middle" fill="#333">${b.label}</text>
<text x="${(x + bw / 2).toFixed(1)}" y="${(h - pad - bh - 4).toFixed(1)}" font-size="11" text-anchor="middle" fill="#333">${b.value}</text></g>`;
})}
</svg><figcaption>${title}</figcaption></figure>`;
}

export function targetPages(r: Router) {
  r.get('/targets', needUser(), async (req, res) => {
    const t = tr(req), lang = langOf(req);
    const year = /^\d{4}$/.test(str(req.query.year)) ? str(req.query.year) : shanghaiDate().slice(0, 4);
    const out = await callApi(req, 'GET', `/targets/${year}`);
    if (!out.ok) return errorPage(req, res, out.status, apiError(out).message);
    const g = out.body;
    const cand = await callApi(req, 'GET', `/targets/${year}/candidates${qs({ limit: wantsCsv(req) ? 500 : 20, cursor: str(req.query.cursor) })}`);
    const items: any[] = cand.ok ? cand.body.items : [];
    const cols: Column<any>[] = [
      { head: t('Household'), cell: (c) => html`<a href="/households/${c.householdId}">${c.headName}</a>`, csv: (c) => c.headName },
      { head: t('District'), cell: (c) => label(lang, DISTRICT, c.district) },
      { head: t('Category'), cell: (c) => label(lang, CATEGORY, c.category) },
      { head: t('Status'), cell: (c) => label(lang, STATUS, c.status) },
      { head: t('Per-capita income'), cell: (c) => c.perCapitaIncome, num: true },
      { head: t('Date'), cell: (c) => c.assessmentDate ?? '' },
      { head: t('Gap to threshold'), cell: (c) => c.gap, num: true },
      { head: t('Aid received'), cell: (c) => c.aidReceived, num: true },
    ];
    if (wantsCsv(req)) return sendCsv(res, `exit-candidates-${year}`, cols, items);
    const pct = Math.min(100, Number(g.percent) || 0);
    page(req, res, {
      title: t('Target tracker'),
      flash: req.query.saved ? t('Target saved') : undefined,
      body: html`<h1>${t('Target tracker')} ${year}</h1>
<form method="get" action="/targets" class="filters">${field({ name: 'year', label: t('Year'), type: 'number', value: year, attrs: 'min="2000" max="2099"' })}<button type="submit">${t('Filter')}</button></form>
${hasRole(req, 'admin') ? html`<p><a class="button" href="/targets/${year}/edit">${t('Edit target and quotas')}</a></p>` : ''}
<div class="kpis">
<p><span>${t('Target')}</span><strong>${g.target}</strong></p>
<p><span>${t('Exited')}</span><strong id="kpi-exited">${g.exited}</strong></p>
<p><span>${t('Remaining')}</span><strong>${g.remaining}</strong></p>
<p><span>${t('Progress')}</span><strong>${g.percent}%</strong></p>
<p><span>${t('Days left')}</span><strong>${g.daysLeft}</strong></p>
<p><span>${t('Required per week')}</span><strong>${g.requiredPerWeek}</strong></p>
<p><span>${t('Current pace per week')}</span><strong>${g.currentPerWeek}</strong></p>
<p><span>${t('Projected year end')}</span><strong>${g.projectedYearEnd}</strong></p>
<p><span>${t('Status')}</span><strong>${g.onTrack ? t('On track') : t('Behind')}</strong></p>
</div>
<svg class="progress" viewBox="0 0 100 6" preserveAspectRatio="none" width="100%" height="20" role="img" aria-label="${t('Progress')} ${g.percent}%"><rect width="100" height="6" fill="#e8e2d8"/><rect width="${pct}" height="6" fill="#c0392b"/></svg>
${barChart(`${t('By month')} (${t('Exited')})`, (g.byMonth ?? []).map((m: any) => ({ label: String(m.month).slice(5) || m.month, value: m.exited })))}
${barChart(`${t('By district')} (${t('Exited')})`, (g.byDistrict ?? []).map((d: any) => ({ label: label(lang, DISTRICT, d.district), value: d.exited })))}
${table(req, [
  { head: t('District'), cell: (d: any) => label(lang, DISTRICT, d.district) }, { head: t('Exited'), cell: (d: any) => d.exited, num: true },
  { head: t('Quota'), cell: (d: any) => d.quota ?? '', num: true }, { head: t('Remaining'), cell: (d: any) => d.remaining ?? '', num: true },
  { head: '%', cell: (d: any) => d.percent ?? '', num: true },
], g.byDistrict ?? [], { csv: false, caption: t('By district') })}
${table(req, [{ head: t('Category'), cell: (d: any) => label(lang, CATEGORY, d.category) }, { head: t('Exited'), cell: (d: any) => d.exited, num: true }], g.byCategory ?? [], { csv: false, caption: t('By category') })}
<h2>${t('Nearest to exit')}</h2>
${table(req, cols, items, { nextCursor: cand.ok ? cand.body.nextCursor : null })}`,
    });
  });

  // Admins set the year's target and the district quotas (PUT /targets/:year; the API checks the districts).
  const editForm = async (req: Request, res: Response, year: string, o: { values?: Record<string, string>; errors?: Record<string, string>; message?: string; status?: number } = {}) => {
    const t = tr(req), lang = langOf(req);
    const cur = await callApi(req, 'GET', `/targets/${year}`);
    if (!cur.ok) return errorPage(req, res, cur.status, apiError(cur).message);
    const quotas: Record<string, number> = {};
    for (const d of cur.body.byDistrict ?? []) if (d.quota !== null && d.quota !== undefined) quotas[d.district] = d.quota;
    const v = o.values ?? { target: String(cur.body.target), ...Object.fromEntries(Object.entries(quotas).map(([k, n]) => [`q_${k}`, String(n)])) };
    const e = o.errors ?? {};
    page(req, res, {
      title: t('Edit target and quotas'),
      status: o.status,
      body: html`<h1>${t('Edit target and quotas')} ${year}</h1>
${o.message ? html`<div class="error" role="alert"><p>${o.message}</p></div>` : ''}
<form method="post" action="/targets/${year}/edit" class="grid">${csrfField(req)}
${field({ name: 'target', label: t('Year target (exits)'), type: 'number', value: v.target, required: true, error: e.target, attrs: 'min="1" max="1000000"' })}
<fieldset class="wide"><legend>${t('District quotas')}</legend><p class="hint">${t('Leave empty for no quota.')}</p>
<div class="quota-grid">${Object.keys(DISTRICT).map((d) => field({ name: `q_${d}`, label: label(lang, DISTRICT, d), type: 'number', value: v[`q_${d}`], error: e[`quotas.${d}`], attrs: 'min="0" max="1000000"' }))}</div></fieldset>
<p class="wide"><button type="submit">${t('Save')}</button> <a href="/targets?year=${year}">${t('Cancel')}</a></p>
</form>`,
    });
  };
  const yearOf = (req: Request) => (/^\d{4}$/.test(String(req.params.year)) ? String(req.params.year) : null);
  r.get('/targets/:year/edit', needUser('admin'), async (req, res) => {
    const year = yearOf(req);
    if (!year) return errorPage(req, res, 404, tr(req)('Page not found'));
    await editForm(req, res, year);
  });
  r.post('/targets/:year/edit', needUser('admin'), async (req, res) => {
    const year = yearOf(req);
    if (!year) return errorPage(req, res, 404, tr(req)('Page not found'));
    const b = req.body as Record<string, string>;
    const num = (s: string) => (/^\d{1,7}$/.test(s) ? Number(s) : s);
    const quotas: Record<string, unknown> = {};
    for (const d of Object.keys(DISTRICT)) if (str(b[`q_${d}`])) quotas[d] = num(str(b[`q_${d}`]));
    const out = await callApi(req, 'PUT', `/targets/${year}`, { body: { target: num(str(b.target)), quotas } });
    if (out.ok) return res.redirect(303, `/targets?year=${year}&saved=1`);
    const values: Record<string, string> = {};
    for (const [k, val] of Object.entries(b)) if (typeof val === 'string') values[k] = val;
    await editForm(req, res, year, { values, errors: fieldErrors(out), message: apiError(out).message, status: out.status });
  });
}
