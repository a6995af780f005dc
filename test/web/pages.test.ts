import { expect } from 'chai';
import { testService } from '../support/env';
import { api, userToken } from '../support/api';
import { validIdNumber } from '../support/fixtures';
import { html } from '../../src/web/html';
import { DISTRICT, STATUS, englishOf, label, translate } from '../../src/web/i18n';
import { exportValue, fmtTime, table, type Column } from '../../src/web/view';
import { PageClient as Browser } from '../support/browser';


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

describe('web console: the common parts of every list (view.ts)', () => {
  const fakeReq = (query: Record<string, string>, lang: 'zh' | 'en' = 'zh') => ({ query, path: '/households', web: { lang } }) as any;
  type Row = { id: number; district: string; status: string; urgent: boolean; at: string; note: string | null; hash: string };
  const cols = (lang: 'zh' | 'en' = 'zh'): Column<Row>[] => [
    { head: '#', cell: (r) => r.id, num: true, sort: 'id' },
    { head: translate(lang, 'District'), cell: (r) => label(lang, DISTRICT, r.district), csv: (r) => r.district, sort: 'district' },
    { head: translate(lang, 'Status'), cell: (r) => html`<span class="badge">${label(lang, STATUS, r.status)}</span>`, csv: (r) => r.status },
    { head: translate(lang, 'Urgent'), cell: (r) => (r.urgent ? translate(lang, 'Yes') : ''), csv: (r) => r.urgent },
    { head: translate(lang, 'Created'), cell: (r) => fmtTime(r.at), csv: (r) => r.at },
    { head: translate(lang, 'Notes'), cell: (r) => r.note },
    { head: 'hash', cell: (r) => `${r.hash.slice(0, 8)}…`, csv: (r) => r.hash },
  ];
  const rows: Row[] = [{ id: 7, district: 'CY', status: 'registered', urgent: true, at: '2026-11-26T17:30:00.000Z', note: null, hash: 'ab'.repeat(32) }];

  it('pages both ways with a cursor stack, counts, and sorts by clickable headers with aria-sort', () => {
    const first = table(fakeReq({ district: 'CY' }), cols(), rows, { page: { nextCursor: '40', total: 123 } }).value;
    expect(first).to.include('共 123 条 · 第 1 页');
    expect(first).not.to.include('rel="prev"');
    const next = /rel="next" href="([^"]+)"/.exec(first)![1]!.replace(/&amp;/g, '&');
    expect(next).to.equal('/households?district=CY&cursor=40&prev=.');
    const second = table(fakeReq({ district: 'CY', cursor: '40', prev: '.' }), cols(), rows, { page: { nextCursor: '20', total: 123 } }).value;
    expect(second).to.include('第 2 页');
    expect(/rel="prev" href="([^"]+)"/.exec(second)![1]).to.equal('/households?district=CY');
    expect(/rel="next" href="([^"]+)"/.exec(second)![1]!.replace(/&amp;/g, '&')).to.equal('/households?district=CY&cursor=20&prev=.%2C40');
    const third = table(fakeReq({ district: 'CY', cursor: '20', prev: '.,40' }), cols(), rows, { page: { nextCursor: null, total: 123 } }).value;
    expect(/rel="prev" href="([^"]+)"/.exec(third)![1]!.replace(/&amp;/g, '&')).to.equal('/households?district=CY&cursor=40&prev=.');
    expect(third).not.to.include('rel="next"');
    // Sorting: a header link, aria-sort on the sorted column, a click flips the direction and starts at page 1.
    expect(first).to.match(/<th scope="col" class="num"><a class="sort" href="\/households\?district=CY&amp;sort=id"/);
    const sorted = table(fakeReq({ district: 'CY', sort: 'district', cursor: 'kabcdef', prev: '.' }), cols(), rows, {}).value;
    expect(sorted).to.match(/<th scope="col" aria-sort="ascending"><a class="sort" href="\/households\?district=CY&amp;sort=-district"/);
    expect(sorted.match(/aria-sort=/g)!.length).to.equal(1);
    // Cards on phones: every cell names its column.
    expect(first).to.include('<td data-label="区">朝阳</td>');
    expect(first).to.include('format=csv');
    expect(first).to.include('format=xlsx');
    expect(first).not.to.match(/>null</);
  });

  it('exports labels, not codes: 朝阳 / 在档 / 是, Asia/Shanghai times, null as empty, and full values a cell shortens', () => {
    const v = cols().map((c) => exportValue(c, rows[0]!, 'zh'));
    expect(v).to.deep.equal(['7', '朝阳', '在档', '是', '2026-11-27 01:30:00', '', 'ab'.repeat(32)]);
    expect(cols('en').map((c) => exportValue(c, rows[0]!, 'en')).slice(1, 4)).to.deep.equal(['Chaoyang', 'registered', 'Yes']);
    expect(exportValue({ head: 'x', cell: () => 'ignored', export: () => 'CY' }, rows[0]!)).to.equal('CY');
    expect(fmtTime('2026-12-31T16:00:00Z')).to.equal('2027-01-01 00:00:00');
    expect(fmtTime(null)).to.equal('');
    expect(englishOf('区')).to.equal('District');
  });

  it('exports a list page as CSV with labels and as Excel with Chinese and English headers', async () => {
    const { b } = await officerLogin('HD');
    const form = await b.req('GET', '/households/new');
    const r = await b.req('POST', '/households/new', {
      _csrf: b.csrfOf(form.text), headName: '导出测试', idNumber: validIdNumber(), district: 'HD', monthlyIncome: '1200.00', memberCount: '2', category: 'deep', causes: ['illness'],
    });
    expect(r.res.status, r.text.slice(0, 500)).to.equal(303);
    const csv = await b.req('GET', '/households?format=csv');
    const line = csv.text.split('\r\n').find((l) => l.includes('导出测试'))!;
    expect(line).to.include('"海淀"');
    expect(line).to.include('"深度困难"');
    expect(line).not.to.match(/"HD"|"deep"|"illness"/);
    const res = await fetch(`${testService().url}/households?format=xlsx`, { headers: { cookie: [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.include('spreadsheetml');
    const { default: ExcelJS } = await import('exceljs');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await res.arrayBuffer()) as any);
    const ws = wb.worksheets[0]!;
    const heads = (ws.getRow(1).values as unknown[]).slice(1);
    const en = (ws.getRow(2).values as unknown[]).slice(1);
    expect(heads).to.include('区');
    expect(en[heads.indexOf('区')]).to.equal('District');
    let found: unknown[] | undefined;
    ws.eachRow((row) => { const vals = (row.values as unknown[]).slice(1); if (vals.some((x) => String(x).includes('导出测试'))) found = vals; });
    expect(found, 'the new household is in the sheet').to.not.equal(undefined);
    expect(found![heads.indexOf('区')]).to.equal('海淀');
  });

  it('shows a collapsible menu (details/summary) and the hidden rule wins over display rules', async () => {
    const { b } = await officerLogin();
    const dash = await b.req('GET', '/dashboard');
    expect(dash.text).to.match(/<nav class="main"[^>]*>\s*<details class="menu" open data-menu>\s*<summary>菜单<\/summary>/);
    const css = (await b.req('GET', '/assets/app.css')).text;
    expect(css).to.match(/\[hidden\]\s*\{\s*display:\s*none\s*!important/);
    expect(css).to.match(/@media \(max-width: 600px\)[\s\S]*td::before \{ content: attr\(data-label\)/);
  });
});
