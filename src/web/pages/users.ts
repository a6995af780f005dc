import type { Request, Response, Router } from 'express';
import { apiError, callApi, fieldErrors, type ApiResult } from '../api';
import { html, type Html } from '../html';
import { DISTRICT, label, ROLE } from '../i18n';
import { csrfField, errorPage, field, fmtTime, langOf, needUser, page, sendCsv, str, table, tr, wantsCsv, type Column } from '../view';

const ROLES = ['admin', 'officer', 'approver', 'finance', 'auditor'];

/** The rule and, after a 422 incompatible_roles, the pairs the API named, as role labels. */
function incompatibleNote(req: Request, out?: ApiResult): Html {
  const t = tr(req), lang = langOf(req);
  const pairs: string[][] = out?.body?.error?.code === 'incompatible_roles' ? out.body.error.details?.incompatible ?? [] : [];
  return html`<p class="hint" id="roles-rule"><strong>${t('Incompatible roles')}:</strong> ${t('One user may never hold two of these together: admin and finance, admin and approver, finance and approver.')}</p>
${pairs.length ? html`<p class="err" id="incompatible-roles" role="alert">${t('Incompatible roles')}: ${pairs.map(([a, b]) => `${label(lang, ROLE, a)} + ${label(lang, ROLE, b)}`).join('、')}</p>` : ''}`;
}

function rolesField(req: Request, prefix: string, selected: string[], error?: string): Html {
  const lang = langOf(req), t = tr(req);
  return html`<fieldset class="field${error ? ' has-error' : ''}"${error ? html` aria-describedby="${prefix}roles-err"` : ''}><legend>${t('Roles')} *</legend>
${ROLES.map((r) => html`<span class="check"><input type="checkbox" id="${prefix}role-${r}" name="roles" value="${r}"${selected.includes(r) ? html` checked` : ''}> <label for="${prefix}role-${r}">${label(lang, ROLE, r)}</label></span>`)}
${error ? html`<p class="err" id="${prefix}roles-err">${error}</p>` : ''}</fieldset>`;
}

const districtOptions = (req: Request): [string, string][] => [['', tr(req)('None (city-wide)')], ...Object.keys(DISTRICT).map((d) => [d, label(langOf(req), DISTRICT, d)] as [string, string])];
const rolesOf = (b: any) => ([] as unknown[]).concat(b.roles ?? []).filter((r): r is string => typeof r === 'string');

