import type { Router } from 'express';
import { callApi } from '../api';
import { html } from '../html';
import { cookieOptions, SESSION_COOKIE } from '../session';
import { csrfField, field, page, safeNext, str, tr } from '../view';

export function authPages(r: Router) {
  r.get('/', (req, res) => res.redirect(303, req.web?.user ? '/dashboard' : '/notices'));

  const form = (req: any, res: any, opts: { username?: string; error?: string; status?: number }) => {
    const t = tr(req);
    page(req, res, {
      title: t('Log in'),
      status: opts.status,
      body: html`<h1>${t('Log in')}</h1>
${opts.error ? html`<p class="error" role="alert" id="login-error">${opts.error}</p>` : ''}
<form method="post" action="/login" class="narrow">
${csrfField(req)}
<input type="hidden" name="next" value="${safeNext(req.query.next ?? req.body?.next)}">
${field({ name: 'username', label: t('Username'), value: opts.username, required: true, attrs: 'autocomplete="username" autofocus' })}
${field({ name: 'password', label: t('Password'), type: 'password', required: true, attrs: 'autocomplete="current-password"' })}
<button type="submit">${t('Log in')}</button>
</form>`,
    });
  };

  r.get('/login', (req, res) => {
    if (req.web?.user) return res.redirect(303, safeNext(req.query.next));
    form(req, res, {});
  });

  r.post('/login', async (req, res) => {
    const t = tr(req);
    const username = str(req.body.username);
    const password = typeof req.body.password === 'string' ? req.body.password : '';
    const out = await callApi(req, 'POST', '/auth/login', { body: { username, password }, token: null });
    if (!out.ok) {
      const code = out.body?.error?.code;
      return form(req, res, { username, status: out.status === 429 ? 429 : 401, error: code === 'account_locked' ? t('Too many failed logins: try again later') : t('Wrong username or password') });
    }
    const ttl = out.body.expiresAt ? Math.max(0, new Date(out.body.expiresAt).getTime() - Date.now()) : undefined;
    res.cookie(SESSION_COOKIE, out.body.token, cookieOptions(req, ttl));
    res.redirect(303, safeNext(req.body.next));
  });

  r.post('/logout', async (req, res) => {
    if (req.web?.token) await callApi(req, 'POST', '/auth/logout', { body: {} });
    res.clearCookie(SESSION_COOKIE, cookieOptions(req));
    res.redirect(303, '/login');
  });
}
