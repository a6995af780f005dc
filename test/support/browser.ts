import { testService } from './env';

/** A cookie-keeping client for the console's pages over plain HTTP (no browser): forms, CSRF, redirects. */
export class PageClient {
  cookies = new Map<string, string>();
  /** The CSRF token of the last page read with get(). */
  csrf = '';

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
    const setCookies = res.headers.getSetCookie();
    for (const c of setCookies) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const k = pair!.slice(0, i), v = pair!.slice(i + 1);
      if (v === '' || /Expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(k);
      else this.cookies.set(k, v);
    }
    return { res, status: res.status, location: res.headers.get('location') ?? '', type: res.headers.get('content-type') ?? '', text: await res.text(), setCookies };
  }

  csrfOf(text: string) {
    const m = /name="_csrf" value="([^"]+)"/.exec(text);
    if (!m) throw new Error('no CSRF field on the page');
    return m[1]!;
  }

  async get(path: string) {
    const r = await this.req('GET', path);
    const m = /name="_csrf" value="([^"]+)"/.exec(r.text);
    if (m) this.csrf = m[1]!;
    return r;
  }

  post(path: string, form: Record<string, string | string[]>) {
    return this.req('POST', path, { _csrf: this.csrf, ...form });
  }

  async login(username: string, password: string) {
    const page = await this.req('GET', '/login');
    const r = await this.req('POST', '/login', { _csrf: this.csrfOf(page.text), username, password, next: '/dashboard' });
    if (r.status !== 303) throw new Error(`login ${username} failed: ${r.status}`);
    return r;
  }

  /** A client logged in as this user, with the dashboard's CSRF token at hand. */
  static async as(username: string, password = 'Test-pass-12345') {
    const b = new PageClient();
    await b.login(username, password);
    await b.get('/dashboard');
    return b;
  }

  /** GET the form page, then POST to `action` with its CSRF token (and a fresh idempotency key if the form has one). */
  async submit(formPage: string, action: string, form: Record<string, string | string[]>) {
    const p = await this.req('GET', formPage);
    if (p.status !== 200) throw new Error(`${formPage}: ${p.status} ${p.text.slice(0, 500)}`);
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(p.text)?.[1];
    return this.req('POST', action, { _csrf: this.csrfOf(p.text), ...(key ? { idempotencyKey: key } : {}), ...form });
  }

  /** Follows a 303 and returns the page it leads to. */
  async follow(r: { status: number; location: string; text: string }) {
    if (r.status !== 303) throw new Error(`expected a redirect, got ${r.status}: ${r.text.slice(0, 1500)}`);
    return { url: r.location, ...(await this.req('GET', r.location)) };
  }
}
