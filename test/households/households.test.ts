import { expect } from 'chai';
import { api, adminToken, auditSeq, errorCode, userToken, type ApiResponse } from '../support/api';
import { testService } from '../support/env';
import { idNumberProblem, idCheckChar } from '../../src/households/model';
import { createApplicantHousehold, getHouseholdSummary, markHouseholdAssisted } from '../../src/households';
import { assess, createHousehold, householdBody, newIdNumber, newPhone, transition } from './support';
import { fundTree } from '../support/fixtures';
import { up } from '../../migrations/20261127_0400_households_health_encrypted';
import { createKnex } from '../../src/platform/db';

// Dates here are in 2029 (the tracker test owns 2031), after any household's registration date.
describe('households: files', () => {
  let cy: string, cy2: string, hd: string, auditor: string, approverCy: string, approverHd: string, finance: string, admin: string;
  let cyUser: { token: string; username: string; id: number };
  const sentIds: string[] = [];
  const sentPhones: string[] = [];
  const track = <T extends { sent: { idNumber: string; phone: string } }>(h: T): T => {
    sentIds.push(h.sent.idNumber);
    sentPhones.push(h.sent.phone);
    return h;
  };

  before(async () => {
    cyUser = await userToken(['officer'], 'CY');
    cy = cyUser.token;
    cy2 = (await userToken(['officer'], 'CY')).token;
    hd = (await userToken(['officer'], 'HD')).token;
    auditor = (await userToken(['auditor'])).token;
    finance = (await userToken(['finance'])).token;
    approverCy = (await userToken(['approver'], 'CY')).token;
    approverHd = (await userToken(['approver'], 'HD')).token;
    admin = await adminToken();
  });

  describe('ID numbers (GB 11643)', () => {
    it('accepts a valid number, and one whose check character is X', () => {
      expect(idNumberProblem('11010519491231002X')).to.equal(null); // the standard's own example
      const x = newIdNumber({ check: 'X' });
      expect(x.endsWith('X')).to.equal(true);
      expect(idNumberProblem(x)).to.equal(null);
      expect(idNumberProblem(newIdNumber())).to.equal(null);
    });

    it('refuses a wrong check digit, an impossible birth date and a bad format', () => {
      const good = newIdNumber();
      const wrong = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
      expect(idNumberProblem(wrong)).to.match(/check digit/);
      const feb30 = '110105' + '19800230' + '123';
      expect(idNumberProblem(feb30 + idCheckChar(feb30))).to.match(/birth date/);
      const future = '110105' + '20990101' + '123';
      expect(idNumberProblem(future + idCheckChar(future), '2026-11-25')).to.match(/birth date/);
      expect(idNumberProblem('12345')).to.match(/18 characters/);
      expect(idNumberProblem('11010519491231002Y')).to.match(/18 characters/);
    });

    it('the API answers 400 naming idNumber for each bad case, and takes an X (or x) check character', async () => {
      const good = newIdNumber();
      const feb30 = '110105' + '19800230' + '123';
      for (const bad of [good.slice(0, 17) + (good[17] === '0' ? '1' : '0'), feb30 + idCheckChar(feb30), '1101051980', 110105198001011234]) {
        const before = await auditSeq();
        const r = await api('POST', '/households', { token: cy, body: householdBody({ idNumber: bad }) });
        expect(r.status, String(bad)).to.equal(400);
        expect(errorCode(r)).to.equal('validation_failed');
        expect(r.body.error.details.map((d: any) => d.path)).to.include('idNumber');
        expect(await auditSeq()).to.equal(before);
      }
      const x = newIdNumber({ check: 'X' });
      const r = await api('POST', '/households', { token: cy, body: householdBody({ idNumber: x.slice(0, 17) + 'x' }) });
      expect(r.status).to.equal(201);
      expect(r.body.idNumber).to.equal(x);
    });
  });

  it('creates a file and reads it back with members, assessments and history', async () => {
    const h = track(await createHousehold(cy));
    expect(h.status).to.equal('registered');
    expect(h.idNumber).to.equal(h.sent.idNumber);
    expect(h.perCapitaIncome).to.equal('1000.00');
    const r = await api('GET', `/households/${h.id}`, { token: cy2 });
    expect(r.status).to.equal(200);
    expect(r.body).to.include({ headName: '王建国', district: 'CY', category: 'deep', monthlyIncome: '2000.00', memberCount: 2, phone: h.sent.phone });
    expect(r.body.members).to.deep.equal(h.sent.members);
    expect(r.body.assessments).to.deep.equal([]);
    expect(r.body.history[0]).to.include({ kind: 'created', toStatus: 'registered' });
  });

  it('validates input: amounts as strings, categories, causes, member limits', async () => {
    const cases: Record<string, unknown>[] = [
      { monthlyIncome: 2000 },
      { monthlyIncome: '-1.00' },
      { category: 'poor' },
      { causes: [] },
      { causes: ['illness', 'gambling'] },
      { members: Array.from({ length: 21 }, () => ({ name: '张三', relation: 'child', age: 5 })) },
      { headName: 'x'.repeat(51) },
      { memberCount: 0 },
      { phone: 'call me' },
      { district: 'XX' },
      { extra: 1 },
    ];
    for (const c of cases) {
      const r = await api('POST', '/households', { token: admin, body: householdBody(c) });
      expect(r.status, JSON.stringify(c).slice(0, 80)).to.equal(400);
      expect(errorCode(r)).to.equal('validation_failed');
    }
    const zero = await api('POST', '/households', { token: cy, body: householdBody({ monthlyIncome: '0.00' }) });
    expect(zero.status).to.equal(201);
  });

  describe('one active file per ID number', () => {
    it('a second file with the same ID number is 409 duplicate_household naming the first (same district, or an admin)', async () => {
      const h = track(await createHousehold(cy));
      const before = await auditSeq();
      for (const token of [cy, admin]) {
        const r = await api('POST', '/households', { token, body: householdBody({ idNumber: h.sent.idNumber, district: 'CY', headName: '另一人' }) });
        expect(r.status).to.equal(409);
        expect(errorCode(r)).to.equal('duplicate_household');
        expect(r.body.error.details).to.include({ householdId: h.id, district: 'CY' });
      }
      expect(await auditSeq()).to.equal(before);
    });

    it('a duplicate in another district is a plain 409: no file id, no district, "contact the city office"', async () => {
      const h = track(await createHousehold(cy));
      const other = track(await createHousehold(hd, { district: 'HD' }));
      const hdAuditor = (await userToken(['officer', 'auditor'], 'HD')).token;
      const { funds } = await fundTree((await userToken(['finance'])).token, ['HD']);
      const before = await auditSeq();
      const plain = (r: ApiResponse) => {
        expect(r.status, r.text).to.equal(409);
        expect(errorCode(r)).to.equal('duplicate_household');
        expect(r.body.error.details).to.deep.equal({ field: 'idNumber' });
        expect(r.body.error.message).to.include('市总工会');
        expect(r.text).not.to.match(/"CY"|\(CY\)|district CY/);
        expect(r.text).not.to.include(`household ${h.id}`);
      };
      // a new file, a changed ID number, and a new applicant of an aid case, by officers of HD (also with a city-wide role)
      for (const token of [hd, hdAuditor]) plain(await api('POST', '/households', { token, body: householdBody({ idNumber: h.sent.idNumber, district: 'HD', headName: '另一人' }) }));
      plain(await api('PATCH', `/households/${other.id}`, { token: hd, body: { idNumber: h.sent.idNumber } }));
      plain(await api('POST', '/aid-cases', { token: hd, body: { applicant: { headName: '另一人', idNumber: h.sent.idNumber, district: 'HD' }, fund: funds.HD, reason: 'accident', description: 'x', requestedAmount: '100.00', urgent: true } }));
      expect(await auditSeq()).to.equal(before);
    });

    it('changing a file to an ID number that another active file has is a 409 too', async () => {
      const a = track(await createHousehold(cy));
      const b = track(await createHousehold(cy));
      const r = await api('PATCH', `/households/${b.id}`, { token: cy, body: { idNumber: a.sent.idNumber } });
      expect(r.status).to.equal(409);
      expect(errorCode(r)).to.equal('duplicate_household');
    });

    it('after the file is archived the ID number may be filed again', async () => {
      const h = track(await createHousehold(cy));
      expect((await transition(cy, h.id, 'archive', '2029-01-05', '迁出本市')).status).to.equal(200);
      const again = await api('POST', '/households', { token: cy, body: householdBody({ idNumber: h.sent.idNumber }) });
      expect(again.status).to.equal(201);
    });
  });

  describe('district scope and masking', () => {
    it("an officer of another district can neither read nor change a file", async () => {
      const h = track(await createHousehold(cy));
      const before = await auditSeq();
      const reads = [await api('GET', `/households/${h.id}`, { token: hd }), await api('GET', `/households/${h.id}`, { token: approverHd })];
      for (const r of reads) {
        expect(r.status).to.be.oneOf([403, 404]);
        errorCode(r);
      }
      const writes = [
        await api('PATCH', `/households/${h.id}`, { token: hd, body: { headName: '改名' } }),
        await api('POST', `/households/${h.id}/assessments`, { token: hd, body: { date: '2029-01-02', monthlyIncome: '5000.00', memberCount: 1, rigidExpenses: '0.00' } }),
        await api('POST', `/households/${h.id}/exit`, { token: hd, body: { date: '2029-01-03', reason: 'x' } }),
        await api('POST', `/households/${h.id}/archive`, { token: hd, body: { date: '2029-01-03', reason: 'x' } }),
      ];
      for (const r of writes) {
        expect(r.status).to.be.oneOf([403, 404]);
        errorCode(r);
      }
      expect(await auditSeq()).to.equal(before);
      const list = await api('GET', '/households?limit=500', { token: hd });
      expect(list.body.items.every((i: any) => i.district === 'HD')).to.equal(true);
      const filtered = await api('GET', '/households?district=CY', { token: hd });
      expect(filtered.body.items).to.deep.equal([]);
      const create = await api('POST', '/households', { token: hd, body: householdBody({ district: 'CY' }) });
      expect(create.status).to.equal(403);
      const move = await api('PATCH', `/households/${h.id}`, { token: cy, body: { district: 'HD' } });
      expect(move.status).to.equal(403);
      expect((await api('GET', `/households/${h.id}`, { token: cy })).body.district).to.equal('CY');
    });

    it('an officer of one district sees full identifiers of that district only, whatever other roles they hold', async () => {
      const own = track(await createHousehold(cy));
      const other = track(await createHousehold(hd, { district: 'HD' }));
      const masked = `${other.sent.idNumber.slice(0, 6)}********${other.sent.idNumber.slice(-4)}`;
      for (const roles of [['officer', 'auditor'], ['officer', 'finance'], ['officer', 'admin']]) {
        const t = (await userToken(roles, 'CY')).token;
        const mine = await api('GET', `/households/${own.id}`, { token: t });
        expect(mine.body, roles.join('+')).to.include({ idNumber: own.sent.idNumber, phone: own.sent.phone, address: own.sent.address, identifiersMasked: false });
        const theirs = await api('GET', `/households/${other.id}`, { token: t });
        expect(theirs.status, roles.join('+')).to.equal(200);
        expect(theirs.body, roles.join('+')).to.include({ idNumber: masked, identifiersMasked: true, address: '***' });
        for (const secret of [other.sent.idNumber, other.sent.phone, other.sent.address]) expect(theirs.text, roles.join('+')).not.to.contain(secret);
      }
      // an officer who is also a (district) approver of CY: another district's file is not theirs to read at all
      const both = (await userToken(['officer', 'approver'], 'CY')).token;
      expect((await api('GET', `/households/${own.id}`, { token: both })).body.identifiersMasked).to.equal(false);
      expect((await api('GET', `/households/${other.id}`, { token: both })).status).to.equal(404);
      // a foundation approver (no district) and an admin still see every district in full
      for (const t of [(await userToken(['approver'])).token, admin]) {
        expect((await api('GET', `/households/${other.id}`, { token: t })).body).to.include({ idNumber: other.sent.idNumber, identifiersMasked: false });
      }
    });

    it("shows ID number and phone in full to the district's officers, approvers and admins, masked to auditors and finance", async () => {
      const h = track(await createHousehold(cy));
      for (const t of [cy2, approverCy, admin]) {
        const r = await api('GET', `/households/${h.id}`, { token: t });
        expect(r.body).to.include({ idNumber: h.sent.idNumber, phone: h.sent.phone, address: h.sent.address, identifiersMasked: false });
      }
      for (const t of [auditor, finance]) {
        const r = await api('GET', `/households/${h.id}`, { token: t });
        expect(r.status).to.equal(200);
        expect(r.text).not.to.contain(h.sent.idNumber);
        expect(r.text).not.to.contain(h.sent.phone);
        expect(r.text).not.to.contain(h.sent.address);
        expect(r.body.idNumber).to.equal(`${h.sent.idNumber.slice(0, 6)}********${h.sent.idNumber.slice(-4)}`);
        expect(r.body.identifiersMasked).to.equal(true);
      }
    });
  });

  it('lists with filters, text search on the name and cursor paging', async () => {
    const name = `测试${Date.now() % 100000}甄`;
    const made = [];
    for (let i = 0; i < 3; i++) made.push(track(await createHousehold(cy, { headName: `${name}${i}`, category: 'relative', causes: ['disability', 'education'] })));
    const p1 = await api('GET', `/households?q=${encodeURIComponent(name)}&limit=2`, { token: cy });
    expect(p1.status).to.equal(200);
    expect(p1.body.items).to.have.length(2);
    expect(p1.body.nextCursor).to.be.a('string');
    const p2 = await api('GET', `/households?q=${encodeURIComponent(name)}&limit=2&cursor=${p1.body.nextCursor}`, { token: cy });
    expect(p2.body.items).to.have.length(1);
    expect(p2.body.nextCursor).to.equal(null);
    expect([...p1.body.items, ...p2.body.items].map((i: any) => i.id).sort()).to.deep.equal(made.map((m) => m.id).sort());
    const byCause = await api('GET', `/households?q=${encodeURIComponent(name)}&cause=education&category=relative&status=registered&district=CY`, { token: auditor });
    expect(byCause.body.items).to.have.length(3);
    expect((await api('GET', `/households?q=${encodeURIComponent(name)}&cause=disaster`, { token: cy })).body.items).to.have.length(0);
    const byId = await api('GET', `/households?q=${made[1]!.sent.idNumber}`, { token: cy });
    expect(byId.body.items.map((i: any) => i.id)).to.deep.equal([made[1]!.id]);
    expect((await api('GET', '/households?q=%25', { token: cy })).status).to.equal(200);
    expect((await api('GET', '/households?limit=501', { token: cy })).status).to.equal(400);
  });

  it('PATCH keeps every changed field in the history (old → new; ID number and phone only "changed") and the audit log', async () => {
    const h = track(await createHousehold(cy));
    const phone = newPhone();
    sentPhones.push(phone);
    const r = await api('PATCH', `/households/${h.id}`, { token: cy2, body: { headName: '王建民', phone, monthlyIncome: '2100.50', causes: ['illness', 'unemployment'], notes: '测试' } });
    expect(r.status).to.equal(200);
    expect(r.body).to.include({ headName: '王建民', phone, monthlyIncome: '2100.50' });
    const last = r.body.history[r.body.history.length - 1];
    expect(last.kind).to.equal('updated');
    expect(last.changes).to.deep.include({ field: 'headName', old: '王建国', new: '王建民' });
    expect(last.changes).to.deep.include({ field: 'monthlyIncome', old: '2000.00', new: '2100.50' });
    expect(last.changes).to.deep.include({ field: 'phone', changed: true });
    expect(last.changes.map((c: any) => c.field)).not.to.include('notes'); // unchanged
    const audit = await api('GET', `/audit?subject=household:${h.id}&action=household.updated`, { token: auditor });
    expect(audit.status).to.equal(200);
    const row = audit.body.items[0];
    expect(JSON.stringify(row)).not.to.contain(phone);
    expect(JSON.stringify(row)).not.to.contain(h.sent.phone);
    // Nothing changed: no history row, no audit row.
    const before = await auditSeq();
    expect((await api('PATCH', `/households/${h.id}`, { token: cy, body: { headName: '王建民' } })).status).to.equal(200);
    expect(await auditSeq()).to.equal(before);
  });

  it('audit public payloads are masked: masked name, district, category, no ID number, phone or address', async () => {
    const h = track(await createHousehold(cy, { headName: '欧阳娜娜' }));
    const log = await api('GET', `/public/log?after=${(await auditSeq()) - 1}`);
    const item = log.body.items.find((i: any) => i.publicPayload?.householdId === h.id);
    expect(item.action).to.equal('household.created');
    expect(item.publicPayload).to.include({ name: '欧**娜', district: 'CY', category: 'deep', status: 'registered' });
    const text = JSON.stringify(item);
    for (const secret of [h.sent.idNumber, h.sent.phone, h.sent.address, '欧阳娜娜']) expect(text).not.to.contain(secret);
  });

  describe('assessments and the exit rule', () => {
    it('derives per-capita income with decimals (rounded down to the fen)', async () => {
      const h = track(await createHousehold(cy));
      const a = await assess(cy, h.id, '2029-02-01', '1000.00', 3);
      expect(a).to.include({ perCapitaIncome: '333.33', monthlyIncome: '1000.00', memberCount: 3, rigidExpenses: '0.00' });
      const r = await api('POST', `/households/${h.id}/assessments`, { token: cy, body: { date: '2029-02-01', monthlyIncome: 1000, memberCount: 3, rigidExpenses: '0.00' } });
      expect(r.status).to.equal(400);
    });

    it('an assessment exactly at the threshold passes; one fen below fails with the figures', async () => {
      const below = track(await createHousehold(cy));
      await assess(cy, below.id, '2029-03-01', '2899.98', 2); // 1449.99 per person
      const before = await auditSeq();
      const r = await transition(cy, below.id, 'exit', '2029-03-10');
      expect(r.status).to.equal(422);
      expect(errorCode(r)).to.equal('exit_criteria_not_met');
      expect(r.body.error.details).to.include({ threshold: '1450.00', perCapitaIncome: '1449.99', shortfall: '0.01' });
      expect(await auditSeq()).to.equal(before);

      const equal = track(await createHousehold(cy));
      await assess(cy, equal.id, '2029-03-01', '2900.00', 2); // 1450.00 per person
      const ok = await transition(cy, equal.id, 'exit', '2029-03-10', '再就业，收入稳定');
      expect(ok.status).to.equal(200);
      expect(ok.body.status).to.equal('exited');
      const last = ok.body.history[ok.body.history.length - 1];
      expect(last).to.include({ kind: 'transition', fromStatus: 'registered', toStatus: 'exited', date: '2029-03-10', reason: '再就业，收入稳定', evidence: '材料' });
    });

    it('the assessment must be within 90 days before the exit date', async () => {
      const h = track(await createHousehold(cy));
      await assess(cy, h.id, '2029-01-01', '5000.00', 1);
      const late = await transition(cy, h.id, 'exit', '2029-04-02'); // 91 days later
      expect(late.status).to.equal(422);
      expect(late.body.error.details.assessment).to.equal(null);
      expect((await transition(cy, h.id, 'exit', '2029-04-01')).status).to.equal(200); // 90 days
    });

    it('the latest assessment in the window decides', async () => {
      const h = track(await createHousehold(cy));
      await assess(cy, h.id, '2029-05-01', '5000.00', 1);
      await assess(cy, h.id, '2029-05-20', '1000.00', 1);
      const r = await transition(cy, h.id, 'exit', '2029-06-01');
      expect(r.status).to.equal(422);
      expect(r.body.error.details.assessment.date).to.equal('2029-05-20');
    });
  });

  describe('life cycle', () => {
    it('every invalid transition is 409 invalid_state and writes nothing', async () => {
      const expectInvalid = async (id: number, action: 'exit' | 'return' | 'archive', date: string) => {
        const before = await auditSeq();
        const r = await transition(cy, id, action, date);
        expect(r.status, `${action}`).to.equal(409);
        expect(errorCode(r)).to.equal('invalid_state');
        expect(await auditSeq()).to.equal(before);
      };
      // registered: return is invalid
      const h = track(await createHousehold(cy));
      await expectInvalid(h.id, 'return', '2029-07-01');
      // exited: exit again is invalid
      await assess(cy, h.id, '2029-07-01', '3000.00', 1);
      expect((await transition(cy, h.id, 'exit', '2029-07-02')).status).to.equal(200);
      await expectInvalid(h.id, 'exit', '2029-07-03');
      // returned: return again is invalid
      expect((await transition(cy, h.id, 'return', '2029-07-04', '再次失业')).status).to.equal(200);
      await expectInvalid(h.id, 'return', '2029-07-05');
      // archived: nothing is valid, and the file can no longer be changed
      expect((await transition(cy, h.id, 'archive', '2029-07-06', '户主去世')).status).to.equal(200);
      for (const action of ['exit', 'return', 'archive'] as const) await expectInvalid(h.id, action, '2029-07-07');
      const patch = await api('PATCH', `/households/${h.id}`, { token: cy, body: { notes: 'x' } });
      expect(patch.status).to.equal(409);
      expect(errorCode(patch)).to.equal('invalid_state');
      const assessArchived = await api('POST', `/households/${h.id}/assessments`, { token: cy, body: { date: '2029-07-08', monthlyIncome: '1.00', memberCount: 1 } });
      expect(assessArchived.status).to.equal(409);
      // assisted: return is invalid; exit is valid
      const a = track(await createHousehold(cy));
      await testService().ctx.db.transaction((trx) => markHouseholdAssisted(trx, 'test', a.id, '2029-07-01', 'first aid paid'));
      expect((await api('GET', `/households/${a.id}`, { token: cy })).body.status).to.equal('assisted');
      await expectInvalid(a.id, 'return', '2029-07-02');
      // a transition may not be dated before the last one
      await assess(cy, a.id, '2029-07-01', '3000.00', 1);
      const early = await transition(cy, a.id, 'exit', '2029-06-30');
      expect(early.status).to.equal(400);
      expect(r(early.body.error.details)).to.include('date');
      function r(d: any[]) {
        return d.map((x) => x.path);
      }
    });

    it('a returned household can exit again; its history keeps every transition', async () => {
      const h = track(await createHousehold(cy));
      await assess(cy, h.id, '2029-08-01', '3000.00', 1);
      await transition(cy, h.id, 'exit', '2029-08-02');
      await transition(cy, h.id, 'return', '2029-09-01', '重病');
      await assess(cy, h.id, '2029-10-01', '3000.00', 1);
      const again = await transition(cy, h.id, 'exit', '2029-10-02');
      expect(again.status).to.equal(200);
      const statuses = again.body.history.filter((e: any) => e.kind === 'transition').map((e: any) => `${e.fromStatus}>${e.toStatus}`);
      expect(statuses).to.deep.equal(['registered>exited', 'exited>returned', 'returned>exited']);
      const audit = await api('GET', `/audit?subject=household:${h.id}`, { token: auditor });
      expect(audit.body.items.map((i: any) => i.action)).to.include.members(['household.created', 'household.assessed', 'household.exited', 'household.returned']);
    });
  });

  describe('contract functions', () => {
    it('createApplicantHousehold, getHouseholdSummary, markHouseholdAssisted', async () => {
      const db = testService().ctx.db;
      const idNumber = newIdNumber();
      sentIds.push(idNumber);
      const actor = { id: cyUser.id, username: cyUser.username, displayName: 'x', roles: ['officer' as const], district: 'CY' };
      const id = await db.transaction((trx) => createApplicantHousehold(trx, actor, { headName: '赵小燕', idNumber, district: 'CY' }));
      expect(await getHouseholdSummary(db, id)).to.deep.equal({ id, headName: '赵小燕', district: 'CY', status: 'registered', category: 'accidental' });
      let dup: any;
      await db.transaction((trx) => createApplicantHousehold(trx, actor, { headName: '赵小燕', idNumber, district: 'CY' })).catch((e) => (dup = e));
      expect(dup.code).to.equal('duplicate_household');
      await db.transaction((trx) => markHouseholdAssisted(trx, 'aid', id, '2029-01-01', 'aid case paid'));
      await db.transaction((trx) => markHouseholdAssisted(trx, 'aid', id, '2029-02-01', 'second payment')); // no change
      const s = await getHouseholdSummary(db, id);
      expect(s!.status).to.equal('assisted');
      expect(await getHouseholdSummary(db, 99_999_999)).to.equal(undefined);
    });
  });

  describe('personal data at rest', () => {
  it('members’ health and work status are sealed at rest; a raw pg_dump of the whole database holds none of them', async function () {
    this.timeout(60_000);
    const tag = `${process.pid}${Date.now() % 100000}`;
    const secrets = { health: `尿毒症透析${tag}`, disability: `二级肢体残疾${tag}`, work: `外卖骑手收入${tag}`, later: `抑郁症复诊${tag}`, laterWork: `低保金${tag}` };
    const h = track(await createHousehold(cy, {
      members: [
        { name: '李秀兰', relation: 'spouse', age: 45, health: secrets.health, workStatus: secrets.work },
        { name: '王小明', relation: 'child', age: 12, health: secrets.disability },
      ],
    }));
    // Officers still read them; a PATCH of the members keeps only "changed" in the history and the audit log.
    const read = await api('GET', `/households/${h.id}`, { token: cy2 });
    expect(read.body.members).to.deep.equal([
      { name: '李秀兰', relation: 'spouse', age: 45, health: secrets.health, workStatus: secrets.work },
      { name: '王小明', relation: 'child', age: 12, health: secrets.disability },
    ]);
    const p = await api('PATCH', `/households/${h.id}`, { token: cy, body: { members: [{ name: '李秀兰', relation: 'spouse', age: 45, health: secrets.later, workStatus: secrets.laterWork }] } });
    expect(p.status, p.text).to.equal(200);
    expect(p.body.members[0]).to.include({ health: secrets.later, workStatus: secrets.laterWork });
    const last = p.body.history[p.body.history.length - 1];
    expect(last.changes).to.deep.include({ field: 'members', old: [{ name: '李秀兰', relation: 'spouse', age: 45 }, { name: '王小明', relation: 'child', age: 12 }], new: [{ name: '李秀兰', relation: 'spouse', age: 45 }], healthOrWorkChanged: true });
    // Same members again: nothing changed, nothing written.
    const seq = await auditSeq();
    expect((await api('PATCH', `/households/${h.id}`, { token: cy, body: { members: [{ relation: 'spouse', name: '李秀兰', workStatus: secrets.laterWork, health: secrets.later, age: 45 }] } })).status).to.equal(200);
    expect(await auditSeq()).to.equal(seq);

    const stored = await testService().ctx.db('households').where({ id: h.id }).first('members');
    expect(stored.members[0]).to.have.all.keys('name', 'relation', 'age', 'sealed');
    const { execFile } = await import('node:child_process');
    const dump = await new Promise<string>((resolve, reject) =>
      execFile('pg_dump', ['--no-owner', '--no-privileges', '--dbname', testService().ownerUrl], { maxBuffer: 512 * 1024 * 1024 }, (e, out) => (e ? reject(e) : resolve(out))),
    );
    expect(dump).to.include('COPY public.households'); // the dump is the real one
    expect(dump).to.include('李秀兰'); // names are not sealed: the dump does hold this file
    for (const [what, secret] of Object.entries(secrets)) expect(dump.includes(secret), `${what} in the dump`).to.equal(false);
    for (const id of sentIds) expect(dump.includes(id), 'an ID number in the dump').to.equal(false);
    for (const phone of sentPhones) expect(dump.includes(phone), 'a phone in the dump').to.equal(false);
  });


  it('the migration seals members written in clear before it (and the clear details in the file history)', async () => {
    const db = testService().ctx.db;
    const tag = `${process.pid}${Date.now() % 100000}`;
    const h = track(await createHousehold(cy));
    const clear = [{ age: 50, name: '张桂芬', health: `肝硬化${tag}`, relation: 'spouse', workStatus: `废品回收${tag}` }, { name: '张强', relation: 'child' }];
    // As the code before the migration wrote them: fields in clear, in the row and in an 'updated' history row.
    await db('households').where({ id: h.id }).update({ members: JSON.stringify(clear) });
    await db('household_events').insert({ household_id: h.id, kind: 'updated', actor: 'old', at: new Date(), changes: JSON.stringify([{ field: 'members', old: [], new: clear }]) });
    // Migrations run as the schema owner (the working role may not rewrite the history).
    const owner = createKnex(testService().ownerUrl, { min: 0, max: 1 });
    try {
      await owner.transaction((trx) => up(trx));
    } finally {
      await owner.destroy();
    }
    const row = await db.raw('SELECT h::text AS line FROM households h WHERE id = ?', [h.id]);
    const events = await db.raw('SELECT e::text AS line FROM household_events e WHERE household_id = ?', [h.id]);
    for (const text of [row.rows[0].line, ...events.rows.map((r: { line: string }) => r.line)]) {
      expect(text).not.to.include(`肝硬化${tag}`);
      expect(text).not.to.include(`废品回收${tag}`);
    }
    const read = await api('GET', `/households/${h.id}`, { token: cy });
    expect(read.body.members).to.deep.equal([{ name: '张桂芬', relation: 'spouse', age: 50, health: `肝硬化${tag}`, workStatus: `废品回收${tag}` }, { name: '张强', relation: 'child' }]);
    expect(read.body.history.find((e: any) => e.actor === 'old').changes[0]).to.deep.equal({ field: 'members', old: [], new: [{ name: '张桂芬', relation: 'spouse', age: 50 }, { name: '张强', relation: 'child' }], healthOrWorkRedacted: true });
    // Run again: nothing left to do, nothing changes.
    const before = (await db('households').where({ id: h.id }).first('members')).members;
    const again = createKnex(testService().ownerUrl, { min: 0, max: 1 });
    await again.transaction((trx) => up(trx)).finally(() => again.destroy());
    expect((await db('households').where({ id: h.id }).first('members')).members).to.deep.equal(before);
  });

  it('a dump of the households table shows no ID number or phone in clear', async () => {
    const { rows } = await testService().ctx.db.raw('SELECT h::text AS line FROM households h');
    const dump = rows.map((r: { line: string }) => r.line).join('\n');
    expect(sentIds.length).to.be.greaterThan(10);
    for (const id of sentIds) {
      expect(dump).not.to.contain(id);
      expect(dump).not.to.contain(id.slice(0, 17));
    }
    for (const p of sentPhones) expect(dump).not.to.contain(p);
    const audit = await testService().ctx.db.raw("SELECT a::text AS line FROM audit_log a WHERE subject LIKE 'household:%'");
    const auditDump = audit.rows.map((r: { line: string }) => r.line).join('\n');
    for (const id of sentIds) expect(auditDump).not.to.contain(id);
    for (const p of sentPhones) expect(auditDump).not.to.contain(p);
  });
});
});