export function userPages(r: Router) {
  const listPage = async (req: Request, res: Response, o: { values?: any; out?: ApiResult; status?: number } = {}) => {
    const t = tr(req), lang = langOf(req);
    const list = await callApi(req, 'GET', '/users');
    if (!list.ok) return errorPage(req, res, list.status, apiError(list).message);
    const items: any[] = list.body.items;
    const cols: Column<any>[] = [
      { head: t('Username'), cell: (u) => html`<a href="/users/${u.id}" translate="no">${u.username}</a>`, csv: (u) => u.username },
      { head: t('Display name'), cell: (u) => html`<span translate="no">${u.displayName}</span>`, csv: (u) => u.displayName },
      { head: t('Roles'), cell: (u) => u.roles.map((r: string) => label(lang, ROLE, r)).join('、') },
      { head: t('District'), cell: (u) => (u.district ? label(lang, DISTRICT, u.district) : t('None (city-wide)')) },
      { head: t('State'), cell: (u) => html`<span class="badge ${u.disabled ? 's-cancelled' : 's-paid'}">${u.disabled ? t('Disabled') : t('Enabled')}</span>`, csv: (u) => (u.disabled ? t('Disabled') : t('Enabled')) },
      { head: t('Created'), cell: (u) => fmtTime(u.createdAt) },
    ];
    if (wantsCsv(req)) return sendCsv(res, 'users', cols, items);
    const v = o.values ?? {};
    const e = o.out ? fieldErrors(o.out) : {};
    page(req, res, {
      title: t('Users'),
      status: o.status,
      flash: req.query.saved ? t('User created') : undefined,
      body: html`<h1>${t('Users')}</h1>
${table(req, cols, items, { csv: true })}
<section class="card" aria-labelledby="h-new-user"><h2 id="h-new-user">${t('New user')}</h2>
${o.out ? html`<div class="error" role="alert" id="user-error"><p>${apiError(o.out).message}</p></div>` : ''}
${incompatibleNote(req, o.out)}
<form method="post" action="/users" class="grid" novalidate>${csrfField(req)}
${field({ name: 'username', label: t('Username'), value: v.username, required: true, error: e.username, attrs: 'maxlength="64" autocomplete="off" spellcheck="false"' })}
${field({ name: 'displayName', label: t('Display name'), value: v.displayName, required: true, error: e.displayName, attrs: 'maxlength="100"' })}
${field({ name: 'password', label: t('Password'), type: 'password', required: true, error: e.password, hint: t('At least 8 characters.'), attrs: 'autocomplete="new-password" minlength="8" maxlength="200"' })}
${field({ name: 'district', label: t('District'), value: v.district, error: e.district, options: districtOptions(req), hint: t('Officers need a district; an approver with a district is a district approver.') })}
${rolesField(req, 'new-', rolesOf(v), e.roles)}
<p class="wide"><button type="submit">${t('New user')}</button></p>
</form></section>`,
    });
  };

  r.get('/users', needUser('admin'), (req, res) => listPage(req, res));
  r.post('/users', needUser('admin'), async (req, res) => {
    const b = req.body;
    const body = { username: str(b.username), displayName: str(b.displayName), password: typeof b.password === 'string' ? b.password : '', roles: rolesOf(b), district: str(b.district) || null };
    const out = await callApi(req, 'POST', '/users', { body });
    if (out.ok) return res.redirect(303, `/users/${out.body.id}?saved=created`);
    await listPage(req, res, { values: { ...b, roles: body.roles }, out, status: out.status });
  });

  const userPage = async (req: Request, res: Response, o: { form?: string; out?: ApiResult; values?: any; status?: number } = {}) => {
    const t = tr(req), lang = langOf(req);
    const id = Number(req.params.id);
    const list = await callApi(req, 'GET', '/users');
    if (!list.ok) return errorPage(req, res, list.status, apiError(list).message);
    const u = (list.body.items as any[]).find((x) => x.id === id);
    if (!u) return errorPage(req, res, 404, t('Page not found'));
    const err = (form: string) => (o.form === form && o.out ? html`<div class="error" role="alert" id="err-${form}"><p>${apiError(o.out).message}</p></div>` : '');
    const fe = (form: string) => (o.form === form && o.out ? fieldErrors(o.out) : {});
    const v = o.form === 'roles' && o.values ? o.values : { displayName: u.displayName, district: u.district ?? '', roles: u.roles };
    const saved = str(req.query.saved);
    page(req, res, {
      title: `${t('User')} #${u.id}`,
      status: o.status,
      flash: saved === 'created' ? t('User created') : saved === 'password' ? t('Password reset') : saved ? t('Saved') : undefined,
      body: html`<h1>${t('User')} <span translate="no">${u.username}</span> <span class="badge ${u.disabled ? 's-cancelled' : 's-paid'}" id="user-state">${u.disabled ? t('Disabled') : t('Enabled')}</span></h1>
<p><a href="/users">← ${t('Users')}</a></p>
<dl class="facts">
<dt>${t('Display name')}</dt><dd translate="no">${u.displayName}</dd>
<dt>${t('Roles')}</dt><dd id="user-roles">${u.roles.map((r: string) => label(lang, ROLE, r)).join('、')}</dd>
<dt>${t('District')}</dt><dd>${u.district ? label(lang, DISTRICT, u.district) : t('None (city-wide)')}</dd>
<dt>${t('Created')}</dt><dd>${fmtTime(u.createdAt)}</dd>
</dl>
<div class="actions-grid">
<section class="action" aria-labelledby="h-roles"><h2 id="h-roles">${t('Change roles and district')}</h2>${err('roles')}
${incompatibleNote(req, o.form === 'roles' ? o.out : undefined)}
<form method="post" action="/users/${u.id}/roles" class="grid" novalidate>${csrfField(req)}
${field({ name: 'displayName', label: t('Display name'), value: v.displayName, required: true, error: fe('roles').displayName, attrs: 'maxlength="100"' })}
${field({ name: 'district', label: t('District'), value: v.district, error: fe('roles').district, options: districtOptions(req) })}
${rolesField(req, 'edit-', v.roles ?? [], fe('roles').roles)}
<p class="wide"><button type="submit">${t('Save')}</button></p></form></section>
<section class="action" aria-labelledby="h-state"><h2 id="h-state">${u.disabled ? t('Enable') : t('Disable')}</h2>${err('state')}
<p class="hint">${t('Disabling ends the user’s sessions at once.')}</p>
<form method="post" action="/users/${u.id}/state">${csrfField(req)}<input type="hidden" name="disabled" value="${u.disabled ? 'false' : 'true'}">
<button type="submit">${u.disabled ? t('Enable') : t('Disable')}</button></form></section>
<section class="action" aria-labelledby="h-password"><h2 id="h-password">${t('Reset password')}</h2>${err('password')}
<form method="post" action="/users/${u.id}/password" novalidate>${csrfField(req)}
${field({ name: 'password', label: t('New password'), type: 'password', required: true, error: fe('password').password, hint: t('At least 8 characters.'), attrs: 'autocomplete="new-password" minlength="8" maxlength="200"' })}
<button type="submit">${t('Reset password')}</button></form></section>
</div>`,
    });
  };

  r.get('/users/:id', needUser('admin'), (req, res) => userPage(req, res));
  const patch = (form: string, bodyOf: (b: any) => Record<string, unknown>) =>
    r.post(`/users/:id/${form}`, needUser('admin'), async (req, res) => {
      const id = Number(req.params.id);
      if (!Number.isSafeInteger(id) || id < 1) return errorPage(req, res, 404, tr(req)('Page not found'));
      const out = await callApi(req, 'PATCH', `/users/${id}`, { body: bodyOf(req.body) });
      if (out.ok) return res.redirect(303, `/users/${id}?saved=${form}`);
      await userPage(req, res, { form, out, values: { ...req.body, roles: rolesOf(req.body) }, status: out.status });
    });
  patch('roles', (b) => ({ roles: rolesOf(b), district: str(b.district) || null, displayName: str(b.displayName) }));
  patch('state', (b) => ({ disabled: b.disabled === 'true' }));
  patch('password', (b) => ({ password: typeof b.password === 'string' ? b.password : '' }));
}
