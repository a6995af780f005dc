import type { Request, Response, Router } from 'express';
import { apiError, callApi, fieldErrors, qs } from '../api';
import { html } from '../html';
import { errorPage, field, fmtTime, needUser, page, sendCsv, str, table, tr, wantsCsv, type Column } from '../view';
import { shanghaiDate } from '../../platform/clock';
import { fundOptions } from './aid';

const KINDS: Record<string, { path: string; params: string[]; roles: string[]; title: string }> = {
  'aid-disclosure': { path: '/reports/aid-disclosure.pdf', params: ['from', 'to', 'fund'], roles: ['auditor', 'finance'], title: 'Aid disclosure' },
  'fund-statement': { path: '/reports/fund-statement.pdf', params: ['fund', 'from', 'to'], roles: ['auditor', 'finance'], title: 'Fund statement' },
  'exit-progress': { path: '/reports/exit-progress.pdf', params: ['year'], roles: ['auditor'], title: 'Exit progress' },
  'audit-attestation': { path: '/reports/audit-attestation.pdf', params: [], roles: ['auditor'], title: 'Audit attestation' },
};

export function auditPages(r: Router) {
  r.get('/audit', needUser('auditor'), async (req, res) => {
    const t = tr(req);
    const f = { from: str(req.query.from), to: str(req.query.to), subject: str(req.query.subject), action: str(req.query.action) };
    const out = await callApi(req, 'GET', `/audit${qs({ ...f, limit: wantsCsv(req) ? 500 : 100, cursor: str(req.query.cursor) })}`);
    const errors = out.ok ? {} : fieldErrors(out);
    const items: any[] = out.ok ? out.body.items : [];
    const cols: Column<any>[] = [
      { head: 'seq', cell: (a) => a.seq, num: true },
      { head: t('Time'), cell: (a) => fmtTime(a.time), csv: (a) => a.time },
      { head: t('Action'), cell: (a) => a.action },
      { head: t('Actor'), cell: (a) => a.actor },
      { head: t('Subject'), cell: (a) => a.subject },
      { head: t('Details'), cell: (a) => html`<code class="payload">${JSON.stringify(a.publicPayload)}</code>`, csv: (a) => JSON.stringify(a.publicPayload) },
      { head: 'hash', cell: (a) => html`<code title="${a.hash}">${String(a.hash).slice(0, 12)}…</code>`, csv: (a) => a.hash },
    ];
    if (wantsCsv(req)) return sendCsv(res, 'audit-log', cols, items);
    let verify = html``;
    if (req.query.verify) {
      const v = await callApi(req, 'GET', '/audit/verify');
      verify = !v.ok
        ? html`<p class="error" role="alert">${apiError(v).message}</p>`
        : v.body.ok
          ? html`<div class="ok" role="status" id="verify-chain"><p><strong>${t('Chain intact')}</strong> · ${t('Length')} ${v.body.length} · ${t('Audit head')} #${v.body.head?.seq} <code>${v.body.head?.hash}</code></p></div>`
          : html`<div class="error" role="alert" id="verify-chain"><p><strong>${t('Chain broken at')} #${v.body.firstBadSeq}</strong> ${v.body.problem ?? ''}</p></div>`;
    }
    page(req, res, {
      title: t('Audit log'),
      body: html`<h1>${t('Audit log')}</h1>
<form method="get" action="/audit"><input type="hidden" name="verify" value="1"><button type="submit">${t('Verify the audit chain')}</button></form>
${verify}
<form method="get" action="/audit" class="filters">
${field({ name: 'from', label: t('From'), type: 'date', value: f.from, error: errors.from })}
${field({ name: 'to', label: t('To'), type: 'date', value: f.to, error: errors.to })}
${field({ name: 'action', label: t('Action'), value: f.action, error: errors.action, hint: 'aid.approved, ledger.posted…' })}
${field({ name: 'subject', label: t('Subject'), value: f.subject, error: errors.subject, hint: 'aid-case:2026-CY-0001' })}
<button type="submit">${t('Filter')}</button>
</form>
${out.ok ? '' : html`<p class="error" role="alert">${apiError(out).message}</p>`}
${table(req, cols, items, { nextCursor: out.ok ? out.body.nextCursor : null })}`,
    });
  });

  r.get('/reports', needUser('auditor', 'finance'), async (req, res) => {
    const t = tr(req);
    const today = shanghaiDate();
    const yearStart = `${today.slice(0, 4)}-01-01`;
    const funds = await fundOptions(req, t('All'));
    const roles: string[] = req.web!.user!.roles;
    const can = (k: string) => roles.includes('admin') || KINDS[k]!.roles.some((r) => roles.includes(r));
    const form = (kind: string, fields: ReturnType<typeof html>) => html`<section class="card" aria-labelledby="h-${kind}"><h2 id="h-${kind}">${t(KINDS[kind]!.title)} (PDF)</h2>
<form method="get" action="/reports/download/${kind}" class="filters">${fields}<button type="submit">${t('Download')}</button></form></section>`;
    page(req, res, {
      title: t('Reports'),
      body: html`<h1>${t('Reports')}</h1><p>${t('Verify a report')}: <a href="/verify">/verify</a></p><div class="cards">
${can('aid-disclosure') ? form('aid-disclosure', html`${field({ name: 'from', label: `${t('From')} (${t('Aid disclosure')})`, type: 'date', value: yearStart, required: true })}${field({ name: 'to', label: `${t('To')} (${t('Aid disclosure')})`, type: 'date', value: today, required: true })}${field({ name: 'fund', label: `${t('Fund')} (${t('Aid disclosure')})`, options: funds })}`) : ''}
${can('fund-statement') ? form('fund-statement', html`${field({ name: 'fund', label: `${t('Fund')} (${t('Fund statement')})`, options: funds.slice(1), required: true })}${field({ name: 'from', label: `${t('From')} (${t('Fund statement')})`, type: 'date', value: yearStart, required: true })}${field({ name: 'to', label: `${t('To')} (${t('Fund statement')})`, type: 'date', value: today, required: true })}`) : ''}
${can('exit-progress') ? form('exit-progress', field({ name: 'year', label: `${t('Year')} (${t('Exit progress')})`, type: 'number', value: today.slice(0, 4), required: true })) : ''}
${can('audit-attestation') ? form('audit-attestation', html``) : ''}
</div>`,
    });
  });

  r.get('/reports/download/:kind', needUser('auditor', 'finance'), async (req: Request, res: Response) => {
    const k = KINDS[String(req.params.kind)];
    if (!k) return errorPage(req, res, 404, tr(req)('Page not found'));
    const params: Record<string, string> = {};
    for (const p of k.params) if (str(req.query[p])) params[p] = str(req.query[p]);
    const out = await callApi(req, 'GET', `${k.path}${qs(params)}`, { binary: true });
    if (!out.ok) return errorPage(req, res, out.status, apiError(out).message);
    res.type('application/pdf');
    // A download from the console is saved, not shown inline (the API itself answers inline).
    const date = shanghaiDate();
    res.setHeader('Content-Disposition', `attachment; filename="${String(req.params.kind)}-${date}.pdf"`);
    for (const h of ['x-report-sha256', 'etag']) {
      const v = out.headers.get(h);
      if (v) res.setHeader(h, v);
    }
    res.send(out.bytes);
  });
}
