import { expect } from 'chai';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import fs from 'node:fs';
import pino from 'pino';
import type { Knex } from 'knex';
import { createApp } from '../../src/app';
import { createKnex } from '../../src/platform/db';
import { clock } from '../../src/platform/clock';
import { REQUEST_ID } from '../../src/platform/request-context';
import { api, apiAt, auditSeq, userToken } from '../support/api';
import { fundWithMoney, household, uniqueRoot } from '../support/fixtures';
import { freePort, testService } from '../support/env';
import { PageClient } from '../support/browser';

// Outside checks of the production features of issue 19 with inputs nobody listed: metrics label cardinality
// and the token, hostile X-Request-Id headers and concurrent ids, conditional GET edge cases, health probes
// under a dropped connection, a restarted or hanging database, and a reports replica that is away.

const TOKEN = 'probe-metrics-token-0123456789';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
const today = () => new Date(clock.now().getTime() + 8 * 3600_000).toISOString().slice(0, 10);
const VERSION = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string;
const urlOf = (db: Knex) => (db.client.config as { connection: { connectionString: string } }).connection.connectionString;

async function listen(app: ReturnType<typeof createApp>) {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

const silentApp = (over: Partial<Parameters<typeof createApp>[0]> = {}) => {
  const ctx = testService().ctx;
  return createApp({ ...ctx, config: { ...ctx.config, metricsToken: TOKEN }, log: pino({ level: 'silent' }), ...over });
};

/** Sends raw bytes and returns the raw answer (status line and headers as the client sees them). */
function rawRequest(port: number, bytes: Buffer | string): Promise<{ status: number; head: string; headers: Map<string, string[]>; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', reject);
    sock.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const headers = new Map<string, string[]>();
      for (const line of head.split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        const k = line.slice(0, i).trim().toLowerCase();
        headers.set(k, [...(headers.get(k) ?? []), line.slice(i + 1).trim()]);
      }
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, headers, body });
    });
    sock.write(bytes);
  });
}

/** Runs fn over items with at most n at once. */
async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

function seriesOf(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`));
}
const labelValues = (lines: string[], label: string) => new Set(lines.map((l) => new RegExp(`${label}="([^"]*)"`).exec(l)?.[1] ?? ''));

