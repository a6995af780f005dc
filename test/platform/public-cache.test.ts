import { expect } from 'chai';
import { api, adminToken, userToken, auditSeq } from '../support/api';
import { PageClient } from '../support/browser';
import { ADMIN, testService } from '../support/env';
import { clock } from '../../src/platform/clock';
import { matchesValidator } from '../../src/http/conditional';

// ETag and Cache-Control on the public answers (src/http/conditional.ts): a validator from the audit head,
// 304 on If-None-Match, a new audit row changes it, and nothing asked with a login is ever cacheable.

const PUBLIC_API = ['/public/notices', '/public/disclosures', '/public/log?limit=5', '/public/log/head', '/public/log/checkpoint', '/public/log/key', `/public/reports/verify?sha256=${'ab'.repeat(32)}`];

const newAuditRow = async () => {
  const before = await auditSeq();
  await userToken(['auditor']); // creating a user appends user.created
  expect(await auditSeq()).to.be.greaterThan(before);
};

/** Our validators (src/http/conditional.ts), not Express's hash of a body it sends anyway. */
const ours = (etag: string | null) => /^W\/"[\w-]{27}"$/.test(etag ?? '');

const pageGet = (path: string, headers: Record<string, string> = {}) => fetch(testService().url + path, { headers, redirect: 'manual' });

