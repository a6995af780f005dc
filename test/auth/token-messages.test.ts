import { expect } from 'chai';
import { api, errorCode, userToken } from '../support/api';

describe('auth: what a client is told about a bad token', () => {
  const says = async (authorization: string) => {
    const r = await api('GET', '/auth/me', { headers: { authorization } });
    expect(r.status, authorization).to.equal(401);
    expect(errorCode(r)).to.equal('unauthorized');
    return r.body.error.message as string;
  };

  it('a wrong, malformed or revoked token: "the token is not valid or has expired", never a word about the header format', async () => {
    const { token } = await userToken(['auditor']);
    expect((await api('POST', '/auth/logout', { token, body: {} })).status).to.be.oneOf([200, 204]);
    for (const h of ['Bearer abc', 'Bearer x'.padEnd(60, 'y'), `Bearer ${'A'.repeat(43)}`, `Bearer ${token}`, 'bearer not-a-token!', 'Bearer ']) {
      const m = await says(h);
      expect(m, h).to.match(/the token is not valid or has expired/);
      expect(m, h).not.to.match(/header/);
    }
  });

  it('another scheme is told the header format', async () => {
    expect(await says('Basic dXNlcjpwYXNz')).to.match(/"Bearer <token>"/);
  });
});
