import { expect } from 'chai';
import { adminToken, api, auditSeq, errorCode, userToken } from '../support/api';
import { donate, fundTree, fundWithMoney, household, validIdNumber } from '../support/fixtures';
import { testService } from '../support/env';
import { appWith } from '../support/second-app';
import { addDays, clock } from '../../src/platform/clock';

const today = () => new Date(clock.now().getTime() + 8 * 3600_000).toISOString().slice(0, 10);
/** Past the test NOTICE_PERIOD (PT2S) without sleeping. */
const endNotice = () => clock.advance(3_000);

describe('emergency aid workflow', () => {
  let officer: string, officer2: string, approverCY: string, foundation1: string, foundation2: string, finance: string, officerHD: string;
  let fund: string;
  let hh: number;

  before(async () => {
    [officer, officer2, approverCY, foundation1, foundation2, officerHD] = await Promise.all([
      userToken(['officer'], 'CY').then((u) => u.token),
      userToken(['officer'], 'CY').then((u) => u.token),
      userToken(['approver'], 'CY').then((u) => u.token),
      userToken(['approver']).then((u) => u.token),
      userToken(['approver']).then((u) => u.token),
      userToken(['officer'], 'HD').then((u) => u.token),
    ]);
    ({ fund, finance } = await fundWithMoney('100000.00'));
    hh = await household(officer, 'CY', '王建国');
  });

  /** draft → submitted → reviewed, by officer and officer2 */
  async function reviewedCase(amount: string, opts: { urgent?: boolean; householdId?: number; reason?: string } = {}) {
    const c = await api('POST', '/aid-cases', { token: officer, body: { householdId: opts.householdId ?? hh, fund, reason: opts.reason ?? 'illness', description: '住院治疗', requestedAmount: amount, urgent: opts.urgent ?? false } });
    expect(c.status, c.text).to.equal(201);
    expect(c.body.status).to.equal('draft');
    expect(c.body.caseNo).to.match(/^\d{4}-CY-\d{4}$/);
    const id = c.body.id;
    expect((await api('POST', `/aid-cases/${id}/submit`, { token: officer, body: {} })).body.status).to.equal('submitted');
    const rv = await api('POST', `/aid-cases/${id}/review`, { token: officer2, body: { recommendedAmount: amount, note: '属实' } });
    expect(rv.body.status, rv.text).to.equal('reviewed');
    return { id, caseNo: c.body.caseNo as string };
  }

  async function balance() {
    return (await api('GET', `/funds/${fund}/balance`, { token: finance })).body;
  }

  it('walks the happy path: approve opens the notice, payment only after it ends, the ledger and the household follow', async () => {
    const { id, caseNo } = await reviewedCase('1000.00');
    const ap = await api('POST', `/aid-cases/${id}/approve`, { token: approverCY, body: { approvedAmount: '1000.00', note: '同意' } });
    expect(ap.status, ap.text).to.equal(200);
    expect(ap.body.status).to.equal('in_notice');
    expect(ap.body.noticeEnd).to.be.a('string');

    const notices = await api('GET', '/public/notices?limit=500');
    const mine = notices.body.items.find((n: any) => n.caseNo === caseNo);
    expect(mine).to.include({ maskedName: '王*国', district: 'CY', reason: 'illness', approvedAmount: '1000.00' });
    expect(notices.text).not.to.include('王建国');

    const early = await api('POST', `/aid-cases/${id}/disburse`, { token: finance, body: { paymentRef: 'P-early', date: today() } });
    expect(early.status).to.equal(409);
    expect(errorCode(early)).to.equal('invalid_state');

    const before = await balance();
    endNotice();
    const paid = await api('POST', `/aid-cases/${id}/disburse`, { token: finance, body: { paymentRef: 'P-1', date: today() } });
    expect(paid.status, paid.text).to.equal(200);
    expect(paid.body.status).to.equal('paid');
    const after = await balance();
    expect(Number(before.bank) - Number(after.bank)).to.equal(1000);
    expect((await api('GET', `/households/${hh}`, { token: officer })).body.status).to.equal('assisted');

    const full = await api('GET', `/aid-cases/${id}`, { token: officer });
    expect(full.body.timeline.map((t: any) => t.action)).to.include.members(['created', 'submitted', 'reviewed', 'approved', 'payable', 'paid']);
    expect(full.body.householdAidThisYear).to.equal('1000.00');
    const disclosures = await api('GET', '/public/disclosures?limit=500');
    expect(disclosures.text).to.include(caseNo);
    expect(disclosures.text).not.to.include('王建国');
  });

  it('refuses every action in the wrong state with 409 invalid_state', async () => {
    const c = await api('POST', '/aid-cases', { token: officer, body: { householdId: hh, fund, reason: 'education', description: '', requestedAmount: '500.00', urgent: false } });
    const id = c.body.id;
    for (const [verb, body, who] of [
      ['approve', { approvedAmount: '500.00' }, approverCY],
      ['review', { recommendedAmount: '500.00' }, officer2],
      ['disburse', { paymentRef: 'X', date: today() }, finance],
    ] as const) {
      const r = await api('POST', `/aid-cases/${id}/${verb}`, { token: who, body });
      expect(r.status, `${verb} on draft`).to.equal(409);
      expect(errorCode(r)).to.equal('invalid_state');
    }
    await api('POST', `/aid-cases/${id}/submit`, { token: officer, body: {} });
    expect((await api('POST', `/aid-cases/${id}/submit`, { token: officer, body: {} })).status).to.equal(409);
    expect((await api('POST', `/aid-cases/${id}/withdraw`, { token: officer, body: {} })).body.status).to.equal('withdrawn');
    expect((await api('POST', `/aid-cases/${id}/submit`, { token: officer, body: {} })).status).to.equal(409);
    const { id: approved } = await reviewedCase('300.00');
    await api('POST', `/aid-cases/${approved}/approve`, { token: approverCY, body: { approvedAmount: '300.00' } });
    expect((await api('POST', `/aid-cases/${approved}/withdraw`, { token: officer, body: {} })).status).to.equal(409);
    expect((await api('POST', `/aid-cases/${approved}/reject`, { token: approverCY, body: { note: 'x' } })).status).to.equal(409);
  });

  it('maker-checker: the creator cannot review; the creator or reviewer can never approve', async () => {
    const c = await api('POST', '/aid-cases', { token: officer, body: { householdId: hh, fund, reason: 'illness', description: 'x', requestedAmount: '800.00', urgent: false } });
    await api('POST', `/aid-cases/${c.body.id}/submit`, { token: officer, body: {} });
    const self = await api('POST', `/aid-cases/${c.body.id}/review`, { token: officer, body: { recommendedAmount: '800.00' } });
    expect(self.status).to.equal(403);
    expect(errorCode(self)).to.equal('maker_checker');
    // the reviewer is an approver: it may review but then never approve
    const rv = await api('POST', `/aid-cases/${c.body.id}/review`, { token: approverCY, body: { recommendedAmount: '800.00' } });
    expect(rv.body.status).to.equal('reviewed');
    const ap = await api('POST', `/aid-cases/${c.body.id}/approve`, { token: approverCY, body: { approvedAmount: '800.00' } });
    expect(ap.status).to.equal(403);
    expect(errorCode(ap)).to.equal('maker_checker');

    // a user who is both officer and approver creates a case: they can never approve it
    const both = (await userToken(['officer', 'approver'], 'CY')).token;
    const c2 = await api('POST', '/aid-cases', { token: both, body: { householdId: hh, fund, reason: 'illness', description: 'x', requestedAmount: '800.00', urgent: false } });
    await api('POST', `/aid-cases/${c2.body.id}/submit`, { token: both, body: {} });
    await api('POST', `/aid-cases/${c2.body.id}/review`, { token: officer2, body: { recommendedAmount: '800.00' } });
    const ap2 = await api('POST', `/aid-cases/${c2.body.id}/approve`, { token: both, body: { approvedAmount: '800.00' } });
    expect(ap2.status).to.equal(403);
    expect(errorCode(ap2)).to.equal('maker_checker');
  });

  it('tiers: a district approver only up to 5,000; above 20,000 two distinct foundation approvers', async () => {
    const { id: mid } = await reviewedCase('8000.00');
    const district = await api('POST', `/aid-cases/${mid}/approve`, { token: approverCY, body: { approvedAmount: '8000.00' } });
    expect(district.status).to.equal(403);
    expect((await api('POST', `/aid-cases/${mid}/approve`, { token: foundation1, body: { approvedAmount: '8000.00' } })).body.status).to.equal('in_notice');

    const { id: big } = await reviewedCase('30000.00');
    const first = await api('POST', `/aid-cases/${big}/approve`, { token: foundation1, body: { approvedAmount: '30000.00' } });
    expect(first.status).to.equal(200);
    expect(first.body.status).to.equal('reviewed');
    expect(first.body.approvals).to.have.length(1);
    const again = await api('POST', `/aid-cases/${big}/approve`, { token: foundation1, body: { approvedAmount: '30000.00' } });
    expect(again.status).to.equal(409);
    expect(errorCode(again)).to.equal('already_approved');
    const other = await api('POST', `/aid-cases/${big}/approve`, { token: foundation2, body: { approvedAmount: '29999.00' } });
    expect(other.status).to.equal(422);
    expect(errorCode(other)).to.equal('amount_mismatch');
    expect(other.body.error.details).to.deep.equal({ firstApprovedAmount: '30000.00' });
    const second = await api('POST', `/aid-cases/${big}/approve`, { token: foundation2, body: { approvedAmount: '30000.00' } });
    expect(second.body.status).to.equal('in_notice');
    expect(second.body.approvals).to.have.length(2);
  });

  it('an upheld objection cancels the case and it never becomes payable', async () => {
    const { id, caseNo } = await reviewedCase('600.00');
    await api('POST', `/aid-cases/${id}/approve`, { token: approverCY, body: { approvedAmount: '600.00' } });
    const o = await api('POST', `/public/notices/${caseNo}/objections`, { body: { text: '<b>该户</b>情况不属实 <script>x</script>', contact: '13800000000' } });
    expect(o.status, o.text).to.equal(201);
    const full = await api('GET', `/aid-cases/${id}`, { token: approverCY });
    expect(full.body.objections[0].text).not.to.match(/<|>/);
    // approverCY approved the case, so another approver judges the objection (maker-checker).
    const res = await api('POST', `/aid-cases/${id}/objections/${o.body.id}/resolve`, { token: foundation1, body: { outcome: 'upheld', note: '核实不属实' } });
    expect(res.body.status).to.equal('cancelled');
    endNotice();
    const pay = await api('POST', `/aid-cases/${id}/disburse`, { token: finance, body: { paymentRef: 'P-x', date: today() } });
    expect(pay.status).to.equal(409);
    expect((await api('GET', `/aid-cases/${id}`, { token: finance })).body.status).to.equal('cancelled');
  });

  it('an open objection holds the case after the notice ends; dismissing it makes the case payable', async () => {
    const { id, caseNo } = await reviewedCase('700.00');
    await api('POST', `/aid-cases/${id}/approve`, { token: approverCY, body: { approvedAmount: '700.00' } });
    const o = await api('POST', `/public/notices/${caseNo}/objections`, { body: { text: '有异议' } });
    endNotice();
    expect((await api('POST', `/aid-cases/${id}/disburse`, { token: finance, body: { paymentRef: 'P-y', date: today() } })).status).to.equal(409);
    const res = await api('POST', `/aid-cases/${id}/objections/${o.body.id}/resolve`, { token: foundation1, body: { outcome: 'dismissed', note: '经核实符合条件' } });
    expect(res.body.status).to.equal('payable');
    expect((await api('POST', `/aid-cases/${id}/objections/${o.body.id}/resolve`, { token: foundation2, body: { outcome: 'upheld', note: 'again' } })).status).to.equal(409);
  });

  async function waitForStatus(id: number, want: string) {
    let status = '';
    for (let i = 0; i < 50 && status !== want; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await api('GET', `/aid-cases/${id}`, { token: finance })).body.status;
    }
    return status;
  }

  it('the sweep makes cases payable when their notice ends', async () => {
    const { id } = await reviewedCase('100.00');
    await api('POST', `/aid-cases/${id}/approve`, { token: approverCY, body: { approvedAmount: '100.00' } });
    endNotice();
    expect(await waitForStatus(id, 'payable')).to.equal('payable');
  });

  it('concurrent double disbursement pays once', async () => {
    const { id } = await reviewedCase('900.00');
    await api('POST', `/aid-cases/${id}/approve`, { token: approverCY, body: { approvedAmount: '900.00' } });
    endNotice();
    const before = await balance();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => api('POST', `/aid-cases/${id}/disburse`, { token: finance, body: { paymentRef: `P-c${i}`, date: today() } })));
    expect(results.filter((r) => r.status === 200)).to.have.length(1);
    expect(results.filter((r) => r.status === 409)).to.have.length(7);
    expect(Number(before.bank) - Number((await balance()).bank)).to.equal(900);
  });

  it('a retried disbursement with the same idempotency key replays the first answer', async () => {
    const { id } = await reviewedCase('50.00');
    await api('POST', `/aid-cases/${id}/approve`, { token: approverCY, body: { approvedAmount: '50.00' } });
    endNotice();
    const key = `disb-${id}`;
    const a = await api('POST', `/aid-cases/${id}/disburse`, { token: finance, body: { paymentRef: 'P-i', date: today() }, headers: { 'idempotency-key': key } });
    const b = await api('POST', `/aid-cases/${id}/disburse`, { token: finance, body: { paymentRef: 'P-i', date: today() }, headers: { 'idempotency-key': key } });
    expect(a.status).to.equal(200);
    expect(b.status).to.equal(200);
    expect(b.body).to.deep.equal(a.body);
    const c = await api('POST', `/aid-cases/${id}/disburse`, { token: finance, body: { paymentRef: 'P-other', date: today() }, headers: { 'idempotency-key': key } });
    expect(c.status).to.equal(409);
    expect(errorCode(c)).to.equal('idempotency_conflict');
  });

  it('insufficient funds: 409 and nothing written', async () => {
    const poor = await fundWithMoney('100.00');
    const c = await api('POST', '/aid-cases', { token: officer, body: { householdId: hh, fund: poor.fund, reason: 'hardship', description: 'x', requestedAmount: '500.00', urgent: false } });
    await api('POST', `/aid-cases/${c.body.id}/submit`, { token: officer, body: {} });
    await api('POST', `/aid-cases/${c.body.id}/review`, { token: officer2, body: { recommendedAmount: '500.00' } });
    await api('POST', `/aid-cases/${c.body.id}/approve`, { token: approverCY, body: { approvedAmount: '500.00' } });
    endNotice();
    await waitForStatus(c.body.id, 'payable'); // the sweep's own audit row must not race the seq check below
    const seq = await auditSeq();
    const r = await api('POST', `/aid-cases/${c.body.id}/disburse`, { token: finance, body: { paymentRef: 'P-poor', date: today() } });
    expect(r.status).to.equal(409);
    expect(errorCode(r)).to.equal('insufficient_funds');
    expect(await auditSeq()).to.equal(seq);
    expect((await api('GET', `/funds/${poor.fund}/balance`, { token: finance })).body.bank).to.equal('100.00');
    expect((await api('GET', `/aid-cases/${c.body.id}`, { token: finance })).body.status).to.equal('payable');
  });

  it('a payment dated after today: 422 future_date, nothing written, the case stays payable', async () => {
    const { id } = await reviewedCase('60.00');
    await api('POST', `/aid-cases/${id}/approve`, { token: approverCY, body: { approvedAmount: '60.00' } });
    endNotice();
    await waitForStatus(id, 'payable');
    const seq = await auditSeq();
    const before = await balance();
    const r = await api('POST', `/aid-cases/${id}/disburse`, { token: finance, body: { paymentRef: 'P-future', date: addDays(today(), 1) } });
    expect(r.status, r.text).to.equal(422);
    expect(errorCode(r)).to.equal('future_date');
    expect(await auditSeq()).to.equal(seq);
    expect(await balance()).to.deep.equal(before);
    expect((await api('GET', `/aid-cases/${id}`, { token: finance })).body.status).to.equal('payable');
  });

  it('urgent path: a foundation approver makes it payable at once; the notice runs after payment; an upheld objection opens a recovery note', async () => {
    const { id, caseNo } = await reviewedCase('2000.00', { urgent: true, reason: 'disaster' });
    const ap = await api('POST', `/aid-cases/${id}/approve`, { token: foundation1, body: { approvedAmount: '2000.00' } });
    expect(ap.body.status).to.equal('payable');
    const paid = await api('POST', `/aid-cases/${id}/disburse`, { token: finance, body: { paymentRef: 'P-urgent', date: today() } });
    expect(paid.body.status).to.equal('paid');
    expect(paid.body.paidBeforeNotice).to.equal(true);
    const notice = (await api('GET', '/public/notices?limit=500')).body.items.find((n: any) => n.caseNo === caseNo);
    expect(notice).to.include({ paidBeforeNotice: true, status: 'paid' });
    const o = await api('POST', `/public/notices/${caseNo}/objections`, { body: { text: '重复申领' } });
    const res = await api('POST', `/aid-cases/${id}/objections/${o.body.id}/resolve`, { token: foundation2, body: { outcome: 'upheld', note: '追回款项' } });
    expect(res.body.status).to.equal('paid');
    expect(res.body.recoveryNote).to.equal('追回款项');
  });

  it('validates input: amounts as strings, reasons, objection length, unknown case', async () => {
    const bad = [
      { householdId: hh, fund, reason: 'illness', description: 'x', requestedAmount: 100, urgent: false },
      { householdId: hh, fund, reason: 'illness', description: 'x', requestedAmount: '100.001', urgent: false },
      { householdId: hh, fund, reason: 'gambling', description: 'x', requestedAmount: '100.00', urgent: false },
      { householdId: hh, fund: 'NO-SUCH', reason: 'illness', description: 'x', requestedAmount: '100.00', urgent: false },
      { fund, reason: 'illness', description: 'x', requestedAmount: '100.00' },
    ];
    for (const body of bad) {
      const r = await api('POST', '/aid-cases', { token: officer, body });
      expect(r.status, JSON.stringify(body)).to.equal(400);
      errorCode(r);
    }
    const long = await api('POST', '/public/notices/2026-CY-0001/objections', { body: { text: 'x'.repeat(2001) } });
    expect(long.status).to.equal(400);
    const none = await api('POST', '/public/notices/2099-CY-9999/objections', { body: { text: '异议' } });
    expect(none.status).to.equal(404);
  });

  it('district scope: another district’s officer can neither see nor act on a case', async () => {
    const c = await api('POST', '/aid-cases', { token: officer, body: { householdId: hh, fund, reason: 'illness', description: 'x', requestedAmount: '100.00', urgent: false } });
    expect((await api('GET', `/aid-cases/${c.body.id}`, { token: officerHD })).status).to.equal(404);
    expect((await api('POST', `/aid-cases/${c.body.id}/submit`, { token: officerHD, body: {} })).status).to.equal(403);
    const list = await api('GET', '/aid-cases?limit=500', { token: officerHD });
    expect(list.body.items.every((i: any) => i.district === 'HD')).to.equal(true);
    const other = await household(officerHD, 'HD', '赵六');
    expect((await api('POST', '/aid-cases', { token: officer, body: { householdId: other, fund, reason: 'illness', description: 'x', requestedAmount: '100.00', urgent: false } })).status).to.equal(403);
  });

  it('a new applicant without a file gets a minimal accidental household file', async () => {
    const { validIdNumber } = await import('../support/fixtures');
    const r = await api('POST', '/aid-cases', { token: officer, body: { applicant: { headName: '钱多多', idNumber: validIdNumber() }, fund, reason: 'accident', description: '突发事故', requestedAmount: '300.00', urgent: true } });
    expect(r.status, r.text).to.equal(201);
    const h = await api('GET', `/households/${r.body.householdId}`, { token: officer });
    expect(h.body.category).to.equal('accidental');
  });

  it('the public log tells each case’s story without a personal detail', async () => {
    const texts: string[] = [];
    let after = 0;
    for (;;) {
      const page = await api('GET', `/public/log?after=${after}&limit=500`);
      texts.push(page.text);
      if (!page.body.nextCursor) break;
      after = Number(page.body.nextCursor);
    }
    const all = texts.join('\n');
    expect(all).to.include('aid.paid');
    for (const secret of ['王建国', '李秀兰', '13912345678', '钱多多', '13800000000']) expect(all, secret).not.to.include(secret);
    expect(all).not.to.match(/\b\d{17}[\dX]\b/);
  });

  it('rate-limits public objections per client', async () => {
    const { id, caseNo } = await reviewedCase('10.00');
    await api('POST', `/aid-cases/${id}/approve`, { token: approverCY, body: { approvedAmount: '10.00' } });
    const s = await appWith({ objectionRateLimit: 3 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await fetch(`${s.url}/public/notices/${caseNo}/objections`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `异议 ${i}` }) });
        statuses.push(r.status);
      }
      expect(statuses).to.deep.equal([201, 201, 201, 429, 429]);
    } finally {
      s.close();
    }
  });
  describe('separation of duties (issue 12)', () => {
    it('maker-checker for objections: the creator, the reviewer and the approver are refused; another approver resolves', async () => {
      const both = (await userToken(['officer', 'approver'], 'CY')).token; // creator who is also an approver
      const c = await api('POST', '/aid-cases', { token: both, body: { householdId: hh, fund, reason: 'illness', description: 'x', requestedAmount: '600.00', urgent: false } });
      expect(c.status, c.text).to.equal(201);
      const id = c.body.id;
      await api('POST', `/aid-cases/${id}/submit`, { token: both, body: {} });
      expect((await api('POST', `/aid-cases/${id}/review`, { token: approverCY, body: { recommendedAmount: '600.00' } })).body.status).to.equal('reviewed');
      expect((await api('POST', `/aid-cases/${id}/approve`, { token: foundation1, body: { approvedAmount: '600.00' } })).body.status).to.equal('in_notice');
      const o = await api('POST', `/public/notices/${c.body.caseNo}/objections`, { body: { text: '请核实' } });
      expect(o.status, o.text).to.equal(201);
      const seq = await auditSeq();
      for (const [who, token] of [['creator', both], ['reviewer', approverCY], ['approver', foundation1]] as const) {
        const r = await api('POST', `/aid-cases/${id}/objections/${o.body.id}/resolve`, { token, body: { outcome: 'dismissed', note: '不成立' } });
        expect(r.status, `${who}: ${r.text}`).to.equal(403);
        expect(errorCode(r), who).to.equal('maker_checker');
      }
      expect(await auditSeq()).to.equal(seq);
      const open = await api('GET', `/aid-cases/${id}`, { token: foundation2 });
      expect(open.body.objections[0].status).to.equal('open');
      const ok = await api('POST', `/aid-cases/${id}/objections/${o.body.id}/resolve`, { token: foundation2, body: { outcome: 'dismissed', note: '不成立' } });
      expect(ok.status, ok.text).to.equal(200);
      expect(ok.body.objections[0].status).to.equal('dismissed');
    });

    it('both approvers of a two-approver case are refused on its objections too', async () => {
      const { id, caseNo } = await reviewedCase('30000.00');
      await api('POST', `/aid-cases/${id}/approve`, { token: foundation1, body: { approvedAmount: '30000.00' } });
      expect((await api('POST', `/aid-cases/${id}/approve`, { token: foundation2, body: { approvedAmount: '30000.00' } })).body.status).to.equal('in_notice');
      const o = await api('POST', `/public/notices/${caseNo}/objections`, { body: { text: '请核实' } });
      for (const token of [foundation1, foundation2]) {
        const r = await api('POST', `/aid-cases/${id}/objections/${o.body.id}/resolve`, { token, body: { outcome: 'upheld', note: 'x' } });
        expect(r.status).to.equal(403);
        expect(errorCode(r)).to.equal('maker_checker');
      }
      const third = (await userToken(['approver'])).token;
      expect((await api('POST', `/aid-cases/${id}/objections/${o.body.id}/resolve`, { token: third, body: { outcome: 'upheld', note: '属实' } })).body.status).to.equal('cancelled');
    });
  });

  describe('the fund belongs to the district (issue 12)', () => {
    let tree: { root: string; funds: Record<string, string> };
    let treeFinance: string;
    let approverHD: string;
    const caseCount = async () => Number((await testService().ctx.db('aid_cases').count<{ n: string }[]>('* as n'))[0]!.n);

    before(async () => {
      treeFinance = (await userToken(['finance'])).token;
      tree = await fundTree(treeFinance, ['CY', 'HD']);
      for (const f of [tree.root, tree.funds.CY!, tree.funds.HD!]) await donate(treeFinance, f, '50000.00', today());
      approverHD = (await userToken(['approver'], 'HD')).token;
    });

    const open = (fundCode: string, token = officer, householdId = hh) =>
      api('POST', '/aid-cases', { token, body: { householdId, fund: fundCode, reason: 'illness', description: 'x', requestedAmount: '500.00', urgent: false } });

    it('officer.cy opening a case on the HD district fund: 422 fund_out_of_scope, nothing written', async () => {
      const [seq, n] = [await auditSeq(), await caseCount()];
      const r = await open(tree.funds.HD!);
      expect(r.status, r.text).to.equal(422);
      expect(errorCode(r)).to.equal('fund_out_of_scope');
      expect(r.body.error.details).to.include({ fund: tree.funds.HD, fundDistrict: 'HD', caseDistrict: 'CY' });
      // a new applicant on the wrong fund: no case and no household file either
      const idNumber = validIdNumber();
      const a = await api('POST', '/aid-cases', { token: officer, body: { applicant: { headName: '孙立', idNumber }, fund: tree.funds.HD, reason: 'accident', description: 'x', requestedAmount: '300.00', urgent: true } });
      expect(a.status).to.equal(422);
      expect(errorCode(a)).to.equal('fund_out_of_scope');
      expect(await auditSeq()).to.equal(seq);
      expect(await caseCount()).to.equal(n);
      expect((await api('GET', `/households?q=${idNumber}`, { token: officer })).body.items).to.deep.equal([]);
      // an admin opening the same case is refused the same way
      expect(errorCode(await open(tree.funds.HD!, await adminToken()))).to.equal('fund_out_of_scope');
    });

    it('the own district fund, a fund under it and a foundation-level fund are allowed; an enterprise fund outside the district is not', async () => {
      const post = async (body: Record<string, unknown>) => {
        const r = await api('POST', '/funds', { token: treeFinance, body: { nameZh: '工会专项', nameEn: 'Union fund', restricted: true, ...body } });
        expect(r.status, r.text).to.equal(201);
        return body.code as string;
      };
      const underCY = await post({ code: `${tree.funds.CY}-E`, kind: 'enterprise_group', parentCode: tree.funds.CY });
      const underHD = await post({ code: `${tree.funds.HD}-E`, kind: 'institution', parentCode: tree.funds.HD });
      const underRoot = await post({ code: `${tree.root}-E`, kind: 'enterprise_group', parentCode: tree.root });
      for (const f of [tree.funds.CY!, underCY, tree.root]) expect((await open(f)).status, f).to.equal(201);
      for (const f of [underHD, underRoot]) {
        const r = await open(f);
        expect(r.status, f).to.equal(422);
        expect(errorCode(r)).to.equal('fund_out_of_scope');
      }
    });

    async function reviewedOn(fundCode: string, amount = '500.00') {
      const c = await open(fundCode);
      expect(c.status, c.text).to.equal(201);
      await api('POST', `/aid-cases/${c.body.id}/submit`, { token: officer, body: {} });
      await api('POST', `/aid-cases/${c.body.id}/review`, { token: officer2, body: { recommendedAmount: amount } });
      return c.body.id as number;
    }

    it('a district approver approves only cases of their district drawing on a fund of their district', async () => {
      const onFoundation = await reviewedOn(tree.root);
      const seq = await auditSeq();
      const r = await api('POST', `/aid-cases/${onFoundation}/approve`, { token: approverCY, body: { approvedAmount: '500.00' } });
      expect(r.status, r.text).to.equal(403);
      errorCode(r);
      const hdOnCase = await api('POST', `/aid-cases/${onFoundation}/approve`, { token: approverHD, body: { approvedAmount: '500.00' } });
      expect(hdOnCase.status).to.be.oneOf([403, 404]);
      expect((await api('GET', `/aid-cases/${onFoundation}`, { token: approverHD })).status).to.equal(404);
      expect(await auditSeq()).to.equal(seq);
      expect((await api('POST', `/aid-cases/${onFoundation}/approve`, { token: foundation1, body: { approvedAmount: '500.00' } })).body.status).to.equal('in_notice');
      const onDistrict = await reviewedOn(tree.funds.CY!);
      expect((await api('POST', `/aid-cases/${onDistrict}/approve`, { token: approverCY, body: { approvedAmount: '500.00' } })).body.status).to.equal('in_notice');
    });

    it('a case made before the rule on another district’s fund is refused at approval and at disbursement', async () => {
      const db = testService().ctx.db;
      const atApproval = await reviewedOn(tree.funds.CY!);
      await db('aid_cases').where({ id: atApproval }).update({ fund: tree.funds.HD }); // as an old case would be
      for (const token of [approverCY, foundation1]) {
        const r = await api('POST', `/aid-cases/${atApproval}/approve`, { token, body: { approvedAmount: '500.00' } });
        expect(r.status).to.equal(422);
        expect(errorCode(r)).to.equal('fund_out_of_scope');
      }
      const atPayment = await reviewedOn(tree.funds.CY!);
      await api('POST', `/aid-cases/${atPayment}/approve`, { token: approverCY, body: { approvedAmount: '500.00' } });
      endNotice();
      await db('aid_cases').where({ id: atPayment }).update({ fund: tree.funds.HD });
      const before = (await api('GET', `/funds/${tree.funds.HD}/balance`, { token: treeFinance })).body.bank;
      const r = await api('POST', `/aid-cases/${atPayment}/disburse`, { token: treeFinance, body: { paymentRef: 'P-scope', date: today() } });
      expect(r.status, r.text).to.equal(422);
      expect(errorCode(r)).to.equal('fund_out_of_scope');
      expect((await api('GET', `/funds/${tree.funds.HD}/balance`, { token: treeFinance })).body.bank).to.equal(before);
      expect((await api('GET', `/aid-cases/${atPayment}`, { token: treeFinance })).body.status).to.be.oneOf(['in_notice', 'payable']);
    });
  });
});
