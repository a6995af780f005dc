import { expect } from 'chai';
import { api, errorCode, adminToken } from '../support/api';

describe('HTTP basics', () => {
  it('GET /health checks the database', async () => {
    const r = await api('GET', '/health');
    expect(r.status).to.equal(200);
    expect(r.body).to.include({ status: 'ok', database: 'ok' });
  });

  it('unknown routes are JSON 404s in the design format', async () => {
    const r = await api('GET', '/no-such-thing');
    expect(r.status).to.equal(404);
    expect(errorCode(r)).to.equal('not_found');
  });

  it('every error carries a Chinese sentence for people beside the English message', async () => {
    const missing = await api('GET', '/no-such-thing');
    expect(missing.body.error).to.include({ code: 'not_found', messageZh: '未找到' });
    const bad = await api('POST', '/auth/login', { raw: '{"username":' });
    expect(bad.body.error.code).to.equal('validation_failed');
    expect(bad.body.error.messageZh).to.equal('输入有误');
    const anon = await api('GET', '/users');
    expect(anon.body.error.messageZh).to.match(/[\u4e00-\u9fff]/);
  });

  it('malformed JSON is a 400, not a 500', async () => {
    const r = await api('POST', '/auth/login', { raw: '{"username": ' });
    expect(r.status).to.equal(400);
    expect(errorCode(r)).to.equal('validation_failed');
  });

  it('a body over the limit is a 413', async () => {
    const r = await api('POST', '/auth/login', { raw: JSON.stringify({ username: 'x', password: 'y'.repeat(2_000_000) }) });
    expect(r.status).to.equal(413);
    expect(errorCode(r)).to.equal('payload_too_large');
  });

  it('a JSON array or scalar body is a 400', async () => {
    for (const raw of ['[1,2]', '"text"', 'null']) {
      const r = await api('POST', '/auth/login', { raw });
      expect(r.status, raw).to.equal(400);
      errorCode(r);
    }
  });

  it('unknown fields are refused', async () => {
    const r = await api('POST', '/users', { token: await adminToken(), body: { username: 'abc', password: 'long-enough-1', displayName: 'x', roles: ['auditor'], isRoot: true } });
    expect(r.status).to.equal(400);
    expect(r.body.error.details[0].path).to.equal('isRoot');
  });

  it('serves helmet headers and a request id', async () => {
    const r = await api('GET', '/health');
    expect(r.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(r.headers.get('content-security-policy')).to.match(/default-src 'self'/);
    expect(r.headers.get('x-request-id')).to.be.a('string');
  });

  it('publishes an OpenAPI 3 document and a docs page', async () => {
    const r = await api('GET', '/openapi.json');
    expect(r.body.openapi).to.match(/^3\./);
    expect(r.body.paths['/auth/login'].post).to.be.an('object');
    const docs = await api('GET', '/docs/');
    expect(docs.status).to.equal(200);
    expect(docs.text).to.include('swagger-ui');
  });
});
