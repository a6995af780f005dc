import { expect } from 'chai';
import pg from 'pg';
import { api, auditSeq, errorCode, userToken } from '../support/api';
import { testService } from '../support/env';
import { appWith } from '../support/second-app';
import { addDays, shanghaiDate } from '../../src/platform/clock';
import { assess, createHousehold } from './support';
import { PageClient } from '../support/browser';

// Home visits (issue 18): record and list visits with structured findings and follow-ups, the district scope,
// the overdue list, and the exit rule that may require a recent visit.

const visitBody = (over: Record<string, unknown> = {}) => ({
  date: addDays(shanghaiDate(), -3),
  visitors: [{ name: '张专干' }, { name: '社区主任 刘' }],
  findings: {
    housing: { status: 'poor_repair', note: '屋顶漏雨' },
    health: { status: 'chronic_illness', note: '户主糖尿病，需长期用药' },
    employment: { status: 'unemployed', note: '原单位停产' },
    needs: { items: ['medical', 'living'], note: '药费负担重' },
  },
  summary: '家庭困难属实',
  followUps: [{ action: '协助申请医疗救助', dueDate: addDays(shanghaiDate(), 14) }, { action: '联系社区修缮屋顶', dueDate: addDays(shanghaiDate(), -1) }],
  ...over,
});

async function backdate(householdId: number, days: number) {
  const c = new pg.Client({ connectionString: testService().ownerUrl });
  await c.connect();
  try {
    await c.query(`UPDATE households SET created_at = created_at - make_interval(days => $2) WHERE id = $1`, [householdId, days]);
  } finally {
    await c.end();
  }
}

