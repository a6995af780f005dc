import type { Request, Response, Router } from 'express';
import { apiError, callApi, fieldErrors, qs } from '../api';
import { html, type Html } from '../html';
import { AID_REASON, CATEGORY, CAUSE, DISTRICT, label, ROLE, STATUS, type Lang } from '../i18n';
import { FUND_KIND, SOURCE } from '../i18n-finance';
import { AUDIT_ACTION as NAMED_ACTIONS, HH_FIELD, PAYLOAD_KEY, PAYLOAD_VALUE, REPORT_KIND } from '../i18n-people';
import { ACTION_ZH } from '../../reports';
import { errorPage, field, fmtTime, langOf, needUser, page, sendCsv, str, table, tr, wantsCsv, type Column } from '../view';
import { shanghaiDate } from '../../platform/clock';
import { fundOptions } from './aid';

// Every action the log can hold has a Chinese name (ACTION_ZH, which the reports test keeps complete); the console's
// own pairs add the English wording where it has one, and the code stands in for it elsewhere.
const AUDIT_ACTION: Record<string, [string, string]> = {
  ...Object.fromEntries(Object.entries(ACTION_ZH).map(([code, zh]) => [code, [zh, code.replace(/[._]/g, ' ')] as [string, string]])),
  ...NAMED_ACTIONS,
};

