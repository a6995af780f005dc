import { expect } from 'chai';
import { Writable } from 'node:stream';
import { apiAt } from '../support/api';
import { ADMIN, startIsolatedService } from '../support/env';
import { householdBody } from '../households/support';

// The bank account never reaches a log: a service logging everything (trace) is given accounts, read them
// back, refuses a bad one; its log output is searched for the numbers.
describe('campaigns: the bank account is never in a log', function () {
  this.timeout(120_000);
  it('is not in the service log at trace level', async () => {
    const lines: string[] = [];
    const logTo = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    const { service, stop } = await startIsolatedService({ LOG_LEVEL: 'trace' }, { logTo });
    try {
      const call = (method: string, path: string, token?: string, body?: unknown) => apiAt(service.url, method, path, { token, body });
      const admin = (await call('POST', '/auth/login', undefined, ADMIN)).body.token as string;
      const user = await call('POST', '/users', admin, { username: 'log-officer', password: 'Test-pass-12345', displayName: 'o', roles: ['officer'], district: 'FS' });
      expect(user.status).to.equal(201);
      const officer = (await call('POST', '/auth/login', undefined, { username: 'log-officer', password: 'Test-pass-12345' })).body.token as string;
      const h = await call('POST', '/households', officer, householdBody({ district: 'FS' }));
      expect(h.status).to.equal(201);
      const account = '6222020200112233445';
      expect((await call('PUT', `/households/${h.body.id}/bank-account`, officer, { bankAccount: { accountNo: account, accountName: '王建国', bankName: '工商银行' } })).status).to.equal(200);
      expect((await call('GET', `/households/${h.body.id}/bank-account`, officer)).body.bankAccount.accountNo).to.equal(account);
      const bad = await call('PUT', `/households/${h.body.id}/bank-account`, officer, { bankAccount: { accountNo: '6222020299887766554', accountName: '', bankName: '工商银行' } });
      expect(bad.status).to.equal(400);
      const log = lines.join('');
      expect(log.length).to.be.greaterThan(100);
      expect(log).not.to.contain(account);
      expect(log).not.to.contain('6222020299887766554');
    } finally {
      await stop();
    }
  });
});
