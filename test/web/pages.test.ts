import { expect } from 'chai';
import { testService } from '../support/env';
import { api, userToken } from '../support/api';

/** A tiny cookie-keeping client for the pages (no browser). */
class Browser {
  cookies = new Map<string, string>();
  async req(method: string, path: string, form?: Record<string, string | string[]>, headers: Record<string, string> = {}) {
    const h: Record<string, string> = { ...headers };
    if (this.cookies.size) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (form) {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const x of ([] as string[]).concat(v)) p.append(k, x);
      body = p.toString();
      h['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(testService().url + path, { method, headers: h, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const k = pair!.slice(0, i), v = pair!.slice(i + 1);
      if (v === '' || /Expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(k);
      else this.cookies.set(k, v);
    }
    return { res, text: await res.text(), setCookies: res.headers.getSetCookie() };
  }
  csrfOf(text: string) {
    const m = /name="_csrf" value="([^"]+)"/.exec(text);
    if (!m) throw new Error('no CSRF field on the page');
    return m[1]!;
  }
  async login(username: string, password: string) {
    const page = await this.req('GET', '/login');
    const r = await this.req('POST', '/login', { _csrf: this.csrfOf(page.text), username, password, next: '/dashboard' });
    if (r.res.status !== 303) throw new Error(`login failed: ${r.res.status}`);
    return r;
  }
}

async function officerLogin(district = 'CY') {
  const u = await userToken(['officer'], district);
  const b = new Browser();
  const r = await b.login(u.username, 'Test-pass-12345');
  return { b, r, u };
}