const KINDS: Record<string, { path: string; params: string[]; roles: string[]; title: string }> = {
  'aid-disclosure': { path: '/reports/aid-disclosure.pdf', params: ['from', 'to', 'fund'], roles: ['auditor', 'finance'], title: 'Aid disclosure' },
  'fund-statement': { path: '/reports/fund-statement.pdf', params: ['fund', 'from', 'to'], roles: ['auditor', 'finance'], title: 'Fund statement' },
  'exit-progress': { path: '/reports/exit-progress.pdf', params: ['year'], roles: ['auditor'], title: 'Exit progress' },
  'audit-attestation': { path: '/reports/audit-attestation.pdf', params: [], roles: ['auditor'], title: 'Audit attestation' },
};

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** One payload value in words: codes as labels, instants in Asia/Shanghai, lists and objects flattened. */
function payloadValue(lang: Lang, key: string, v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return lang === 'zh' ? (v ? '是' : '否') : v ? 'yes' : 'no';
  if (typeof v === 'string') {
    if (ISO_TIME.test(v)) return fmtTime(v);
    if (key === 'district') return label(lang, DISTRICT, v);
    if (['status', 'from', 'to', 'fromStatus', 'toStatus', 'outcome'].includes(key)) return label(lang, STATUS, v);
    if (key === 'reason') return label(lang, AID_REASON, v);
    if (key === 'causes') return label(lang, CAUSE, v);
    if (key === 'field' || key === 'changedFields' || key === 'changed') return HH_FIELD[v] ? label(lang, HH_FIELD, v) : label(lang, PAYLOAD_KEY, v);
    if (key === 'roles') return label(lang, ROLE, v);
    if (key === 'donorKind' || key === 'restriction') return label(lang, PAYLOAD_VALUE, v);
    if (key === 'category') return label(lang, CATEGORY, v);
    if (key === 'kind') return REPORT_KIND[v] ? label(lang, REPORT_KIND, v) : label(lang, FUND_KIND, v);
    if (key === 'source') return label(lang, SOURCE, v);
    return v;
  }
  if (Array.isArray(v)) return v.map((x) => payloadValue(lang, key, x)).join('、');
  if (typeof v === 'object') return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${label(lang, PAYLOAD_KEY, k)}: ${payloadValue(lang, k, x)}`).join('，');
  return String(v);
}

/** An audit payload as labelled facts (never the bare word "null"). */
export function payloadText(lang: Lang, p: unknown): string {
  if (p === null || p === undefined) return '';
  if (typeof p !== 'object' || Array.isArray(p)) return payloadValue(lang, '', p);
  return Object.entries(p as Record<string, unknown>).map(([k, v]) => `${label(lang, PAYLOAD_KEY, k)}: ${payloadValue(lang, k, v)}`).join('；');
}

/** The same as HTML: a value shown as stored (a name, a description, a username) is marked translate="no". */
function payloadHtml(lang: Lang, key: string, v: unknown): Html {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    return html`${Object.entries(v as Record<string, unknown>).map(([k, x], i) => html`${i ? '，' : ''}${label(lang, PAYLOAD_KEY, k)}: ${payloadHtml(lang, k, x)}`)}`;
  }
  if (Array.isArray(v)) return html`${v.map((x, i) => html`${i ? '、' : ''}${payloadHtml(lang, key, x)}`)}`;
  const shown = payloadValue(lang, key, v);
  return typeof v === 'string' && shown === v ? html`<span translate="no">${shown}</span>` : html`${shown}`;
}

function detailsCell(t: (s: string) => string, lang: Lang, a: any): Html {
  const facts = (p: any) => html`${Object.entries(p).map(([k, v], i) => html`${i ? '；' : ''}${label(lang, PAYLOAD_KEY, k)}: ${payloadHtml(lang, k, v)}`)}`;
  const pub = a.publicPayload && typeof a.publicPayload === 'object' ? a.publicPayload : null;
  const priv = a.privatePayload && typeof a.privatePayload === 'object' && Object.keys(a.privatePayload).length ? a.privatePayload : null;
  return html`${pub ? html`<span class="payload">${facts(pub)}</span>` : html`<span class="hint">${t('Not public')}</span>`}${priv ? html`<details><summary>${t('Private details')}</summary><span class="payload">${facts(priv)}</span></details>` : ''}`;
}

export function auditPages(r: Router) {
  r.get('/audit', needUser('auditor'), async (req, res) => {
    const t = tr(req), lang = langOf(req);
    const f = { from: str(req.query.from), to: str(req.query.to), subject: str(req.query.subject), action: str(req.query.action) };
    const out = await callApi(req, 'GET', `/audit${qs({ ...f, limit: wantsCsv(req) ? 500 : 100, cursor: str(req.query.cursor) })}`);
    const errors = out.ok ? {} : fieldErrors(out);
    const items: any[] = out.ok ? out.body.items : [];
    const cols: Column<any>[] = [
      { head: '#', cell: (a) => a.seq, num: true },
      { head: t('Time'), cell: (a) => fmtTime(a.time) },
      { head: t('Action'), cell: (a) => html`<span data-action="${a.action}">${label(lang, AUDIT_ACTION, a.action)}</span>`, csv: (a) => label(lang, AUDIT_ACTION, a.action) },
      { head: t('Actor'), cell: (a) => (a.actor === 'system' ? t('System') : a.actor === 'public' ? t('Public') : html`<span translate="no">${a.actor}</span>`), csv: (a) => a.actor },
      { head: t('Subject'), cell: (a) => html`<a href="/audit?subject=${encodeURIComponent(a.subject)}" translate="no">${a.subject}</a>`, csv: (a) => a.subject },
      { head: t('Details'), cell: (a) => detailsCell(t, lang, a), csv: (a) => [payloadText(lang, a.publicPayload), payloadText(lang, a.privatePayload)].filter(Boolean).join(' | ') },
      { head: t('Hash'), cell: (a) => html`<code title="${a.hash}">${String(a.hash).slice(0, 12)}…</code>`, csv: (a) => a.hash },
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
${field({ name: 'action', label: t('Action'), value: f.action, error: errors.action, options: [['', t('All actions')], ...Object.keys(AUDIT_ACTION).map((k) => [k, label(lang, AUDIT_ACTION, k)] as [string, string]), ...(f.action && !AUDIT_ACTION[f.action] ? [[f.action, f.action] as [string, string]] : [])] })}
${field({ name: 'subject', label: t('Subject'), value: f.subject, error: errors.subject, hint: t('e.g. aid-case:2026-CY-0001 or household:12'), attrs: 'maxlength="100"' })}
<button type="submit">${t('Filter')}</button> <a href="/audit">${t('Reset')}</a>
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
