import { expect } from 'chai';
import { api, adminToken, auditSeq, errorCode, userToken } from '../support/api';
import { testService } from '../support/env';
import pino from 'pino';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app';

describe('users, login and roles', () => {
  it('logs in, answers /auth/me, logs out and the token stops working', async () => {
    const u = await userToken(['auditor']);
    const me = await api('GET', '/auth/me', { token: u.token });
    expect(me.status).to.equal(200);
    expect(me.body).to.include({ username: u.username });
    expect((await api('POST', '/auth/logout', { token: u.token })).status).to.equal(200);
    const after = await api('GET', '/auth/me', { token: u.token });
    expect(after.status).to.equal(401);
    expect(errorCode(after)).to.equal('unauthorized');
  });

  it('refuses a wrong password without saying which part was wrong', async () => {
    const r = await api('POST', '/auth/login', { body: { username: 'nobody-here', password: 'whatever-1' } });
    expect(r.status).to.equal(401);
    expect(errorCode(r)).to.equal('invalid_credentials');
  });

  it('locks an account after five wrong passwords', async () => {
    const u = await userToken(['auditor']);
    for (let i = 0; i < 5; i++) expect((await api('POST', '/auth/login', { body: { username: u.username, password: 'wrong-password' } })).status).to.equal(401);
    const r = await api('POST', '/auth/login', { body: { username: u.username, password: 'Test-pass-12345' } });
    expect(r.status).to.equal(429);
    expect(errorCode(r)).to.equal('account_locked');
  });

  it("a disabled user's tokens stop working at once", async () => {
    const u = await userToken(['finance']);
    const r = await api('PATCH', `/users/${u.id}`, { token: await adminToken(), body: { disabled: true } });
    expect(r.status).to.equal(200);
    expect(r.body.disabled).to.equal(true);
    expect((await api('GET', '/auth/me', { token: u.token })).status).to.equal(401);
    expect((await api('POST', '/auth/login', { body: { username: u.username, password: 'Test-pass-12345' } })).status).to.equal(401);
  });

  it('refuses a bad, unknown or malformed token with 401', async () => {
    for (const h of ['Bearer nonsense-token-that-is-long-enough', 'Basic abc', 'Bearer']) {
      const r = await api('GET', '/auth/me', { headers: { authorization: h } });
      expect(r.status, h).to.equal(401);
      errorCode(r);
    }
  });

  it('an officer needs a district, and districts must exist', async () => {
    const token = await adminToken();
    const a = await api('POST', '/users', { token, body: { username: 'no-district', password: 'long-enough-1', displayName: 'x', roles: ['officer'] } });
    expect(a.status).to.equal(400);
    const b = await api('POST', '/users', { token, body: { username: 'bad-district', password: 'long-enough-1', displayName: 'x', roles: ['officer'], district: 'XX' } });
    expect(b.status).to.equal(400);
    const c = await api('POST', '/users', { token, body: { username: 'Test-dup', password: 'long-enough-1', displayName: 'x', roles: ['auditor'] } });
    expect(c.status).to.equal(201);
    const d = await api('POST', '/users', { token, body: { username: 'Test-dup', password: 'long-enough-1', displayName: 'x', roles: ['auditor'] } });
    expect(d.status).to.equal(409);
  });

  it('a rejected write appends nothing to the audit log', async () => {
    const before = await auditSeq();
    await api('POST', '/users', { token: await adminToken(), body: { username: 'x', password: 'short', displayName: 'x', roles: ['auditor'] } });
    await api('POST', '/auth/login', { body: { username: 'nobody', password: 'nothing-1' } });
    expect(await auditSeq()).to.equal(before);
  });

  it('never writes a password, token or ID number to the log', async () => {
    // A second app on the same database with its log captured: what an operator's log file would hold.
    const lines: string[] = [];
    const log = pino({ level: 'trace' }, { write: (l: string) => void lines.push(l) });
    const app = createApp({ ...testService().ctx, log });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    try {
      const res = await fetch(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'test-admin', password: 'Test-admin-pass-1' }) });
      const { token } = (await res.json()) as { token: string };
      await fetch(`${url}/auth/me?q=110105198001011234`, { headers: { authorization: `Bearer ${token}` } });
      const text = lines.join('\n');
      expect(lines.length).to.be.greaterThan(1);
      expect(text).not.to.include('Test-admin-pass-1');
      expect(text).not.to.include(token);
      expect(text).not.to.include('110105198001011234');
    } finally {
      server.close();
    }
  });
});