describe('web console over plain HTTP', function () {
  this.timeout(30_000);

  it('serves pages with a strict CSP (no inline script) and leaves the API’s headers alone', async () => {
    const b = new Browser();
    const r = await b.req('GET', '/notices');
    expect(r.res.status).to.equal(200);
    const csp = r.res.headers.get('content-security-policy')!;
    expect(csp).to.include("script-src 'self'");
    expect(csp).to.include("default-src 'none'");
    expect(csp).to.include("frame-ancestors 'none'");
    expect(csp).not.to.include('unsafe-inline');
    expect(r.text).not.to.match(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(r.text).not.to.match(/\sstyle="/);
    expect(r.text).not.to.match(/\son[a-z]+="/);
    const health = await fetch(`${testService().url}/health`);
    expect(health.headers.get('content-security-policy')).to.not.equal(csp);
    const css = await b.req('GET', '/assets/app.css');
    expect(css.res.status).to.equal(200);
  });

  it('redirects to the login page without a session', async () => {
    const r = await new Browser().req('GET', '/households');
    expect(r.res.status).to.equal(303);
    expect(r.res.headers.get('location')).to.match(/^\/login\?next=%2Fhouseholds/);
  });

  it('sets the session cookie HTTP-only and SameSite, Secure only behind HTTPS, and logout ends it', async () => {
    const { b, r } = await officerLogin();
    const session = r.setCookies.find((c) => c.startsWith('wl_session='))!;
    expect(session).to.match(/HttpOnly/i);
    expect(session).to.match(/SameSite=Lax/i);
    expect(session).to.match(/Path=\//);
    expect(session).not.to.match(/Secure/i);
    const dash = await b.req('GET', '/dashboard');
    expect(dash.res.status).to.equal(200);
    expect(dash.res.headers.get('cache-control')).to.equal('no-store');
    const token = b.cookies.get('wl_session')!;
    const out = await b.req('POST', '/logout', { _csrf: b.csrfOf(dash.text) });
    expect(out.res.status).to.equal(303);
    expect((await api('GET', '/auth/me', { token })).status).to.equal(401);
    expect((await b.req('GET', '/dashboard')).res.status).to.equal(303);

    // Behind an HTTPS proxy (X-Forwarded-Proto from loopback, which the app trusts) the cookie is Secure.
    const u = await userToken(['auditor']);
    const s = new Browser();
    const p = await s.req('GET', '/login', undefined, { 'x-forwarded-proto': 'https' });
    const secure = await s.req('POST', '/login', { _csrf: s.csrfOf(p.text), username: u.username, password: 'Test-pass-12345' }, { 'x-forwarded-proto': 'https' });
    expect(secure.setCookies.find((c) => c.startsWith('wl_session='))).to.match(/;\s*Secure/i);
  });

  it('refuses a form post without or with a wrong CSRF token, and writes nothing', async () => {
    const { b } = await officerLogin();
    const other = await officerLogin();
    const otherPage = await other.b.req('GET', '/dashboard');
    const before = (await api('GET', '/public/log/head')).body.seq;
    const none = await b.req('POST', '/households/new', { headName: '张三' });
    expect(none.res.status).to.equal(403);
    const wrong = await b.req('POST', '/logout', { _csrf: 'x'.repeat(43) });
    expect(wrong.res.status).to.equal(403);
    // A token of another session is no good either.
    expect((await b.req('POST', '/logout', { _csrf: other.b.csrfOf(otherPage.text) })).res.status).to.equal(403);
    expect((await api('GET', '/public/log/head')).body.seq).to.equal(before);
    // Login without the anonymous CSRF token is refused too.
    const anon = new Browser();
    expect((await anon.req('POST', '/login', { username: 'x', password: 'y' })).res.status).to.equal(403);
  });

  it('shows the server’s validation messages at the field and escapes what users typed', async () => {
    const { b } = await officerLogin();
    const form = await b.req('GET', '/households/new');
    const evil = '<script>alert(1)</script>"\'&';
    const r = await b.req('POST', '/households/new', { _csrf: b.csrfOf(form.text), headName: evil, idNumber: '123', district: 'CY', monthlyIncome: '12.345', memberCount: '2', category: 'deep', causes: ['illness'] });
    expect(r.res.status).to.equal(400);
    expect(r.text).not.to.include('<script>alert(1)</script>');
    expect(r.text).to.include('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
    expect(r.text).to.match(/id="f-idNumber"[^>]*aria-invalid="true"/);
    expect(r.text).to.match(/id="f-idNumber-err"/);
    expect(r.text).to.match(/id="f-monthlyIncome-err"/);
  });

  it('switches language with ?lang=en and remembers it', async () => {
    const b = new Browser();
    const zh = await b.req('GET', '/notices');
    expect(zh.text).to.include('公示栏');
    expect(zh.text).to.include('lang="zh-CN"');
    const en = await b.req('GET', '/notices?lang=en');
    expect(en.text).to.include('Notice board');
    expect((await b.req('GET', '/disclosures')).text).to.include('lang="en"');
  });

  it('exports a list as CSV with formula cells neutralised', async () => {
    const { b } = await officerLogin('HD');
    const form = await b.req('GET', '/households/new');
    const r = await b.req('POST', '/households/new', {
      _csrf: b.csrfOf(form.text), headName: '=HYPERLINK("x")', idNumber: '110101199003070011', district: 'HD', monthlyIncome: '1200.00', memberCount: '2', category: 'deep', causes: ['illness'],
    });
    if (r.res.status !== 303) throw new Error(`create: ${r.res.status} ${r.text.slice(0, 2000)}`);
    const csv = await b.req('GET', '/households?format=csv');
    expect(csv.res.headers.get('content-type')).to.match(/text\/csv/);
    expect(csv.text).to.include(`"'=HYPERLINK(""x"")"`);
  });

  it('answers unknown pages with an HTML 404 and leaves /api/v1 404s as JSON', async () => {
    const r = await new Browser().req('GET', '/no-such-page');
    expect(r.res.status).to.equal(404);
    expect(r.res.headers.get('content-type')).to.match(/html/);
    const a = await api('GET', '/no-such-thing');
    expect(a.status).to.equal(404);
    expect(a.body.error.code).to.equal('not_found');
  });
});
