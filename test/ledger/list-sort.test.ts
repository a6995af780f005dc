import { expect } from 'chai';
import { api, userToken } from '../support/api';
import { donate, fundTree } from '../support/fixtures';
import { allPages, expectedOrder } from '../support/paging';
import { shanghaiDate } from '../../src/platform/clock';

describe('ledger: journal entries sorted, counted and searched (GET /journal-entries)', () => {
  let finance: string, auditor: string, fund: string;
  const today = shanghaiDate();

  before(async () => {
    finance = (await userToken(['finance'])).token;
    auditor = (await userToken(['auditor'])).token;
    fund = (await fundTree(finance, ['CY'])).funds.CY!;
    for (const amount of ['10.00', '30.00', '20.00', '20.00', '5.00']) await donate(finance, fund, amount, today);
  });

  it('pages every sort both ways with the same total; the default stays newest first with id cursors', async () => {
    const plain = await api('GET', `/journal-entries?fund=${fund}&limit=2`, { token: auditor });
    expect(plain.body.nextCursor).to.match(/^\d+$/);
    expect(plain.body).not.to.have.property('total');
    const all = (await allPages(`/journal-entries?fund=${fund}`, auditor)).items;
    expect(all.length).to.equal(5);
    expect(all.map((e) => e.id)).to.deep.equal(expectedOrder(all, (e) => e.id, true));
    const keys: Record<string, (e: any) => string | number> = { number: (e) => e.number, date: (e) => e.date, createdAt: (e) => e.createdAt, source: (e) => e.source };
    for (const [key, of] of Object.entries(keys)) {
      for (const desc of [false, true]) {
        const { items } = await allPages(`/journal-entries?fund=${fund}`, auditor, { sort: `${desc ? '-' : ''}${key}` });
        expect(items.map((e) => e.id), key).to.deep.equal(expectedOrder(all, of, desc));
      }
    }
  });

  it('q finds an entry by its number; the total follows the filters', async () => {
    const one = (await api('GET', `/journal-entries?fund=${fund}&limit=1`, { token: auditor })).body.items[0];
    const r = await api('GET', `/journal-entries?fund=${fund}&q=${encodeURIComponent(one.number)}&withTotal=true`, { token: auditor });
    expect(r.status).to.equal(200);
    expect(r.body.total).to.equal(1);
    expect(r.body.items[0].id).to.equal(one.id);
    expect((await api('GET', `/journal-entries?fund=${fund}&source=manual&withTotal=true`, { token: auditor })).body.total).to.equal(0);
    expect((await api('GET', `/journal-entries?sort=amount`, { token: auditor })).status).to.equal(400);
  });
});
