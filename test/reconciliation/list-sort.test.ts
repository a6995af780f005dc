import { expect } from 'chai';
import { api, userToken } from '../support/api';
import { fundTree } from '../support/fixtures';
import { allPages, expectedOrder } from '../support/paging';

describe('reconciliation: statements filtered, sorted and counted (GET /bank-statements)', () => {
  let finance: string, auditor: string, fund: string;

  before(async () => {
    finance = (await userToken(['finance'])).token;
    auditor = (await userToken(['auditor'])).token;
    fund = (await fundTree(finance, ['CY'])).funds.CY!;
    // Empty statements (no lines: opening = closing) of five months, balances out of order.
    const months: [string, string, string][] = [['2025-01-01', '2025-01-31', '300.00'], ['2025-02-01', '2025-02-28', '100.00'], ['2025-03-01', '2025-03-31', '300.00'], ['2025-04-01', '2025-04-30', '0.00'], ['2025-05-01', '2025-05-31', '250.00']];
    for (const [periodFrom, periodTo, bal] of months) {
      const r = await api('POST', '/bank-statements', { token: finance, body: { fund, periodFrom, periodTo, openingBalance: bal, closingBalance: bal, format: 'csv', content: 'date,amount\n' } });
      expect(r.status, r.text).to.equal(201);
    }
  });

  it('sorts by period and closing balance both ways over pages, ties by id, with the total', async () => {
    const all = (await allPages(`/bank-statements?fund=${fund}`, auditor)).items;
    expect(all.length).to.equal(5);
    const keys: Record<string, (s: any) => string | number> = { periodFrom: (s) => s.periodFrom, closingBalance: (s) => Number(s.closingBalance), status: (s) => s.status, fund: (s) => s.fund };
    for (const [key, of] of Object.entries(keys)) {
      for (const desc of [false, true]) {
        const { items, total } = await allPages(`/bank-statements?fund=${fund}`, auditor, { sort: `${desc ? '-' : ''}${key}` });
        expect(total).to.equal(5);
        expect(items.map((s) => s.id), key).to.deep.equal(expectedOrder(all, of, desc));
      }
    }
  });

  it('filters by status and by a date range the period overlaps', async () => {
    const count = async (q: string) => (await api('GET', `/bank-statements?fund=${fund}&withTotal=true${q}`, { token: auditor })).body.total;
    expect(await count('&status=open')).to.equal(5);
    expect(await count('&status=closed')).to.equal(0);
    expect(await count('&from=2025-02-15&to=2025-03-15')).to.equal(2);
    expect(await count('&from=2025-05-31')).to.equal(1);
    expect(await count('&to=2024-12-31')).to.equal(0);
    expect((await api('GET', `/bank-statements?status=done`, { token: auditor })).status).to.equal(400);
  });
});
