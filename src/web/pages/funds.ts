import type { Request, Response, Router } from 'express';
import { apiError, callApi, fieldErrors, qs } from '../api';
import { html } from '../html';
import { csrfField, errorPage, recorded, field, hasRole, langOf, needUser, page, sendCsv, str, table, tr, wantsCsv, type Column } from '../view';
import { DISTRICT, label } from '../i18n';
import { FUND_KIND } from '../i18n-finance';
import { amt, errBox } from './finance';

const FUND_KINDS = ['foundation', 'district', 'enterprise_group', 'institution'];
const MANAGE = ['finance', 'admin'];

async function allFunds(req: Request): Promise<{ ok: boolean; funds: any[]; out: any }> {
  const out = await callApi(req, 'GET', '/funds?limit=500');
  return { ok: out.ok, out, funds: out.ok ? out.body.items ?? out.body : [] };
}

/** Depth-first order of the fund tree, with the depth for indentation (orphans of a filtered list at the top). */
export function treeOrder(funds: any[]): { f: any; depth: number }[] {
  const children = new Map<string | null, any[]>();
  for (const f of funds) children.set(f.parentCode ?? null, [...(children.get(f.parentCode ?? null) ?? []), f]);
  const codes = new Set(funds.map((f) => f.code));
  const ordered: { f: any; depth: number }[] = [];
  const walk = (parent: string | null, depth: number) => { for (const f of children.get(parent) ?? []) { ordered.push({ f, depth }); walk(f.code, depth + 1); } };
  walk(null, 0);
  for (const f of funds) if (f.parentCode && !codes.has(f.parentCode)) { ordered.push({ f, depth: 0 }); walk(f.code, 1); }
  return ordered;
}

/** A fund code indented by its depth in the tree (the indent outside the link). */
const indent = (code: string, depth: number, href?: string) => html`<span class="depth-${Math.min(depth, 4)}">${'　'.repeat(depth)}${href ? html`<a href="${href}">${code}</a>` : code}</span>`;

