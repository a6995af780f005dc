import { expect } from 'chai';
import { startIsolatedService } from '../support/env';
import { decryptPersonal } from '../../src/platform/personal-data';
import type { RunningService } from '../../src/server';

/**
 * The masking rule (docs/api.md) over the demo data, as the public meets it: every public endpoint's output and the whole public
 * log hold no ID number, no phone, no address and no full name of any household member.
 */
describe('public output after the demo data loads holds no personal detail', function () {
  this.timeout(300_000);
  let svc: { service: RunningService; stop: () => Promise<void> };
  const texts: [string, string][] = [];

  before(async () => {
    svc = await startIsolatedService({ DEMO_DATA: 'on', NOTICE_PERIOD: 'P7D' });
    const base = `${svc.service.url}/api/v1`;
    const get = async (path: string) => {
      const r = await fetch(`${base}${path}`);
      expect(r.status, path).to.equal(200);
      return r;
    };
    const pages = async (path: string) => {
      let cursor: string | null = null;
      do {
        const body: any = await (await get(`${path}${path.includes('?') ? '&' : '?'}limit=500${cursor ? `&cursor=${cursor}` : ''}`)).json();
        texts.push([path, JSON.stringify(body)]);
        cursor = body.nextCursor;
      } while (cursor);
    };
    await pages('/public/notices');
    await pages('/public/disclosures');
    await pages('/public/log');
    texts.push(['districts', await (await get('/districts')).text()]);
    const year = new Date(Date.now() + 8 * 3600_000).getUTCFullYear(); // the demo pays on Beijing's today; an empty period's 360Giving answer is 404
    texts.push(['360giving', await (await get(`/public/export/360giving.json?from=${year}-01-01&to=${year}-12-31`)).text()]);
    const pdf = Buffer.from(await (await get(`/reports/aid-disclosure.pdf?from=${year}-01-01&to=${year}-12-31`)).arrayBuffer());
    const { PDFParse } = await import('pdf-parse');
    texts.push(['aid-disclosure.pdf', (await new PDFParse({ data: pdf }).getText()).text]);
  });

  after(async () => svc?.stop());

  it('the demo data is there to be scanned', () => {
    const all = texts.map(([, t]) => t).join('\n');
    expect(all).to.include('aid.paid');
    expect(all).to.match(/[\u4e00-\u9fff]\*+[\u4e00-\u9fff]?/); // masked names such as 王*国
  });

  it('at rest: a raw pg_dump of the demo database holds no member health or work status in clear', async () => {
    const members = (await svc.service.ctx.db('households').select('members')).flatMap((r) => r.members ?? []);
    expect(members.length).to.be.greaterThan(500);
    expect(members.filter((m: any) => 'health' in m || 'workStatus' in m)).to.deep.equal([]);
    expect(members.filter((m: any) => typeof m.sealed === 'string').length).to.be.greaterThan(500);
    const { execFile } = await import('node:child_process');
    const dump = await new Promise<string>((resolve, reject) =>
      execFile('pg_dump', ['--no-owner', '--no-privileges', '--dbname', svc.service.ownerUrl], { maxBuffer: 1024 * 1024 * 1024 }, (e, out) => (e ? reject(e) : resolve(out))),
    );
    expect(dump).to.include('COPY public.households');
    // The demo's health notes (慢性病 chronic illness, 残疾 disability) and work statuses (灵活就业 gig work).
    for (const secret of ['慢性病', '残疾', '灵活就业']) expect(dump.includes(secret), secret).to.equal(false);
  });

  it('no full name, ID number, phone or address of any household appears', async () => {
    const rows = await svc.service.ctx.db('households').select('head_name', 'members', 'id_number_enc', 'phone_enc', 'address_enc');
    expect(rows.length).to.be.greaterThan(500);
    const secrets = new Set<string>();
    for (const r of rows) {
      secrets.add(r.head_name);
      for (const m of r.members ?? []) if (m.name && [...m.name].length >= 2) secrets.add(m.name);
      for (const sealed of [r.id_number_enc, r.phone_enc, r.address_enc]) if (sealed) secrets.add(decryptPersonal(sealed));
    }
    for (const [where, text] of texts) {
      for (const secret of secrets) expect(text.includes(secret), `${where} contains "${secret}"`).to.equal(false);
      // Not inside a longer token (a hex hash, a base64url token): letters and digits on neither side.
      for (const pattern of [/(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])/, /(?<![\dA-Za-z.])1[3-9]\d{9}(?![\dA-Za-z])/]) {
        const m = pattern.exec(text);
        expect(m, `${where}: ${m ? text.slice(Math.max(0, m.index - 80), m.index + 30) : ''}`).to.equal(null);
      }
    }
  });
});
