import { expect } from 'chai';
import crypto from 'node:crypto';
import { api, adminToken, errorCode, userToken } from '../support/api';
import { testService } from '../support/env';

const ROLES = ['admin', 'officer', 'approver', 'finance', 'auditor'] as const;

/**
 * The access matrix, read from the service's own OpenAPI document: every operation refuses a missing token
 * (unless public) and every role it does not list. Routes declare access once; this checks they keep it.
 */
describe('access matrix (every role × every operation)', () => {
  let tokens: Record<string, string>;
  let operations: { method: string; path: string; access: 'public' | 'authenticated' | string[] }[];

  before(async () => {
    tokens = {};
    for (const role of ROLES) tokens[role] = (await userToken([role], role === 'officer' ? 'CY' : undefined)).token;
    const doc = (await api('GET', '/openapi.json')).body;
    operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([p, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path: p.replace(/\{[^}]+\}/g, '1'), access: op['x-access'] })),
    );
    expect(operations.length).to.be.greaterThan(5);
  });

  it('no token: 401 on every operation that is not public', async () => {
    for (const op of operations.filter((o) => o.access !== 'public')) {
      const r = await api(op.method, op.path, { body: op.method === 'GET' ? undefined : {} });
      expect(r.status, `${op.method} ${op.path}`).to.equal(401);
      expect(errorCode(r)).to.equal('unauthorized');
    }
  });

  it('an expired token and a disabled user’s token: 401 on every operation that is not public', async () => {
    const expired = await userToken(['admin', 'auditor']);
    const disabled = await userToken(['finance', 'auditor']);
    const tokenHash = crypto.createHash('sha256').update(expired.token).digest('hex');
    await testService().ctx.db('sessions').where({ token_hash: tokenHash }).update({ expires_at: new Date(Date.now() - 1000) });
    expect((await api('PATCH', `/users/${disabled.id}`, { token: await adminToken(), body: { disabled: true } })).status).to.equal(200);
    for (const op of operations.filter((o) => o.access !== 'public')) {
      for (const [who, token] of [['expired', expired.token], ['disabled', disabled.token]]) {
        const r = await api(op.method, op.path, { token, body: op.method === 'GET' ? undefined : {} });
        expect(r.status, `${who} ${op.method} ${op.path}`).to.equal(401);
      }
    }
  });

  it('each role: 403 on every operation its role may not call', async () => {
    for (const op of operations.filter((o) => Array.isArray(o.access))) {
      for (const role of ROLES.filter((r) => !(op.access as string[]).includes(r))) {
        const r = await api(op.method, op.path, { token: tokens[role], body: op.method === 'GET' ? undefined : {} });
        expect(r.status, `${role} ${op.method} ${op.path}`).to.equal(403);
        expect(errorCode(r)).to.equal('forbidden');
      }
    }
  });

  it('each allowed role gets past the access check (never 401/403 for its role alone)', async () => {
    for (const op of operations.filter((o) => Array.isArray(o.access) && o.method === 'GET')) {
      for (const role of op.access as string[]) {
        const r = await api(op.method, op.path, { token: tokens[role] });
        expect(r.status, `${role} ${op.method} ${op.path}`).to.be.oneOf([200, 400, 404, 409, 422]);
        expect(r.status).to.be.lessThan(500);
      }
    }
  });
});