describe('home visits (入户走访)', () => {
  let officer: string, officerHD: string, auditor: string, approverCY: string, finance: string;
  before(async () => {
    [officer, officerHD, auditor, approverCY, finance] = await Promise.all([
      userToken(['officer'], 'CY').then((u) => u.token), userToken(['officer'], 'HD').then((u) => u.token),
      userToken(['auditor']).then((u) => u.token), userToken(['approver'], 'CY').then((u) => u.token), userToken(['finance']).then((u) => u.token),
    ]);
  });

  it('records a visit with findings and follow-ups, lists it newest first, and keeps health sealed and from auditors', async () => {
    const h = await createHousehold(officer);
    const r = await api('POST', `/households/${h.id}/visits`, { token: officer, body: visitBody() });
    expect(r.status, r.text).to.equal(201);
    expect(r.body.findings.health).to.deep.equal({ status: 'chronic_illness', note: '户主糖尿病，需长期用药' });
    expect(r.body.followUps).to.have.length(2);
    expect(r.body.followUps[1]).to.include({ done: false, overdue: true });
    const older = await api('POST', `/households/${h.id}/visits`, { token: officer, body: visitBody({ date: addDays(shanghaiDate(), -40), followUps: [] }) });
    expect(older.status).to.equal(201);

    const list = await api('GET', `/households/${h.id}/visits`, { token: approverCY });
    expect(list.status).to.equal(200);
    expect(list.body.items.map((v: any) => v.id)).to.deep.equal([r.body.id, older.body.id]);
    expect(list.body.lastVisitDate).to.equal(visitBody().date);
    expect(list.body.items[0].findings.housing).to.deep.equal({ status: 'poor_repair', note: '屋顶漏雨' });
    expect(list.body.items[0].visitors.map((v: any) => v.name)).to.deep.equal(['张专干', '社区主任 刘']);

    const seenByAuditor = await api('GET', `/households/${h.id}/visits`, { token: auditor });
    expect(seenByAuditor.body.items[0].findings.health).to.equal(null);
    expect(seenByAuditor.body.items[0].healthMasked).to.equal(true);
    expect(seenByAuditor.text).not.to.include('糖尿病');
    expect((await api('GET', `/households/${h.id}/visits`, { token: finance })).status).to.equal(403);

    // At rest the health finding is ciphertext; the audit row says only that it was recorded.
    const c = new pg.Client({ connectionString: testService().ownerUrl });
    await c.connect();
    try {
      const row = (await c.query('SELECT findings::text AS f, health_sealed FROM household_visits WHERE id = $1', [r.body.id])).rows[0];
      expect(row.f).not.to.include('糖尿病');
      expect(row.health_sealed).to.match(/^v1\./);
      const audit = (await c.query(`SELECT private_payload FROM audit_log WHERE action = 'household.visited' AND private_payload LIKE $1`, [`%"visitId":${r.body.id},%`])).rows;
      expect(audit).to.have.length(1);
      expect(audit[0].private_payload).not.to.include('糖尿病');
      expect(JSON.parse(audit[0].private_payload).healthRecorded).to.equal(true);
    } finally {
      await c.end();
    }
  });

  it('marks a follow-up done once (409 the second time)', async () => {
    const h = await createHousehold(officer);
    const v = (await api('POST', `/households/${h.id}/visits`, { token: officer, body: visitBody() })).body;
    const action = v.followUps[0].id;
    const done = await api('POST', `/households/${h.id}/follow-ups/${action}/done`, { token: officer, body: { note: '已递交申请' } });
    expect(done.status, done.text).to.equal(200);
    expect(done.body).to.include({ done: true, doneNote: '已递交申请', overdue: false });
    const again = await api('POST', `/households/${h.id}/follow-ups/${action}/done`, { token: officer, body: {} });
    expect(again.status).to.equal(409);
    const other = await createHousehold(officer);
    expect((await api('POST', `/households/${other.id}/follow-ups/${v.followUps[1].id}/done`, { token: officer, body: {} })).status).to.equal(404);
    const list = await api('GET', `/households/${h.id}/visits`, { token: officer });
    expect(list.body.items[0].followUps.map((f: any) => f.done)).to.deep.equal([true, false]);
  });

  it('refuses bad visits with 400/422 and writes nothing', async () => {
    const h = await createHousehold(officer);
    const seq = await auditSeq();
    for (const bad of [
      visitBody({ visitors: [] }), visitBody({ findings: {} }), visitBody({ findings: { housing: { status: 'castle' } } }),
      visitBody({ date: '2026-02-30' }), visitBody({ followUps: [{ action: '', dueDate: shanghaiDate() }] }),
    ]) {
      const r = await api('POST', `/households/${h.id}/visits`, { token: officer, body: bad });
      expect(r.status, JSON.stringify(bad)).to.equal(400);
      expect(errorCode(r)).to.equal('validation_failed');
    }
    const future = await api('POST', `/households/${h.id}/visits`, { token: officer, body: visitBody({ date: addDays(shanghaiDate(), 2) }) });
    expect(future.status).to.equal(422);
    expect(errorCode(future)).to.equal('future_date');
    expect(await auditSeq()).to.equal(seq);
  });

  it('keeps visits to the officer’s district: another district’s file is a 404 for reading and recording', async () => {
    const h = await createHousehold(officer);
    await api('POST', `/households/${h.id}/visits`, { token: officer, body: visitBody() });
    expect((await api('GET', `/households/${h.id}/visits`, { token: officerHD })).status).to.equal(404);
    expect((await api('POST', `/households/${h.id}/visits`, { token: officerHD, body: visitBody() })).status).to.equal(404);
    expect((await api('POST', `/households/${h.id}/visits`, { token: auditor, body: visitBody() })).status).to.equal(403);
  });

  it('lists files not visited for longer than the overdue days, scoped to the district', async () => {
    const never = await createHousehold(officer, { headName: '久未走访' });
    await backdate(never.id, 400);
    const old = await createHousehold(officer, { headName: '旧走访' });
    await backdate(old.id, 400);
    await api('POST', `/households/${old.id}/visits`, { token: officer, body: visitBody({ date: addDays(shanghaiDate(), -200), followUps: [] }) });
    const recent = await createHousehold(officer, { headName: '近期走访' });
    await backdate(recent.id, 400);
    await api('POST', `/households/${recent.id}/visits`, { token: officer, body: visitBody({ date: addDays(shanghaiDate(), -10), followUps: [] }) });
    const fresh = await createHousehold(officer, { headName: '新建档' }); // opened today, never visited: not overdue yet
    const hd = await createHousehold(officerHD, { district: 'HD' });
    await backdate(hd.id, 400);

    const all: any[] = [];
    let cursor: string | null = null;
    do {
      const r: { status: number; text: string; body: any } = await api('GET', `/households/visits/overdue?limit=500${cursor ? `&cursor=${cursor}` : ''}`, { token: officer });
      expect(r.status, r.text).to.equal(200);
      all.push(...r.body.items);
      cursor = r.body.nextCursor;
    } while (cursor);
    const ids = all.map((i) => i.householdId);
    expect(ids).to.include.members([never.id, old.id]);
    expect(ids).not.to.include.members([recent.id]);
    expect(ids).not.to.include(fresh.id);
    expect(ids).not.to.include(hd.id);
    expect(all.every((i) => i.district === 'CY')).to.equal(true);
    const o = all.find((i) => i.householdId === old.id);
    expect(o).to.include({ lastVisitDate: addDays(shanghaiDate(), -200), daysSinceVisit: 200 });
    expect(all.find((i) => i.householdId === never.id).lastVisitDate).to.equal(null);

    const tighter = await api('GET', '/households/visits/overdue?days=5&limit=500', { token: officer });
    expect(tighter.body.items.map((i: any) => i.householdId)).to.include(recent.id);
    expect((await api('GET', '/households/visits/overdue?district=HD', { token: officer })).status).to.equal(404);
    const city = await api('GET', '/households/visits/overdue?limit=500&district=HD', { token: auditor });
    expect(city.body.items.map((i: any) => i.householdId)).to.include(hd.id);
    expect((await api('GET', '/households/visits/overdue', { token: finance })).status).to.equal(403);
  });

  it('the exit rule: off by default; with EXIT_REQUIRES_VISIT_DAYS an exit needs a visit within those days (422 exit_visit_required)', async () => {
    const today = shanghaiDate();
    const a = await createHousehold(officer);
    await assess(officer, a.id, addDays(today, -5), '9000.00');
    const offExit = await api('POST', `/households/${a.id}/exit`, { token: officer, body: { date: today, reason: '收入提高', evidence: '核查' } });
    expect(offExit.status, offExit.text).to.equal(200);

    const strict = await appWith({ exitRequiresVisitDays: 90 });
    try {
      const at = (path: string, body: unknown) => fetch(`${strict.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${officer}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
        .then(async (r) => ({ status: r.status, body: await r.json() }));
      const b = await createHousehold(officer);
      await assess(officer, b.id, addDays(today, -5), '9000.00');
      await api('POST', `/households/${b.id}/visits`, { token: officer, body: visitBody({ date: addDays(today, -120), followUps: [] }) });
      const seq = await auditSeq();
      const refused = await at(`/households/${b.id}/exit`, { date: today, reason: '收入提高' });
      expect(refused.status).to.equal(422);
      expect(refused.body.error.code).to.equal('exit_visit_required');
      expect(refused.body.error.details).to.include({ windowFrom: addDays(today, -90), windowTo: today, days: 90 });
      expect(refused.body.error.messageZh).to.include('入户走访');
      expect(await auditSeq()).to.equal(seq);
      await api('POST', `/households/${b.id}/visits`, { token: officer, body: visitBody({ date: addDays(today, -30), followUps: [] }) });
      const ok = await at(`/households/${b.id}/exit`, { date: today, reason: '收入提高' });
      expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
      expect(ok.body.status).to.equal('exited');
    } finally {
      strict.close();
    }
  });
  it('the console: the household page shows the visit history and records a visit; the dashboard lists overdue files', async () => {
    const u = await userToken(['officer'], 'CY');
    const h = await createHousehold(u.token, { headName: '周走访' });
    await backdate(h.id, 400);
    const b = await PageClient.as(u.username);
    expect((await b.get(`/dashboard`)).text).to.include('久未走访的家庭');
    expect((await b.get(`/dashboard`)).text).to.include(`/households/${h.id}#visits`);
    const r = await b.submit(`/households/${h.id}`, `/households/${h.id}/visits`, {
      date: addDays(shanghaiDate(), -1), visitors: '张三，李四', housing: 'unsafe', housingNote: '墙体开裂', health: 'disability', healthNote: '肢体残疾',
      employment: '', employmentNote: '', needs: ['housing', 'care'], needsNote: '', summary: '需尽快修缮', f0_action: '申请危房改造', f0_due: addDays(shanghaiDate(), 30), f1_action: '', f1_due: '',
    });
    expect(r.status, r.text.slice(0, 300)).to.equal(303);
    const page = (await b.get(`/households/${h.id}`)).text;
    expect(page).to.include('墙体开裂');
    expect(page).to.include('存在安全隐患');
    expect(page).to.include('申请危房改造');
    expect(page).to.include('张三、李四');
    const list = await api('GET', `/households/${h.id}/visits`, { token: u.token });
    expect(list.body.items[0].findings).to.deep.include({ needs: { items: ['housing', 'care'] } });
    expect((await b.get(`/dashboard`)).text).not.to.include(`/households/${h.id}#visits`);
  });
});