describe('public answers: ETag, Cache-Control and 304', () => {
  it('every public API answer has a validator and a short shared lifetime; If-None-Match gets an empty 304', async () => {
    for (const path of PUBLIC_API) {
      const first = await api('GET', path);
      expect(first.status, path).to.equal(200);
      const etag = first.headers.get('etag');
      expect(ours(etag), `${path} ${etag}`).to.equal(true);
      expect(first.headers.get('cache-control'), path).to.match(/^public, max-age=(30|60), stale-while-revalidate=\d+$/);
      const again = await api('GET', path, { headers: { 'if-none-match': etag! } });
      expect(again.status, path).to.equal(304);
      expect(again.text, path).to.equal('');
      expect(again.headers.get('etag'), path).to.equal(etag);
      // A list of validators and a strong form of ours match too (weak comparison).
      expect((await api('GET', path, { headers: { 'if-none-match': `"nope", ${etag!.slice(2)}` } })).status, path).to.equal(304);
    }
  });

  it('a new audit row changes the validator of the board, disclosures and log (the old one gets a full answer)', async () => {
    const before = new Map<string, string>();
    for (const path of PUBLIC_API.slice(0, 5)) before.set(path, (await api('GET', path)).headers.get('etag')!);
    await newAuditRow();
    for (const [path, etag] of before) {
      const r = await api('GET', path, { headers: { 'if-none-match': etag } });
      expect(r.status, path).to.equal(200);
      expect(r.headers.get('etag'), path).to.not.equal(etag);
    }
    const head = await api('GET', '/public/log/head');
    expect(head.body.seq).to.equal(await auditSeq());
  });

  // A notice that ends with no audit row turns the board's validator over at its end: test/ops/probe.test.ts.
  it('the validator depends on the path and query; time alone (no notice ending) changes neither the board nor the disclosures', async () => {
    const a = (await api('GET', '/public/notices?limit=5')).headers.get('etag');
    const b = (await api('GET', '/public/notices?limit=6')).headers.get('etag');
    expect(a).to.not.equal(b);
    const disclosures = (await api('GET', '/public/disclosures')).headers.get('etag')!;
    clock.advance(31_000);
    expect((await api('GET', '/public/notices?limit=5', { headers: { 'if-none-match': a! } })).status).to.equal(304);
    // The disclosures do not change with the clock, only with the chain.
    expect((await api('GET', '/public/disclosures', { headers: { 'if-none-match': disclosures } })).status).to.equal(304);
  });

  it('answers asked with a login are no-store, carry no validator of ours and never answer 304', async () => {
    const { token } = await userToken(['auditor']);
    const anon = (await api('GET', '/public/notices')).headers.get('etag')!;
    for (const path of PUBLIC_API) {
      const r = await api('GET', path, { token, headers: { 'if-none-match': anon } });
      expect(r.status, path).to.equal(200);
      expect(r.headers.get('cache-control'), path).to.equal('no-store');
      expect(ours(r.headers.get('etag')), path).to.equal(false);
    }
  });

  it('nothing personal is cacheable: authenticated API answers and pages with a session are never public', async () => {
    const admin = await adminToken();
    for (const path of ['/households', '/aid-cases', '/users', '/audit?limit=2']) {
      const r = await api('GET', path, { token: admin });
      expect(r.status, path).to.equal(200);
      expect(r.headers.get('cache-control') ?? '', path).to.not.match(/public|max-age=[1-9]/);
    }
    const b = await PageClient.as(ADMIN.username, ADMIN.password);
    for (const path of ['/dashboard', '/notices', '/disclosures', '/verify']) {
      const r = await b.req('GET', path);
      expect(r.status, path).to.equal(200);
      expect(r.res.headers.get('cache-control'), path).to.equal('no-store');
      expect(ours(r.res.headers.get('etag')), path).to.equal(false);
    }
  });

  it('errors are never cached: a refused query and an empty open-data period carry no validator', async () => {
    const bad = await api('GET', '/public/disclosures?from=nonsense');
    expect(bad.status).to.equal(400);
    expect(ours(bad.headers.get('etag'))).to.equal(false);
    expect(bad.headers.get('cache-control') ?? '').to.not.match(/public/);
    const empty = await api('GET', '/public/export/360giving.json?from=2001-01-01&to=2001-12-31');
    expect(empty.status).to.equal(404);
    expect(ours(empty.headers.get('etag'))).to.equal(false);
    expect(empty.headers.get('cache-control')).to.equal('no-store');
  });

  it('an anonymous disclosure PDF is validated at its basis: a repeat is a 304 that publishes nothing', async () => {
    await newAuditRow(); // a basis no earlier test has published at
    const path = '/reports/aid-disclosure.pdf?from=2024-01-01&to=2024-12-31';
    const first = await fetch(`${testService().url}/api/v1${path}`);
    expect(first.status).to.equal(200);
    await first.arrayBuffer();
    const etag = first.headers.get('etag')!;
    expect(ours(etag)).to.equal(true);
    expect(first.headers.get('cache-control')).to.match(/^public, max-age=60/);
    expect(first.headers.get('x-as-of-head')).to.match(/^\d+$/);
    const seq = await auditSeq(); // the publication moved the head, not the basis
    const again = await fetch(`${testService().url}/api/v1${path}`, { headers: { 'if-none-match': etag } });
    expect(again.status).to.equal(304);
    expect(await auditSeq()).to.equal(seq);
    // With a login the PDF stays no-store.
    const r = await fetch(`${testService().url}/api/v1${path}`, { headers: { authorization: `Bearer ${await adminToken()}`, 'if-none-match': etag } });
    expect(r.status).to.equal(200);
    expect(r.headers.get('cache-control')).to.equal('no-store');
    await r.arrayBuffer();
  });

  it('anonymous pages revalidate privately: 304 for the same visitor, a new answer for another visitor, language or head', async () => {
    const visitor = new PageClient();
    const first = await visitor.get('/notices');
    expect(first.status).to.equal(200);
    const etag = first.res.headers.get('etag')!;
    expect(ours(etag)).to.equal(true);
    expect(first.res.headers.get('cache-control')).to.equal('private, no-cache');
    const same = await visitor.req('GET', '/notices', undefined, { 'if-none-match': etag });
    expect(same.status).to.equal(304);
    expect(same.text).to.equal('');
    // Another visitor's page holds another form token: never the first visitor's 304.
    const other = new PageClient();
    await other.get('/verify');
    expect((await other.req('GET', '/notices', undefined, { 'if-none-match': etag })).status).to.equal(200);
    // Language: the same visitor switching to English gets a new page.
    const zh = (await visitor.get('/disclosures')).res.headers.get('etag')!;
    expect((await visitor.req('GET', '/disclosures', undefined, { 'if-none-match': zh })).status).to.equal(304);
    await visitor.get('/disclosures?lang=en');
    expect((await visitor.req('GET', '/disclosures', undefined, { 'if-none-match': zh })).status).to.equal(200);
    const verify = (await visitor.get('/verify')).res.headers.get('etag')!;
    await newAuditRow();
    expect((await visitor.req('GET', '/verify', undefined, { 'if-none-match': verify })).status).to.equal(200);
    // A page with no cookie at all gets a fresh form token, so no validator can match.
    expect((await pageGet('/notices', { 'if-none-match': etag })).status).to.equal(200);
  });

  it('If-None-Match parsing: lists, *, weak and strong forms', () => {
    const e = 'W/"abc"';
    expect(matchesValidator(undefined, e)).to.equal(false);
    expect(matchesValidator('*', e)).to.equal(true);
    expect(matchesValidator('"abc"', e)).to.equal(true);
    expect(matchesValidator('"x", W/"abc"', e)).to.equal(true);
    expect(matchesValidator('"abcd"', e)).to.equal(false);
  });
});
