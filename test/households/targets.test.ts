import { expect } from 'chai';
import { api, adminToken, errorCode, userToken } from '../support/api';
import { testService } from '../support/env';
import { targetProgress } from '../../src/households';
import { assess, createHousehold, transition } from './support';

// The tracker owns the year 2031: no other test writes exits or returns dated 2031.
describe('households: exit target tracker (fixture year 2031)', () => {
  let cy: string, hd: string, dc: string, admin: string;
  const ids: Record<string, number> = {};

  before(async () => {
    admin = await adminToken();
    cy = (await userToken(['officer'], 'CY')).token;
    hd = (await userToken(['officer'], 'HD')).token;
    dc = (await userToken(['officer'], 'DC')).token;
    const ok = async (p: Promise<{ status: number; text: string }>) => {
      const r = await p;
      if (r.status !== 200) throw new Error(`${r.status} ${r.text}`);
    };
    // A (CY, deep): exits in January → counts (Jan).
    ids.A = (await createHousehold(cy, { category: 'deep' })).id;
    await assess(cy, ids.A, '2031-01-10', '3000.00', 2);
    await ok(transition(cy, ids.A, 'exit', '2031-01-15'));
    // B (CY, relative): exits in February, returns in March → does not count.
    ids.B = (await createHousehold(cy, { category: 'relative' })).id;
    await assess(cy, ids.B, '2031-02-01', '3000.00', 2);
    await ok(transition(cy, ids.B, 'exit', '2031-02-10'));
    await ok(transition(cy, ids.B, 'return', '2031-03-01'));
    // C (HD, deep): exits in March, returns in April, exits again in June → counts once (June).
    ids.C = (await createHousehold(hd, { category: 'deep', district: 'HD' })).id;
    await assess(hd, ids.C, '2031-03-01', '3000.00', 2);
    await ok(transition(hd, ids.C, 'exit', '2031-03-05'));
    await ok(transition(hd, ids.C, 'return', '2031-04-01'));
    await assess(hd, ids.C, '2031-06-05', '3000.00', 2);
    await ok(transition(hd, ids.C, 'exit', '2031-06-10'));
    // D (HD, accidental): exits in June → counts (June).
    ids.D = (await createHousehold(hd, { category: 'accidental', district: 'HD' })).id;
    await assess(hd, ids.D, '2031-06-15', '3000.00', 2);
    await ok(transition(hd, ids.D, 'exit', '2031-06-20'));
    // E (CY, deep): exits on 5 July → not yet as of 30 June; counts at year end (July).
    ids.E = (await createHousehold(cy, { category: 'deep' })).id;
    await assess(cy, ids.E, '2031-06-25', '3000.00', 2);
    await ok(transition(cy, ids.E, 'exit', '2031-07-05'));
    // F (DC, relative): exited in December 2030, returned February 2031 → not in 2031.
    ids.F = (await createHousehold(dc, { category: 'relative', district: 'DC' })).id;
    await assess(dc, ids.F, '2030-12-01', '3000.00', 2);
    await ok(transition(dc, ids.F, 'exit', '2030-12-20'));
    await ok(transition(dc, ids.F, 'return', '2031-02-01'));

    const put = await api('PUT', '/targets/2031', { token: admin, body: { target: 10, quotas: { CY: 4, HD: 3 } } });
    expect(put.status).to.equal(200);
  });

  it('as of 2031-06-30: hand-computed figures', async () => {
    const p = await targetProgress(testService().ctx.db, 2031, { today: '2031-06-30' });
    // Counted: A (Jan), C (Jun, once), D (Jun). Not: B (returned), E (after today), F (no 2031 exit).
    expect(p).to.include({ year: 2031, target: 10, exited: 3, remaining: 7, percent: 30 });
    // 1 Jul .. 31 Dec is 184 days, plus today.
    expect(p.daysLeft).to.equal(185);
    expect(p.requiredPerWeek).to.equal(0.26); // 7 × 7 / 185 = 0.2648…
    expect(p.currentPerWeek).to.equal(0.5); // C and D in 2031-06-03 .. 2031-06-30, over 4 weeks
    expect(p.projectedYearEnd).to.equal(16); // 3 + 0.5 × 185 / 7 = 16.21
    expect(p.onTrack).to.equal(true);
    expect(p.byDistrict).to.deep.equal([
      { district: 'CY', quota: 4, exited: 1, remaining: 3, percent: 25 },
      { district: 'HD', quota: 3, exited: 2, remaining: 1, percent: 66.67 },
    ]);
    expect(p.byCategory).to.deep.equal([
      { category: 'deep', exited: 2 },
      { category: 'relative', exited: 0 },
      { category: 'accidental', exited: 1 },
    ]);
    expect(p.byMonth).to.have.length(12);
    expect(p.byMonth.filter((m) => m.exited > 0)).to.deep.equal([
      { month: '2031-01', exited: 1 },
      { month: '2031-06', exited: 2 },
    ]);
  });

  it('after the year (GET /targets/2031?asOf=2032-01-05): E counts, nothing is left to do in time', async () => {
    const r = await api('GET', '/targets/2031?asOf=2032-01-05', { token: (await userToken(['auditor'])).token });
    expect(r.status).to.equal(200);
    expect(r.body).to.include({ year: 2031, target: 10, exited: 4, remaining: 6, percent: 40, daysLeft: 0, requiredPerWeek: 6, currentPerWeek: 0, projectedYearEnd: 4, onTrack: false });
    expect(r.body.byMonth.find((m: any) => m.month === '2031-07').exited).to.equal(1);
    expect(r.body.byDistrict.find((d: any) => d.district === 'CY')).to.deep.equal({ district: 'CY', quota: 4, exited: 2, remaining: 2, percent: 50 });
  });

  it('before the year starts: nothing counted, the whole year left', async () => {
    const p = await targetProgress(testService().ctx.db, 2031, { today: '2030-12-31' });
    expect(p).to.include({ exited: 0, remaining: 10, daysLeft: 365, currentPerWeek: 0, projectedYearEnd: 0, onTrack: false });
  });

  it('a year without a target defaults to 500; every staff role reads it, only admins set it', async () => {
    for (const role of ['officer', 'approver', 'finance', 'auditor']) {
      const u = await userToken([role], role === 'officer' ? 'CY' : undefined);
      const r = await api('GET', '/targets/2098', { token: u.token });
      expect(r.status, role).to.equal(200);
      expect(r.body.target).to.equal(500);
      const put = await api('PUT', '/targets/2098', { token: u.token, body: { target: 1 } });
      expect(put.status).to.equal(403);
    }
    const bad = await api('PUT', '/targets/2098', { token: admin, body: { target: '500' } });
    expect(bad.status).to.equal(400);
    const unknown = await api('PUT', '/targets/2098', { token: admin, body: { quotas: { XX: 1 } } });
    expect(unknown.status).to.equal(400);
    expect(errorCode(unknown)).to.equal('validation_failed');
    expect((await api('GET', '/targets/1999', { token: admin })).status).to.equal(400);
  });

  it('candidates: households not exited, ready ones first, then nearest to the threshold, with aid received', async () => {
    const near = (await createHousehold(cy, { headName: '近门槛' })).id;
    await assess(cy, near, '2031-01-02', '2800.00', 2); // 1400.00, gap 50.00
    const far = (await createHousehold(cy, { headName: '远门槛' })).id;
    await assess(cy, far, '2031-01-02', '1000.00', 2); // 500.00, gap 950.00
    const ready = (await createHousehold(cy, { headName: '已达标' })).id;
    await assess(cy, ready, '2031-01-02', '4000.00', 2); // 2000.00, ready
    const r = await api('GET', '/targets/2031/candidates?limit=500', { token: cy });
    expect(r.status).to.equal(200);
    const order = r.body.items.map((i: any) => i.householdId);
    expect(order).to.include.members([near, far, ready, ids.B]);
    expect(order).not.to.include.members([ids.A, ids.C, ids.D, ids.E]);
    expect(order.indexOf(ready)).to.be.lessThan(order.indexOf(near));
    expect(order.indexOf(near)).to.be.lessThan(order.indexOf(far));
    const n = r.body.items.find((i: any) => i.householdId === near);
    expect(n).to.include({ perCapitaIncome: '1400.00', threshold: '1450.00', gap: '50.00', ready: false, aidReceived: '0.00', assessmentDate: '2031-01-02' });
    expect(r.body.items.every((i: any) => i.district === 'CY')).to.equal(true);
  });
});