export function fundPages(r: Router) {
  // Balances of every fund (finance, auditors, approvers deciding whether a fund can pay).
  r.get('/funds', needUser('finance', 'auditor', 'approver'), async (req, res) => {
    const t = tr(req), zh = langOf(req) === 'zh';
    const { ok, out, funds } = await allFunds(req);
    if (!ok) return errorPage(req, res, out.status, apiError(out).message);
    const balances = new Map<string, any>();
    await Promise.all(funds.map(async (f) => {
      const b = await callApi(req, 'GET', `/funds/${encodeURIComponent(f.code)}/balance`);
      if (b.ok) balances.set(f.code, b.body);
    }));
    const books = hasRole(req, 'finance', 'auditor', 'admin');
    const cols: Column<{ f: any; depth: number }>[] = [
      { head: t('Fund code'), cell: ({ f, depth }) => indent(f.code, depth, books ? `/fund-tree/${encodeURIComponent(f.code)}` : undefined), export: ({ f }) => f.code },
      { head: t('Fund name'), cell: ({ f }) => (zh ? f.nameZh : f.nameEn) },
      { head: t('Cash'), cell: ({ f }) => amt(balances.get(f.code)?.cash), export: ({ f }) => balances.get(f.code)?.cash ?? '', num: true },
      { head: t('Bank'), cell: ({ f }) => amt(balances.get(f.code)?.bank), export: ({ f }) => balances.get(f.code)?.bank ?? '', num: true },
      { head: t('Aid payable'), cell: ({ f }) => amt(balances.get(f.code)?.aidPayable), export: ({ f }) => balances.get(f.code)?.aidPayable ?? '', num: true },
      // data-fund-available keeps the plain figure for scripts and tests; the cell shows it with separators.
      { head: t('Available'), cell: ({ f }) => html`<span data-fund-available="${f.code}" data-value="${balances.get(f.code)?.available ?? ''}">${amt(balances.get(f.code)?.available)}</span>`, export: ({ f }) => balances.get(f.code)?.available ?? '', num: true },
    ];
    const ordered = treeOrder(funds);
    if (wantsCsv(req)) return sendCsv(res, 'funds', cols, ordered);
    page(req, res, {
      title: t('Funds'),
      body: html`<h1>${t('Funds')}</h1>
${hasRole(req, ...MANAGE) ? html`<p class="actions"><a class="button" href="/fund-tree">${t('Fund management')}</a></p>` : ''}
${table(req, cols, ordered)}`,
    });
  });

  // Fund tree management: kinds, districts, bank accounts; create a fund (admin and finance; auditors read).
  const treePage = async (req: Request, res: Response, o: { values?: any; errors?: Record<string, string>; message?: string; status?: number } = {}) => {
    const t = tr(req), lang = langOf(req), zh = lang === 'zh';
    const v = o.values ?? {}, e = o.errors ?? {};
    const { ok, out, funds } = await allFunds(req);
    if (!ok) return errorPage(req, res, out.status, apiError(out).message);
    const cols: Column<{ f: any; depth: number }>[] = [
      { head: t('Fund code'), cell: ({ f, depth }) => indent(f.code, depth, `/fund-tree/${encodeURIComponent(f.code)}`), export: ({ f }) => f.code },
      { head: t('Fund name'), cell: ({ f }) => (zh ? f.nameZh : f.nameEn) },
      { head: t('English name'), cell: ({ f }) => recorded(f.nameEn), export: ({ f }) => f.nameEn },
      { head: t('Fund kind'), cell: ({ f }) => label(lang, FUND_KIND, f.kind) },
      { head: t('District'), cell: ({ f }) => label(lang, DISTRICT, f.district) },
      { head: t('Restricted'), cell: ({ f }) => (f.restricted ? t('Yes') : t('No')) },
      { head: t('Bank account'), cell: ({ f }) => f.bankAccount ?? '' },
    ];
    const ordered = treeOrder(funds);
    if (wantsCsv(req)) return sendCsv(res, 'fund-tree', cols, ordered);
    const canWrite = hasRole(req, ...MANAGE);
    const parents: [string, string][] = [['', t('None (a foundation)')], ...ordered.filter(({ f }) => f.kind === 'foundation' || f.kind === 'district').map(({ f, depth }) => [f.code, `${'　'.repeat(depth)}${f.code} ${zh ? f.nameZh : f.nameEn}`] as [string, string])];
    const districts: [string, string][] = [['', t('Same as the parent fund')], ...Object.keys(DISTRICT).map((d) => [d, `${label(lang, DISTRICT, d)} (${d})`] as [string, string])];
    page(req, res, {
      title: t('Fund management'),
      status: o.status,
      body: html`<h1>${t('Fund management')}</h1>
${table(req, cols, ordered)}
${canWrite ? html`<h2 id="new-fund">${t('Create a fund')}</h2>${errBox(o.message)}
<p class="hint">${t('A foundation has no parent; a district fund hangs under a foundation; enterprise-group and institution funds under a district or foundation fund. Code and kind cannot be changed later.')}</p>
<form method="post" action="/fund-tree" class="grid">${csrfField(req)}
${field({ name: 'code', label: t('Fund code'), value: v.code, required: true, error: e.code, hint: t('Upper-case letters and digits joined by "-", e.g. WF-CY'), attrs: 'maxlength="32" autocapitalize="characters"' })}
${field({ name: 'kind', label: t('Fund kind'), value: v.kind, required: true, error: e.kind, options: [['', t('Choose…')], ...FUND_KINDS.map((k) => [k, label(lang, FUND_KIND, k)] as [string, string])] })}
${field({ name: 'nameZh', label: t('Chinese name'), value: v.nameZh, required: true, error: e.nameZh, attrs: 'maxlength="100"' })}
${field({ name: 'nameEn', label: t('English name'), value: v.nameEn, required: true, error: e.nameEn, attrs: 'maxlength="200"' })}
${field({ name: 'parentCode', label: t('Parent fund'), value: v.parentCode, error: e.parentCode, options: parents })}
${field({ name: 'district', label: t('District'), value: v.district, error: e.district, options: districts })}
${field({ name: 'bankAccount', label: t('Bank account'), value: v.bankAccount, error: e.bankAccount, attrs: 'maxlength="64"' })}
${field({ name: 'restricted', label: t('Restricted fund (限定性)'), type: 'checkbox', value: v.restricted === 'true', error: e.restricted })}
<p class="wide"><button type="submit">${t('Create a fund')}</button></p></form>` : ''}`,
    });
  };
  r.get('/fund-tree', needUser(...MANAGE, 'auditor'), (req, res) => treePage(req, res));
  r.post('/fund-tree', needUser(...MANAGE), async (req, res) => {
    const b = req.body;
    const body = {
      code: str(b.code).toUpperCase(), nameZh: str(b.nameZh), nameEn: str(b.nameEn), kind: str(b.kind),
      parentCode: str(b.parentCode) || null, ...(str(b.district) ? { district: str(b.district) } : {}),
      restricted: b.restricted === 'true', ...(str(b.bankAccount) ? { bankAccount: str(b.bankAccount) } : {}),
    };
    const out = await callApi(req, 'POST', '/funds', { body });
    if (out.ok) return res.redirect(303, `/fund-tree/${encodeURIComponent(out.body.code)}?done=created`);
    await treePage(req, res, { values: b, errors: fieldErrors(out), message: apiError(out).message, status: out.status });
  });

  const fundPage = async (req: Request, res: Response, o: { values?: any; errors?: Record<string, string>; message?: string; status?: number } = {}) => {
    const t = tr(req), lang = langOf(req), zh = lang === 'zh';
    const code = String(req.params.code);
    const out = await callApi(req, 'GET', `/funds/${encodeURIComponent(code)}`);
    if (!out.ok) return errorPage(req, res, out.status, apiError(out).message);
    const f = out.body;
    const [bal, parent] = await Promise.all([
      callApi(req, 'GET', `/funds/${encodeURIComponent(code)}/balance`),
      f.parentCode ? callApi(req, 'GET', `/funds/${encodeURIComponent(f.parentCode)}`) : Promise.resolve(null),
    ]);
    const b = bal.ok ? bal.body : null;
    const done = str(req.query.done);
    const flash = done === 'created' ? `${t('Fund created')}: ${f.code} ${zh ? f.nameZh : f.nameEn}` : done === 'bank' ? `${t('Bank account saved')}: ${f.bankAccount ?? t('(none)')}` : undefined;
    const canWrite = hasRole(req, ...MANAGE);
    const v = o.values ?? {}, e = o.errors ?? {};
    page(req, res, {
      title: `${t('Fund')} ${f.code}`,
      status: o.status,
      flash,
      body: html`<h1>${t('Fund')} ${f.code} · ${zh ? f.nameZh : f.nameEn}</h1>
<dl class="facts">
<dt>${t('Fund code')}</dt><dd id="fund-code">${f.code}</dd>
<dt>${t('Chinese name')}</dt><dd>${f.nameZh}</dd>
<dt>${t('English name')}</dt><dd>${recorded(f.nameEn)}</dd>
<dt>${t('Fund kind')}</dt><dd>${label(lang, FUND_KIND, f.kind)}</dd>
<dt>${t('Parent fund')}</dt><dd>${f.parentCode ? html`<a href="/fund-tree/${encodeURIComponent(f.parentCode)}">${f.parentCode}${parent?.ok ? ` ${zh ? parent.body.nameZh : parent.body.nameEn}` : ''}</a>` : '—'}</dd>
<dt>${t('District')}</dt><dd>${f.district ? label(lang, DISTRICT, f.district) : '—'}</dd>
<dt>${t('Restricted')}</dt><dd>${f.restricted ? t('Yes') : t('No')}</dd>
<dt>${t('Bank account')}</dt><dd id="fund-bank-account">${f.bankAccount ?? '—'}</dd>
${b ? html`<dt>${t('Cash')}</dt><dd class="num">${amt(b.cash)}</dd><dt>${t('Bank')}</dt><dd class="num">${amt(b.bank)}</dd><dt>${t('Aid payable')}</dt><dd class="num">${amt(b.aidPayable)}</dd><dt>${t('Available')}</dt><dd class="num">${amt(b.available)}</dd>` : ''}
</dl>
<p class="actions"><a href="/journal${qs({ fund: f.code })}">${t('Journal entries of this fund')}</a> · <a href="/reconciliation${qs({ fund: f.code })}">${t('Bank statements of this fund')}</a> · <a href="/books/trial-balance${qs({ fund: f.code, subtree: 'true' })}">${t('Trial balance')}</a> · <a href="/fund-tree">${t('Fund management')}</a></p>
${canWrite ? html`<h2>${t('Set the bank account')}</h2>${errBox(o.message)}
<p class="hint">${t('Reconciliation uses it to pick this fund’s statement in a bank file with several accounts. Leave empty to clear it.')}</p>
<form method="post" action="/fund-tree/${encodeURIComponent(f.code)}/bank-account" class="grid">${csrfField(req)}
${field({ name: 'bankAccount', label: t('Bank account'), value: v.bankAccount ?? f.bankAccount ?? '', error: e.bankAccount, attrs: 'maxlength="64"' })}
<p class="wide"><button type="submit">${t('Save')}</button></p></form>` : ''}`,
    });
  };
  r.get('/fund-tree/:code', needUser(...MANAGE, 'auditor'), (req, res) => fundPage(req, res));
  r.post('/fund-tree/:code/bank-account', needUser(...MANAGE), async (req, res) => {
    const code = String(req.params.code);
    const out = await callApi(req, 'PATCH', `/funds/${encodeURIComponent(code)}`, { body: { bankAccount: str(req.body.bankAccount) || null } });
    if (out.ok) return res.redirect(303, `/fund-tree/${encodeURIComponent(code)}?done=bank`);
    await fundPage(req, res, { values: req.body, errors: fieldErrors(out), message: apiError(out).message, status: out.status });
  });
}
