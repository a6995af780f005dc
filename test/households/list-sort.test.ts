import { expect } from 'chai';
import { api, errorCode, userToken } from '../support/api';
import { allPages, expectedOrder } from '../support/paging';
import { householdBody } from './support';

describe('households: sorted lists, total, paging both ways (GET /households)', () => {
  let officer: string, auditor: string;
  const tag = `排序${Date.now().toString(36).slice(-5)}`;
  const path = () => `/households?district=HD&q=${encodeURIComponent(tag)}`;

  before(async () => {
    officer = (await userToken(['officer'], 'HD')).token;
    auditor = (await userToken(['auditor'])).token;
    // Ties on purpose: equal per-capita incomes and equal member counts, told apart by the id.
    const incomes: [string, number][] = [['1200.00', 2], ['600.00', 1], ['3000.00', 3], ['1200.00', 2], ['0.00', 1], ['2500.50', 2], ['600.00', 1]];
    let i = 0;
    for (const [monthlyIncome, memberCount] of incomes) {
      const r = await api('POST', '/households', { token: officer, body: householdBody({ headName: `${tag}户${i++}`, district: 'HD', monthlyIncome, memberCount, members: [] }) });
      expect(r.status, r.text).to.equal(201);
      // The first file's latest assessment puts it on top by income (lists show it, not the intake figure).
      if (i === 1) {
        const a = await api('POST', `/households/${r.body.id}/assessments`, { token: officer, body: { date: '2029-01-05', monthlyIncome: '9000.00', memberCount: 2 } });
        expect(a.status, a.text).to.equal(201);
      }
    }
  });

  it('sorts by each column both ways, stable with the id, over pages of 2, with the same total on every page', async () => {
    const all = (await allPages(path(), auditor)).items;
    expect(all.length).to.equal(7);
    expect(all.map((h) => h.id)).to.deep.equal(expectedOrder(all, (h) => h.id, true)); // default: newest first
    const keys: Record<string, (h: any) => string | number> = {
      perCapitaIncome: (h) => Number(h.latestAssessment?.perCapitaIncome ?? h.perCapitaIncome), memberCount: (h) => h.memberCount, headName: (h) => h.headName, createdAt: (h) => h.createdAt, id: (h) => h.id,
    };
    for (const [key, of] of Object.entries(keys)) {
      for (const desc of [false, true]) {
        const { items, total } = await allPages(path(), auditor, { sort: `${desc ? '-' : ''}${key}` });
        expect(total).to.equal(7);
        expect(items.map((h) => h.id), `sort ${desc ? '-' : ''}${key}`).to.deep.equal(expectedOrder(all, of, desc));
      }
    }
  });

  it('keeps paging correct while a row is added before the cursor (keyset): no row twice, none skipped after it', async () => {
    const first = await api('GET', `${path()}&sort=perCapitaIncome&limit=3&withTotal=true`, { token: auditor });
    expect(first.body.total).to.equal(7);
    expect(first.body.nextCursor).to.match(/^k/);
    const seen = first.body.items.map((h: any) => h.id);
    // A new file that sorts first: it must not show on the following pages.
    const added = await api('POST', '/households', { token: officer, body: householdBody({ headName: `${tag}新`, district: 'HD', monthlyIncome: '0.00', memberCount: 1, members: [] }) });
    expect(added.status).to.equal(201);
    let cursor = first.body.nextCursor;
    while (cursor) {
      const r = await api('GET', `${path()}&sort=perCapitaIncome&limit=3&cursor=${cursor}`, { token: auditor });
      expect(r.body).not.to.have.property('total'); // only with withTotal=true
      seen.push(...r.body.items.map((h: any) => h.id));
      cursor = r.body.nextCursor;
    }
    expect(seen).not.to.include(added.body.id);
    expect(new Set(seen).size).to.equal(7);
    expect((await api('GET', `${path()}&withTotal=true`, { token: auditor })).body.total).to.equal(8);
  });

  it('refuses an unknown sort, a cursor of another sort and an id cursor with a sort (400, never a 500)', async () => {
    const bad = await api('GET', `${path()}&sort=idNumber`, { token: auditor });
    expect(bad.status).to.equal(400);
    expect(errorCode(bad)).to.equal('validation_failed');
    const p = await api('GET', `${path()}&sort=headName&limit=2`, { token: auditor });
    const other = await api('GET', `${path()}&sort=-headName&limit=2&cursor=${p.body.nextCursor}`, { token: auditor });
    expect(other.status).to.equal(400);
    expect(other.body.error.details[0].path).to.equal('cursor');
    expect((await api('GET', `${path()}&sort=headName&cursor=12`, { token: auditor })).status).to.equal(400);
    expect((await api('GET', `${path()}&cursor=${p.body.nextCursor}`, { token: auditor })).status).to.equal(400);
    expect((await api('GET', `${path()}&sort=headName&cursor=k${Buffer.from('[1,2').toString('base64url')}`, { token: auditor })).status).to.equal(400);
    expect((await api('GET', `${path()}&withTotal=maybe`, { token: auditor })).status).to.equal(400);
  });

  it('counts only what the viewer may see (an officer of another district: 0)', async () => {
    const other = (await userToken(['officer'], 'CY')).token;
    const r = await api('GET', `/households?q=${encodeURIComponent(tag)}&withTotal=true`, { token: other });
    expect(r.status).to.equal(200);
    expect(r.body).to.include({ total: 0 });
  });
});