/** A TCP proxy to the test database: up, down (connections cut), or hanging (accepts and never answers). */
async function databaseProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let mode: 'up' | 'hang' = 'up';
  let server: net.Server | undefined;
  let port = 0;
  const up = async (m: 'up' | 'hang' = 'up') => {
    mode = m;
    if (server) return;
    server = net.createServer((client) => {
      sockets.add(client);
      client.on('error', () => undefined);
      client.on('close', () => sockets.delete(client));
      if (mode === 'hang') return; // accepted, never answered
      const upstream = net.connect(target.port, target.host);
      sockets.add(upstream);
      upstream.on('error', () => undefined);
      upstream.on('close', () => sockets.delete(upstream));
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  };
  const down = async () => {
    const s = server;
    server = undefined;
    await new Promise<void>((r) => {
      if (!s) return r();
      s.close(() => r());
      for (const x of sockets) x.destroy();
    });
  };
  await up();
  return { port: () => port, up, down, hang: async () => { await down(); await up('hang'); } };
}

/** A TCP server that accepts connections and never says a word (a replica or database that hangs). */
async function silentServer() {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

const timed = async <T>(p: Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const out = await p;
  return [out, performance.now() - t];
};

describe('ops probe: production features with inputs nobody listed', function () {
  this.timeout(120_000);

  describe('metrics', () => {
    let app: Awaited<ReturnType<typeof listen>>;
    before(async () => {
      app = await listen(silentApp());
    });
    after(async () => app?.close());

    const scrape = async () => {
      const r = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(r.status).to.equal(200);
      return r.text();
    };

    it('thousands of unknown URLs, odd methods and URLs with ids add a handful of series, not one each', async () => {
      const { finance } = await fundWithMoney('10.00');
      const before = await scrape();
      const seriesBefore = seriesOf(before, 'warmth_http_requests_total').length;
      const tag = uniq();
      const paths = [
        ...Array.from({ length: 1200 }, (_, i) => `/no/such/${tag}/${i}`),
        ...Array.from({ length: 300 }, (_, i) => `/api/v1/no-such-${tag}-${i}?x=${i}`),
        ...Array.from({ length: 200 }, (_, i) => `/api/v1/funds/P${tag.slice(-4).toUpperCase()}${i}`),
        ...Array.from({ length: 200 }, (_, i) => `/api/v1/households/${900000 + i}`),
        ...Array.from({ length: 100 }, (_, i) => `/households/${900000 + i}`),
        ...Array.from({ length: 100 }, (_, i) => `/assets/${tag}-${i}.css`),
        ...Array.from({ length: 100 }, (_, i) => `/%E8%AF%B7${i}/${encodeURIComponent('户口')}${tag}`),
      ];
      await pool(paths, 24, async (p) => {
        const r = await fetch(`${app.url}${p}`, { headers: p.startsWith('/api/v1/funds') || p.startsWith('/api/v1/households') ? { authorization: `Bearer ${finance}` } : {}, redirect: 'manual' });
        await r.arrayBuffer();
        expect(r.status, p).to.be.below(500);
      });
      // Methods the HTTP parser knows but no route has (WebDAV, cache purges, SSDP …).
      const methods = ['PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'PURGE', 'SEARCH', 'REPORT', 'MKCALENDAR', 'M-SEARCH', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'LINK', 'UNLINK', 'TRACE', 'ACL', 'BIND', 'QUERY'];
      for (const method of methods) {
        const status = await new Promise<number>((resolve, reject) => {
          const req = http.request(`${app.url}/api/v1/funds/${uniq()}`, { method }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
          req.end();
        });
        expect(status, method).to.be.within(400, 499);
      }
      const after = await scrape();
      const lines = seriesOf(after, 'warmth_http_requests_total');
      expect(lines.length - seriesBefore, lines.join('\n')).to.be.at.most(25);
      const routes = [...labelValues(lines, 'route')];
      expect(routes.filter((r) => r.includes(tag) || /\d{6}/.test(r) || r.includes('户口') || r.includes('%')), 'no raw URL in a label').to.deep.equal([]);
      expect(routes).to.include('(unmatched)');
      expect(routes).to.include('/api/v1/households/:id');
      const methodLabels = [...labelValues(lines, 'method')];
      expect(methodLabels.every((m) => ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'OTHER'].includes(m)), methodLabels.join(',')).to.equal(true);
      // The scrape grows by the handful of new series only, whatever the URLs were (its size otherwise follows
      // the routes the whole run has called: one histogram per route, method and status).
      expect(after.length, 'scrape bytes').to.be.below(before.length + 60_000);
    });

    it('the token: none, wrong, other schemes, in the query string or a cookie are refused with nothing leaked; the scheme is case-insensitive', async () => {
      const refused: [string, Record<string, string>][] = [
        ['/metrics', {}],
        ['/metrics', { authorization: `Bearer ${TOKEN}x` }],
        ['/metrics', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
        ['/metrics', { authorization: 'Bearer ' }],
        ['/metrics', { authorization: `Bearer ${'a'.repeat(5000)}` }],
        ['/metrics', { authorization: `Bearer  ${TOKEN}` }],
        ['/metrics', { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }],
        ['/metrics', { authorization: TOKEN }],
        ['/metrics', { cookie: `token=${TOKEN}` }],
        [`/metrics?token=${TOKEN}`, {}],
        [`/metrics?access_token=${TOKEN}`, {}],
        [`/metrics?bearer=${TOKEN}&authorization=Bearer%20${TOKEN}`, {}],
        ['/METRICS', {}],
        ['/metrics/', {}],
      ];
      for (const [path, headers] of refused) {
        const r = await fetch(`${app.url}${path}`, { headers });
        const text = await r.text();
        expect(r.status, `${path} ${JSON.stringify(headers)}`).to.equal(401);
        expect(JSON.parse(text).error.code).to.equal('unauthorized');
        expect(text, 'no token, no metric').to.not.match(new RegExp(`${TOKEN.slice(0, 8)}|warmth_|process_`));
        expect(r.headers.get('www-authenticate')).to.equal('Bearer realm="metrics"');
        expect(r.headers.get('cache-control') ?? '', 'a refusal is not cached').to.not.match(/public|max-age=[1-9]/);
      }
      const head = await fetch(`${app.url}/metrics`, { method: 'HEAD' });
      expect(head.status).to.equal(401);
      for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
        expect((await fetch(`${app.url}/metrics`, { headers: { authorization: `${scheme} ${TOKEN}` } })).status, scheme).to.equal(200);
      }
    });

    it('the token is compared in constant time on its digest (no length or prefix shortcut)', () => {
      const src = fs.readFileSync(new URL('../../src/platform/metrics.ts', import.meta.url), 'utf8');
      expect(src).to.match(/timingSafeEqual\(/);
      expect(src).to.not.match(/===\s*token|token\s*===|===\s*expected|expected\s*===/);
    });
  });

  describe('X-Request-Id', () => {
    let finance: string;
    let app: Awaited<ReturnType<typeof listen>>;
    before(async () => {
      finance = (await userToken(['finance'])).token;
      app = await listen(silentApp());
    });
    after(async () => app?.close());

    const fundBody = (code: string) => JSON.stringify({ code, nameZh: '探针', nameEn: 'Probe', kind: 'foundation', restricted: false });
    const rawPost = (code: string, idLines: string) => {
      const body = Buffer.from(fundBody(code));
      return Buffer.concat([
        Buffer.from(`POST /api/v1/funds HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ${finance}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n`, 'latin1'),
        Buffer.from(idLines, 'utf8'),
        Buffer.from('\r\n'),
        body,
      ]);
    };

    it('hostile ids (CRLF, bare CR or LF, folding, very long, unicode, NUL, empty, several) are never echoed: a fresh UUID, the same in the audit row', async () => {
      const hostile: [string, string][] = [
        ['crlf-injection', 'X-Request-Id: abc\r\nSet-Cookie: injected=1\r\n'],
        ['encoded-crlf', 'X-Request-Id: abc%0d%0aSet-Cookie:%20injected=1\r\n'],
        ['bare-cr', 'X-Request-Id: abc\rSet-Cookie: injected=1\r\n'],
        ['bare-lf', 'X-Request-Id: abc\nSet-Cookie: injected=1\r\n'],
        ['folded', 'X-Request-Id: abc\r\n Set-Cookie: injected=1\r\n'],
        ['very-long', `X-Request-Id: ${'a'.repeat(16_000)}\r\n`],
        ['unicode', 'X-Request-Id: 请求-编号-1\r\n'],
        ['latin1', 'X-Request-Id: caf\xe9\r\n'],
        ['nul', 'X-Request-Id: abc\x00def\r\n'],
        ['empty', 'X-Request-Id: \r\n'],
        ['several', 'X-Request-Id: first-id\r\nX-Request-Id: second-id\r\n'],
        ['html', 'X-Request-Id: <script>alert(1)</script>\r\n'],
        ['json-breaker', 'X-Request-Id: a","admin":true,"x":"\r\n'],
      ];
      for (const [name, lines] of hostile) {
        const code = uniqueRoot();
        const r = await rawRequest(app.port, rawPost(code, lines));
        expect(r.head, `${name}: ${r.head}`).to.not.match(/injected|<script|"admin"/i);
        for (const v of r.headers.get('x-request-id') ?? []) expect(REQUEST_ID.test(v), `${name}: ${v}`).to.equal(true);
        expect(r.headers.has('set-cookie'), name).to.equal(false);
        if (r.status === 400 || r.status === 431) {
          // The HTTP parser refused the request itself: nothing was written.
          expect(await testService().ctx.db('audit_log').where({ subject: `fund:${code}` }).first(), name).to.equal(undefined);
          continue;
        }
        expect(r.status, `${name}: ${r.head}`).to.equal(201);
        const ids = r.headers.get('x-request-id') ?? [];
        expect(ids, name).to.have.length(1);
        const id = ids[0]!;
        // The CRLF case sends a sane 'abc' (the CRLF ends the header): kept. Everything else is replaced.
        if (name === 'crlf-injection' || name === 'folded') expect(id === 'abc' || UUID.test(id), `${name}: ${id}`).to.equal(true);
        else expect(id, name).to.match(UUID);
        expect(REQUEST_ID.test(id)).to.equal(true);
        const row = await testService().ctx.db('audit_log').where({ subject: `fund:${code}` }).first('request_id');
        expect(row?.request_id, name).to.equal(id);
      }
    });

    it('50 concurrent writes with distinct ids: each audit row carries its own request id (plain appends and grouped postings)', async () => {
      const tag = uniq();
      const funds = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
        const code = uniqueRoot();
        const r = await apiAt(app.url, 'POST', '/funds', { token: finance, headers: { 'x-request-id': `fund-${tag}-${i}` }, raw: fundBody(code) });
        expect(r.status, r.text).to.equal(201);
        expect(r.headers.get('x-request-id')).to.equal(`fund-${tag}-${i}`);
        return code;
      }));
      const rows = await testService().ctx.db('audit_log').whereIn('subject', funds.map((c) => `fund:${c}`)).select('subject', 'request_id');
      expect(rows).to.have.length(50);
      for (const [i, code] of funds.entries()) expect(rows.find((r) => r.subject === `fund:${code}`)?.request_id, code).to.equal(`fund-${tag}-${i}`);

      const { fund, finance: fin } = await fundWithMoney('1000.00');
      const posted = await Promise.all(Array.from({ length: 50 }, (_, i) => apiAt(app.url, 'POST', '/journal-entries', {
        token: fin, headers: { 'x-request-id': `post-${tag}-${i}` },
        body: { date: today(), description: `probe ${tag} ${i}`, lines: [{ account: '5101', fund, debit: '1.00' }, { account: '1002', fund, credit: '1.00' }] },
      })));
      const subjects = posted.map((r) => {
        expect(r.status, r.text).to.equal(201);
        return `journal-entry:${r.body.number}`;
      });
      const prow = await testService().ctx.db('audit_log').whereIn('subject', subjects).select('subject', 'request_id');
      for (const [i, s] of subjects.entries()) expect(prow.find((r) => r.subject === s)?.request_id, s).to.equal(`post-${tag}-${i}`);
    });
  });

  describe('ETag and 304', () => {
    const path = '/public/notices?limit=7';

    it('If-None-Match: weak, strong, lists with odd spacing and *, match; near misses and junk get the full answer', async () => {
      const first = await api('GET', path);
      const etag = first.headers.get('etag')!;
      expect(etag).to.match(/^W\/"[\w-]{27}"$/);
      const strong = etag.slice(2);
      const matching = [etag, strong, `"a", ${etag}`, `  "a" ,${strong}  `, `"a",W/"b",${etag},"c"`, '*', ` * `];
      for (const h of matching) expect((await api('GET', path, { headers: { 'if-none-match': h } })).status, h).to.equal(304);
      const missing = ['W/""', '""', `${etag}x`, strong.slice(0, -2) + '"', `W/${etag}`, etag.replace(/"/g, ''), `"a" "${strong}"`, 'x'.repeat(7000), `,,,${'"a",'.repeat(500)}`];
      for (const h of missing) {
        const r = await api('GET', path, { headers: { 'if-none-match': h } });
        expect(r.status, h.slice(0, 60)).to.equal(200);
      }
    });

    it('a write between two requests changes the ETag; the 304 has no body and keeps ETag, Cache-Control and Vary', async () => {
      const first = await api('GET', path);
      const etag = first.headers.get('etag')!;
      const same = await fetch(`${testService().url}/api/v1${path}`, { headers: { 'if-none-match': etag } });
      expect(same.status).to.equal(304);
      expect(await same.text()).to.equal('');
      expect(same.headers.get('content-type')).to.equal(null);
      expect(same.headers.get('etag')).to.equal(etag);
      expect(same.headers.get('cache-control')).to.equal(first.headers.get('cache-control'));
      expect(same.headers.get('vary')).to.equal(first.headers.get('vary'));
      expect(same.headers.get('x-request-id')).to.match(UUID);
      await userToken(['auditor']); // a write
      const after = await api('GET', path, { headers: { 'if-none-match': etag } });
      expect(after.status).to.equal(200);
      expect(after.headers.get('etag')).to.not.equal(etag);
    });

    it('HEAD: the same validator as GET, no body, and 304 on a match (API and page)', async () => {
      const get = await api('GET', path);
      const head = await fetch(`${testService().url}/api/v1${path}`, { method: 'HEAD' });
      expect(head.status).to.equal(200);
      expect(await head.text()).to.equal('');
      expect(head.headers.get('etag')).to.equal(get.headers.get('etag'));
      expect(head.headers.get('cache-control')).to.equal(get.headers.get('cache-control'));
      const head304 = await fetch(`${testService().url}/api/v1${path}`, { method: 'HEAD', headers: { 'if-none-match': get.headers.get('etag')! } });
      expect(head304.status).to.equal(304);
      const visitor = new PageClient();
      const page = await visitor.get('/notices');
      const pageHead = await visitor.req('HEAD', '/notices', undefined, { 'if-none-match': page.res.headers.get('etag')! });
      expect(pageHead.status).to.equal(304);
      expect(pageHead.text).to.equal('');
    });

    it('with a login, or any Authorization at all, or a session cookie: no-store and no validator of ours, never a 304', async () => {
      const anon = await api('GET', path);
      const etag = anon.headers.get('etag')!;
      const { token } = await userToken(['auditor']);
      for (const headers of [{ authorization: `Bearer ${token}` }, { authorization: `bearer ${token}` }]) {
        const r = await api('GET', path, { headers: { ...headers, 'if-none-match': etag } });
        expect(r.status, JSON.stringify(headers)).to.equal(200);
        expect(r.headers.get('cache-control')).to.equal('no-store');
        expect(r.headers.get('etag') ?? '').to.not.match(/^W\/"[\w-]{27}"$/);
      }
      // A refused token is an error, not a cacheable answer.
      const junk = await api('GET', path, { headers: { authorization: 'Bearer junk', 'if-none-match': etag } });
      expect(junk.status).to.be.oneOf([200, 401]);
      if (junk.status === 200) expect(junk.headers.get('cache-control')).to.equal('no-store');
      else expect(junk.headers.get('cache-control') ?? '').to.not.match(/public/);
    });

    it('a notice whose period ends with no audit row changes the board (API and page) at once, and the lifetime never outlasts it', async () => {
      const officer = (await userToken(['officer'], 'CY')).token;
      const officer2 = (await userToken(['officer'], 'CY')).token;
      const foundation = (await userToken(['approver'])).token;
      const { fund, finance } = await fundWithMoney('10000.00');
      const hh = await household(officer, 'CY', '李探针');
      const c = await api('POST', '/aid-cases', { token: officer, body: { householdId: hh, fund, reason: 'disaster', description: '探针', requestedAmount: '100.00', urgent: true } });
      expect(c.status, c.text).to.equal(201);
      const id = c.body.id;
      expect((await api('POST', `/aid-cases/${id}/submit`, { token: officer, body: {} })).status).to.equal(200);
      expect((await api('POST', `/aid-cases/${id}/review`, { token: officer2, body: { recommendedAmount: '100.00', note: 'ok' } })).status).to.equal(200);
      expect((await api('POST', `/aid-cases/${id}/approve`, { token: foundation, body: { approvedAmount: '100.00' } })).body.status).to.equal('payable');
      // Paid before its notice: the notice runs after payment and its end is written by no one (no sweep, no audit row).
      // Start it in the middle of a 30 s clock bucket, so it ends inside the same bucket.
      const inBucket = clock.now().getTime() % 30_000;
      if (inBucket > 20_000 || inBucket < 2_000) clock.advance((30_000 - inBucket) + 3_000);
      const paid = await api('POST', `/aid-cases/${id}/disburse`, { token: finance, body: { paymentRef: `P-${uniq()}`, date: today() } });
      expect(paid.body.paidBeforeNotice, paid.text).to.equal(true);
      const board = await api('GET', '/public/notices?limit=500');
      expect(board.body.items.map((n: { caseNo: string }) => n.caseNo)).to.include(c.body.caseNo);
      const etag = board.headers.get('etag')!;
      const left = new Date(paid.body.noticeEnd).getTime() - clock.now().getTime();
      const maxAge = Number(/max-age=(\d+)/.exec(board.headers.get('cache-control')!)?.[1]);
      const swr = Number(/stale-while-revalidate=(\d+)/.exec(board.headers.get('cache-control')!)?.[1] ?? 0);
      expect((maxAge + swr) * 1000, 'no cache may show the notice after it ends').to.be.at.most(left + 1000);
      const visitor = new PageClient();
      const page = await visitor.get('/notices?limit=500');
      expect(page.text).to.include(c.body.caseNo);
      const pageTag = page.res.headers.get('etag')!;
      const seq = await auditSeq();
      clock.advance(left + 500);
      const after = await api('GET', '/public/notices?limit=500', { headers: { 'if-none-match': etag } });
      expect(after.status, 'the board changed: not a 304').to.equal(200);
      expect(after.body.items.map((n: { caseNo: string }) => n.caseNo)).to.not.include(c.body.caseNo);
      expect(after.headers.get('etag')).to.not.equal(etag);
      const pageAfter = await visitor.req('GET', '/notices?limit=500', undefined, { 'if-none-match': pageTag });
      expect(pageAfter.status).to.equal(200);
      expect(pageAfter.text).to.not.include(c.body.caseNo);
      expect(await auditSeq(), 'no audit row was written meanwhile').to.equal(seq);
    });

    it('pages: language comes from the visitor (cookie or ?lang=), and the 304 keeps whatever Vary the 200 had', async () => {
      const visitor = new PageClient();
      const zh = await visitor.get('/disclosures');
      const etag = zh.res.headers.get('etag')!;
      const again = await visitor.req('GET', '/disclosures', undefined, { 'if-none-match': etag });
      expect(again.status).to.equal(304);
      expect(again.res.headers.get('vary')).to.equal(zh.res.headers.get('vary'));
      expect(again.res.headers.get('cache-control')).to.equal('private, no-cache');
      // Accept-Language is not what chooses the language here, so it need not be in Vary; a switch by ?lang= is a new page.
      expect((await visitor.req('GET', '/disclosures', undefined, { 'if-none-match': etag, 'accept-language': 'en' })).status).to.equal(304);
      expect((await visitor.req('GET', '/disclosures?lang=en', undefined, { 'if-none-match': etag })).status).to.equal(200);
    });
  });

  describe('health', () => {
    const bodyLeaks = (text: string) => {
      expect(text).to.not.match(/127\.0\.0\.1|localhost|postgres(ql)?:\/\/|warmth_app|warmth_owner|PostgreSQL \d|ECONNREFUSED|ETIMEDOUT|\bat \w+ \(|node_modules/i);
      expect(text).to.not.include(process.version);
      const body = JSON.parse(text) as { version?: string };
      if (body.version !== undefined) expect(body.version).to.equal(VERSION);
    };

    it('/health/live never touches the database: no query, and it answers with the database gone', async () => {
      const ctx = testService().ctx;
      const db = createKnex(`postgres://nobody:nothing@127.0.0.1:${await freePort()}/none`, { min: 0, max: 2 });
      let queries = 0;
      db.on('query', () => queries++);
      const app = await listen(createApp({ ...ctx, db, log: pino({ level: 'silent' }) }));
      try {
        for (let i = 0; i < 5; i++) {
          const [r, ms] = await timed(apiAt(app.url, 'GET', '/health/live'));
          expect(r.status).to.equal(200);
          expect(ms).to.be.below(500);
          expect(Object.keys(r.body).sort()).to.deep.equal(['status', 'uptimeSeconds', 'version']);
          bodyLeaks(r.text);
        }
        expect(queries).to.equal(0);
        const ready = await apiAt(app.url, 'GET', '/health/ready');
        expect(ready.status).to.equal(503);
        bodyLeaks(ready.text);
        const old = await apiAt(app.url, 'GET', '/health');
        expect(old.status).to.equal(503);
        bodyLeaks(old.text);
      } finally {
        await app.close();
        await db.destroy();
      }
    });

    it('a pool connection dropped under it (pg_terminate_backend) does not make the instance not-ready', async () => {
      const ctx = testService().ctx;
      const name = `probe-ready-${uniq()}`;
      const db = createKnex(urlOf(ctx.db), { min: 0, max: 3 }, 30_000, name);
      const app = await listen(createApp({ ...ctx, db, log: pino({ level: 'silent' }) }));
      try {
        await Promise.all([1, 2, 3].map(() => db.raw('SELECT pg_sleep(0.05)')));
        expect((await apiAt(app.url, 'GET', '/health/ready')).status).to.equal(200);
        const killed = await ctx.db.raw('SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = ?', [name]);
        expect(Number(killed.rows[0].n)).to.be.greaterThan(0);
        const ready = await apiAt(app.url, 'GET', '/health/ready');
        expect(ready.status, ready.text).to.equal(200);
        const old = await apiAt(app.url, 'GET', '/health');
        expect(old.status, old.text).to.equal(200);
      } finally {
        await app.close();
        await db.destroy();
      }
    });

    it('the database restarted (connections cut, away, back) and hanging: not ready within the probe limit, ready again after; nothing leaks', async () => {
      const ctx = testService().ctx;
      const conn = new URL(urlOf(ctx.db));
      const proxy = await databaseProxy({ host: conn.hostname, port: Number(conn.port) });
      const via = new URL(conn);
      via.port = String(proxy.port());
      const db = createKnex(via.toString(), { min: 0, max: 4 });
      const app = await listen(createApp({ ...ctx, db, log: pino({ level: 'silent' }) }));
      try {
        expect((await apiAt(app.url, 'GET', '/health/ready')).status).to.equal(200);
        await proxy.down();
        for (const p of ['/health/ready', '/health']) {
          const [r, ms] = await timed(apiAt(app.url, 'GET', p));
          expect(r.status, p).to.equal(503);
          expect(ms, p).to.be.below(3_000);
          bodyLeaks(r.text);
        }
        await proxy.up();
        let back = await apiAt(app.url, 'GET', '/health/ready');
        for (let i = 0; i < 20 && back.status !== 200; i++) {
          await new Promise((r) => setTimeout(r, 250));
          back = await apiAt(app.url, 'GET', '/health/ready');
        }
        expect(back.status, back.text).to.equal(200);
        // Hanging: the connections are cut and the new ones are accepted but never answered.
        await proxy.hang();
        for (const p of ['/health/ready', '/health']) {
          const [r, ms] = await timed(apiAt(app.url, 'GET', p));
          expect(r.status, p).to.equal(503);
          expect(ms, `${p} answers within its limit while the database hangs`).to.be.below(3_500);
          bodyLeaks(r.text);
        }
        const [live, ms] = await timed(apiAt(app.url, 'GET', '/health/live'));
        expect(live.status).to.equal(200);
        expect(ms).to.be.below(500);
      } finally {
        await app.close();
        await db.destroy();
        await proxy.down();
      }
    });
  });

  describe('reports replica away', () => {
    const year = new Date().getFullYear();
    const period = `from=${year}-01-01&to=${year}-12-31`;

    it('a replica URL on a closed port: a clear 503 within a bounded time, and the primary serves everything else', async () => {
      const ctx = testService().ctx;
      const away = createKnex(`postgres://nobody:nothing@127.0.0.1:${await freePort()}/none`, { min: 0, max: 4 }, 30_000, 'warmth-ledger-reports');
      const app = await listen(createApp({ ...ctx, reportsDb: away, log: pino({ level: 'silent' }) }));
      try {
        const { token } = await userToken(['finance']);
        for (const [p, t] of [[`/reports/aid-disclosure.pdf?${period}`, undefined], [`/reports/aid-disclosure.pdf?${period}`, token], [`/reports/360giving.csv?${period}`, token]] as const) {
          const [r, ms] = await timed(apiAt(app.url, 'GET', p, { token: t }));
          expect(r.status, p).to.equal(503);
          expect(r.body.error.message).to.include('REPORTS_DATABASE_URL');
          expect(r.text).to.not.match(/127\.0\.0\.1|nobody|postgres:/);
          expect(ms, p).to.be.below(3_000);
        }
        expect((await apiAt(app.url, 'GET', '/public/notices')).status).to.equal(200);
        expect((await apiAt(app.url, 'GET', '/health/ready')).status, 'readiness does not depend on the replica').to.equal(200);
      } finally {
        await app.close();
        await away.destroy();
      }
    });

    it('without a replica, more concurrent PDFs than half the pool: all made (no pool deadlock), the rest of the service answers', async () => {
      const ctx = testService().ctx;
      const primary = createKnex(urlOf(ctx.db), { min: 0, max: 6 });
      const app = await listen(createApp({ ...ctx, db: primary, log: pino({ level: 'silent' }) }));
      try {
        const { token } = await userToken(['finance']);
        const months = Array.from({ length: 8 }, (_, i) => `from=${year}-0${i + 1}-01&to=${year}-0${i + 1}-${i === 1 ? 28 : 30}`);
        const pdfs = months.map((m) => fetch(`${app.url}/api/v1/reports/aid-disclosure.pdf?${m}`, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => [r.status, (await r.arrayBuffer()).byteLength]));
        await new Promise((r) => setTimeout(r, 200));
        const [others, ms] = await timed(apiAt(app.url, 'GET', '/public/notices?limit=3'));
        expect(others.status).to.equal(200);
        expect(ms, 'the rest of the service is not starved').to.be.below(2_000);
        for (const [status, bytes] of await Promise.all(pdfs)) {
          expect(status).to.equal(200);
          expect(bytes).to.be.greaterThan(1000);
        }
      } finally {
        await app.close();
        await primary.destroy();
      }
    });

    it('a replica that accepts and never answers: 503 within a bounded time, and concurrent reports do not starve the primary pool', async () => {
      const ctx = testService().ctx;
      const silent = await silentServer();
      const hung = createKnex(`postgres://nobody:nothing@127.0.0.1:${silent.port}/none`, { min: 0, max: 4 }, 30_000, 'warmth-ledger-reports');
      // The primary pool of a small instance, so starving it shows.
      const primary = createKnex(urlOf(ctx.db), { min: 0, max: 6 });
      const app = await listen(createApp({ ...ctx, db: primary, reportsDb: hung, log: pino({ level: 'silent' }) }));
      try {
        const { token } = await userToken(['finance']);
        const reports = Array.from({ length: 12 }, () => timed(apiAt(app.url, 'GET', `/reports/aid-disclosure.pdf?${period}`, { token })));
        await new Promise((r) => setTimeout(r, 300));
        const [others, ms] = await timed(apiAt(app.url, 'GET', '/public/notices?limit=3'));
        expect(others.status, others.text).to.equal(200);
        expect(ms, 'the primary answers while reports wait on the replica').to.be.below(2_000);
        for (const [r, t] of await Promise.all(reports)) {
          expect(r.status, r.text).to.equal(503);
          expect(r.body.error.message).to.include('REPORTS_DATABASE_URL');
          expect(t, 'bounded, far below the request timeout').to.be.below(12_000);
        }
      } finally {
        await app.close();
        await silent.close();
        await hung.destroy();
        await primary.destroy();
      }
    });
  });
});
