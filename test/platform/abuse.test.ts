import { expect } from 'chai';
import net from 'node:net';
import { createKnex } from '../../src/platform/db';
import { testService, ADMIN } from '../support/env';
import { api } from '../support/api';
import { appWith } from '../support/second-app';

describe('abuse: throttling, rate limits, size and time limits', () => {
  it('throttles logins per client address (429 rate_limited), on top of the per-account lockout', async () => {
    const s = await appWith({ loginRateLimit: 3 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await fetch(`${s.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: `nobody-${i}`, password: 'wrong-password' }) });
        statuses.push(r.status);
        if (r.status === 429) expect(((await r.json()) as any).error.code).to.equal('rate_limited');
      }
      expect(statuses.slice(0, 3)).to.deep.equal([401, 401, 401]);
      expect(statuses.slice(3)).to.deep.equal([429, 429]);
      // even the right password waits out the window from this address
      const ok = await fetch(`${s.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
      expect(ok.status).to.equal(429);
    } finally {
      s.close();
    }
  });

  it('limits public report generation per client address; logged-in staff are not limited', async () => {
    const s = await appWith({ publicReportRateLimit: 2 });
    try {
      const q = '/reports/aid-disclosure.pdf?from=2026-01-01&to=2026-01-31';
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetch(`${s.url}${q}`)).status);
      expect(statuses).to.deep.equal([200, 200, 429]);
      const token = (await api('POST', '/auth/login', { body: ADMIN })).body.token;
      expect((await fetch(`${s.url}${q}`, { headers: { authorization: `Bearer ${token}` } })).status).to.equal(200);
    } finally {
      s.close();
    }
  });

  it('cuts off a request that does not arrive in time (408 in the error format)', async function () {
    this.timeout(20_000);
    const { port } = new URL(testService().url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => socket.write('POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"user'));
      let data = '';
      socket.on('data', (d) => (data += d));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
      setTimeout(() => reject(new Error('no answer within 15 s')), 15_000);
    });
    expect(answer).to.match(/^HTTP\/1\.1 408/);
    expect(answer).to.include('"code":"request_timeout"');
  });

  it('cancels a statement that runs past the statement timeout', async () => {
    const url = (testService().ctx.db.client.config.connection as { connectionString: string }).connectionString;
    const db = createKnex(url, { min: 0, max: 1 }, 200);
    try {
      let code = '';
      await db.raw('SELECT pg_sleep(2)').catch((e) => (code = e.code));
      expect(code).to.equal('57014');
    } finally {
      await db.destroy();
    }
  });

  it('refuses an oversized URL or header block with a JSON 431', async () => {
    const r = await fetch(`${testService().url}/api/v1/public/log?x=${'a'.repeat(20_000)}`);
    expect(r.status).to.equal(431);
    expect(((await r.json()) as any).error.code).to.equal('headers_too_large');
  });
});
