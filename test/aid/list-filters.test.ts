import { expect } from 'chai';
import { api, errorCode, userToken } from '../support/api';
import { fundWithMoney, household } from '../support/fixtures';
import { allPages, expectedOrder } from '../support/paging';
import { shanghaiDate } from '../../src/platform/clock';

const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

describe('aid cases: filters, sort and total on GET /aid-cases', () => {
  let officer: string, officer2: string, approver: string, auditor: string, officerHD: string, fund: string;
  const ids: Record<string, number> = {};

  before(async () => {
    [officer, officer2, approver, auditor, officerHD] = await Promise.all([
      userToken(['officer'], 'CY').then((u) => u.token), userToken(['officer'], 'CY').then((u) => u.token),
      userToken(['approver'], 'CY').then((u) => u.token), userToken(['auditor']).then((u) => u.token), userToken(['officer'], 'HD').then((u) => u.token),
    ]);
    ({ fund } = await fundWithMoney('100000.00'));
    const hh = await household(officer, 'CY', '赵排序');
    const open = async (name: string, requestedAmount: string, reason: string) => {
      const r = await api('POST', '/aid-cases', { token: officer, body: { householdId: hh, fund, reason, description: 'x', requestedAmount, urgent: false } });
      expect(r.status, r.text).to.equal(201);
      ids[name] = r.body.id;
    };
    await open('a', '500.00', 'illness');
    await open('b', '2000.00', 'education');
    await open('c', '1200.00', 'illness');
    await open('d', '1200.00', 'hardship');
    await open('e', '3000.00', 'illness');
    // e: requested 3000.00, approved 900.00 — its amount is the approved one from then on.
    await api('POST', `/aid-cases/${ids.e}/submit`, { token: officer, body: {} });
    expect((await api('POST', `/aid-cases/${ids.e}/review`, { token: officer2, body: { recommendedAmount: '900.00' } })).status).to.equal(200);
    const ap = await api('POST', `/aid-cases/${ids.e}/approve`, { token: approver, body: { approvedAmount: '900.00' } });
    expect(ap.status, ap.text).to.equal(200);
  });

  const list = async (q: string, token = auditor) => {
    const r = await api('GET', `/aid-cases?fund=${fund}&limit=500&withTotal=true${q}`, { token });
    expect(r.status, r.text).to.equal(200);
    expect(r.body.total).to.equal(r.body.items.length);
    return r.body.items.map((c: any) => c.id).sort((x: number, y: number) => x - y);
  };
  const idsOf = (...names: string[]) => names.map((n) => ids[n]!).sort((x, y) => x - y);

  it('filters by reason, district, amount range (approved, else requested) and creation dates (Asia/Shanghai)', async () => {
    expect(await list('')).to.deep.equal(idsOf('a', 'b', 'c', 'd', 'e'));
    expect(await list('&reason=illness')).to.deep.equal(idsOf('a', 'c', 'e'));
    expect(await list('&district=CY&reason=hardship')).to.deep.equal(idsOf('d'));
    expect(await list('&district=HD')).to.deep.equal([]);
    expect(await list('&minAmount=1000')).to.deep.equal(idsOf('b', 'c', 'd')); // e is 900.00 approved, not 3000.00
    expect(await list('&maxAmount=1200.00')).to.deep.equal(idsOf('a', 'c', 'd', 'e'));
    expect(await list('&minAmount=900&maxAmount=1200')).to.deep.equal(idsOf('c', 'd', 'e'));
    const today = shanghaiDate();
    expect(await list(`&from=${today}&to=${today}`)).to.deep.equal(idsOf('a', 'b', 'c', 'd', 'e'));
    expect(await list(`&to=${addDays(today, -1)}`)).to.deep.equal([]);
    expect(await list(`&from=${addDays(today, 1)}`)).to.deep.equal([]);
    expect(await list('&status=in_notice')).to.deep.equal(idsOf('e'));
  });

  it('sorts by amount and by case number both ways over pages of 2, ties by id', async () => {
    const all = (await allPages(`/aid-cases?fund=${fund}`, auditor)).items;
    const amount = (c: any) => Number(c.approvedAmount ?? c.requestedAmount);
    for (const desc of [false, true]) {
      const byAmount = await allPages(`/aid-cases?fund=${fund}`, auditor, { sort: `${desc ? '-' : ''}amount` });
      expect(byAmount.items.map((c) => c.id)).to.deep.equal(expectedOrder(all, amount, desc));
      const byNo = await allPages(`/aid-cases?fund=${fund}`, officer, { sort: `${desc ? '-' : ''}caseNo` });
      expect(byNo.items.map((c) => c.id)).to.deep.equal(expectedOrder(all, (c) => c.caseNo, desc));
    }
    const reqDesc = await allPages(`/aid-cases?fund=${fund}`, auditor, { sort: '-requestedAmount', limit: 3 });
    expect(reqDesc.items[0].id).to.equal(ids.e);
  });

  it('scopes officers to their district (another district is 403; their own list counts none of these)', async () => {
    const r = await api('GET', `/aid-cases?fund=${fund}&district=CY`, { token: officerHD });
    expect(r.status).to.equal(403);
    expect(r.body.error.messageZh).to.be.a('string');
    expect(await list('', officerHD)).to.deep.equal([]);
  });

  it('refuses bad filters with 400 and the field', async () => {
    for (const q of ['minAmount=-1', 'maxAmount=12.345', 'minAmount=abc', 'from=2026-02-30', 'reason=luck', 'sort=amount,id', 'sort=approver']) {
      const r = await api('GET', `/aid-cases?${q}`, { token: auditor });
      expect(r.status, q).to.equal(400);
      expect(errorCode(r)).to.equal('validation_failed');
      expect(r.body.error.details[0].path, q).to.equal(q.split('=')[0]);
    }
  });
});
