import { expect } from 'chai';
import { adminToken, api, auditSeq, errorCode, userToken } from '../support/api';
import { donate, fundTree, validIdNumber } from '../support/fixtures';
import { testService } from '../support/env';
import { addDays, shanghaiDate } from '../../src/platform/clock';
import { accrueLoanPenalties } from '../../src/loans';
import { verifyEverything } from '../../src/audit/verify';
import { Decimal } from '../../src/platform/money';

let seq = 0;
const uniq = (p: string) => `${p}${Date.now().toString(36).slice(-5)}${++seq}`.toUpperCase();

describe('start-up micro-loans (API, real PostgreSQL)', () => {
  const today = shanghaiDate();
  const year = Number(today.slice(0, 4));
  let admin: string, officer: string, officer2: string, approverCY: string, approverHD: string, foundation1: string, foundation2: string, finance: string;
  let product: string;

  /** A pilot unit of CY lending from a fresh fund holding `money` (donated `daysAgo` days ago). */
  async function pilotUnit(money: string, daysAgo = 400, quota = '1000000.00') {
    const { funds } = await fundTree(finance, ['CY']);
    if (money !== '0.00') await donate(finance, funds.CY!, money, addDays(today, -daysAgo));
    const code = uniq('PU');
    const r = await api('PUT', `/loans/programmes/${year}/pilot-units/${code}`, { token: admin, body: { nameZh: '朝阳区总工会', kind: 'district', district: 'CY', quota, fund: funds.CY } });
    expect(r.status, r.text).to.equal(200);
    return { code, fund: funds.CY! };
  }

  const borrowerName = '张创业';
  async function application(unit: string, amount: string, opts: { idNumber?: string; term?: number; date?: string } = {}) {
    const r = await api('POST', '/loans', {
      token: officer,
      body: {
        pilotUnit: unit, product, borrower: { name: borrowerName, idNumber: opts.idNumber ?? validIdNumber(), phone: '13912345678' },
        membership: { unionOrg: '某建工集团工会', memberNo: 'M-001' }, businessPlan: '开办社区早餐店，月营业额约三万元',
        guarantors: [{ name: '李担保', idNumber: validIdNumber(), relation: '同事' }], requestedAmount: amount, termMonths: opts.term ?? 12, date: opts.date,
      },
    });
    expect(r.status, r.text).to.equal(201);
    expect(r.body.status).to.equal('submitted');
    return r.body;
  }

  async function reviewed(unit: string, amount: string, date?: string) {
    const a = await application(unit, amount, { date });
    const rv = await api('POST', `/loans/${a.id}/review`, { token: officer2, body: { note: '材料齐全' } });
    expect(rv.status, rv.text).to.equal(200);
    return a.id as number;
  }

  /** Applied for, approved and disbursed on `date` (dated back: entered late), so a loan can be in arrears today. */
  async function disbursed(unit: string, amount: string, date: string) {
    const id = await reviewed(unit, amount, date);
    expect((await api('POST', `/loans/${id}/approve`, { token: approverCY, body: { approvedAmount: amount, date } })).body.status).to.equal('approved');
    const d = await api('POST', `/loans/${id}/disburse`, { token: finance, body: { date, paymentRef: `PAY-${id}` } });
    expect(d.status, d.text).to.equal(200);
    expect(d.body.status).to.equal('active');
    return id;
  }

  before(async () => {
    admin = await adminToken();
    [officer, officer2, approverCY, approverHD, foundation1, foundation2, finance] = await Promise.all([
      userToken(['officer'], 'CY').then((u) => u.token), userToken(['officer'], 'CY').then((u) => u.token),
      userToken(['approver'], 'CY').then((u) => u.token), userToken(['approver'], 'HD').then((u) => u.token),
      userToken(['approver']).then((u) => u.token), userToken(['approver']).then((u) => u.token), userToken(['finance']).then((u) => u.token),
    ]);
    const { funds } = await fundTree(finance, ['CY']);
    const p = await api('PUT', `/loans/programmes/${year}`, { token: admin, body: { fund: funds.CY } });
    expect(p.status, p.text).to.equal(200);
    expect(p.body.target).to.equal('10000000.00');
    product = uniq('P');
    const pr = await api('POST', '/loans/products', {
      token: admin,
      body: { code: product, nameZh: '职工创业贷', minAmount: '1000.00', maxAmount: '300000.00', termMonths: 36, annualRate: '12', subsidyPercent: '50', method: 'equal_instalment', graceMonths: 0, penaltyRate: '18.25' },
    });
    expect(pr.status, pr.text).to.equal(201);
  });

  it('refuses JSON numbers for money, bad ID numbers and unknown fields with 400, writing nothing', async () => {
    const { code } = await pilotUnit('0.00');
    const head = await auditSeq();
    const body = { pilotUnit: code, product, borrower: { name: '王五', idNumber: validIdNumber() }, membership: { unionOrg: '工会' }, businessPlan: '计划', termMonths: 12 };
    for (const bad of [{ ...body, requestedAmount: 5000 }, { ...body, requestedAmount: '5000.00', borrower: { name: '王五', idNumber: '110105199001011234' } }, { ...body, requestedAmount: '5000.00', extra: 1 }]) {
      const r = await api('POST', '/loans', { token: officer, body: bad });
      expect(r.status, r.text).to.equal(400);
      expect(errorCode(r)).to.equal('validation_failed');
    }
    const product2 = await api('POST', '/loans/products', { token: admin, body: { code: uniq('P'), nameZh: 'x', minAmount: '1.00', maxAmount: '2.00', termMonths: 12, annualRate: 12, subsidyPercent: '0', method: 'bullet', penaltyRate: '0' } });
    expect(product2.status).to.equal(400);
    expect(await auditSeq()).to.equal(head);
  });

  it('keeps ID numbers encrypted and shows them masked outside the district', async () => {
    const { code } = await pilotUnit('0.00');
    const idNumber = validIdNumber();
    const a = await application(code, '5000.00', { idNumber });
    expect(a.borrower.idNumber).to.equal(idNumber); // the district's officer sees it
    const auditor = (await userToken(['auditor'])).token;
    const seen = await api('GET', `/loans/${a.id}`, { token: auditor });
    expect(seen.body.borrower.idNumber).to.not.equal(idNumber);
    expect(seen.body.borrower.name).to.equal('张*业');
    expect(seen.text).to.not.include(idNumber);
    const { rows } = await testService().ctx.db.raw('SELECT id_number_enc, guarantors::text AS g FROM loans WHERE id = ?', [a.id]);
    expect(rows[0].id_number_enc).to.not.include(idNumber);
    expect(rows[0].g).to.not.include('李担保');
    expect((await api('GET', `/loans/${a.id}`, { token: (await userToken(['officer'], 'HD')).token })).status).to.equal(404);
    // One open loan per worker.
    const again = await api('POST', '/loans', { token: officer, body: { pilotUnit: code, product, borrower: { name: '张创业', idNumber }, membership: { unionOrg: '工会' }, businessPlan: '计划', requestedAmount: '5000.00', termMonths: 12 } });
    expect(again.status).to.equal(409);
    expect(errorCode(again)).to.equal('duplicate_loan');
  });

  it('applies maker-checker and the approval tiers; refuses with reasons', async () => {
    const { code } = await pilotUnit('0.00');
    const a = await application(code, '60000.00');
    const self = await api('POST', `/loans/${a.id}/review`, { token: officer, body: {} });
    expect(self.status).to.equal(403);
    expect(errorCode(self)).to.equal('maker_checker');
    expect((await api('POST', `/loans/${a.id}/review`, { token: officer2, body: {} })).body.status).to.equal('reviewed');
    // 60,000 is above LOAN_DISTRICT_LIMIT (50,000): a district approver may not, another district's never.
    const district = await api('POST', `/loans/${a.id}/approve`, { token: approverCY, body: { approvedAmount: '60000.00' } });
    expect(district.status).to.equal(403);
    expect(errorCode(district)).to.equal('tier');
    expect((await api('POST', `/loans/${a.id}/approve`, { token: approverHD, body: { approvedAmount: '40000.00' } })).status).to.equal(403);
    const above = await api('POST', `/loans/${a.id}/approve`, { token: foundation1, body: { approvedAmount: '70000.00' } });
    expect(errorCode(above)).to.equal('amount_exceeds_request');
    expect((await api('POST', `/loans/${a.id}/approve`, { token: foundation1, body: { approvedAmount: '60000.00' } })).body.status).to.equal('approved');

    // Above LOAN_FOUNDATION_LIMIT (200,000): two different foundation approvers confirming one amount.
    const big = await reviewed(code, '250000.00');
    const first = await api('POST', `/loans/${big}/approve`, { token: foundation1, body: { approvedAmount: '250000.00' } });
    expect(first.body.status).to.equal('reviewed');
    expect(errorCode(await api('POST', `/loans/${big}/approve`, { token: foundation1, body: { approvedAmount: '250000.00' } }))).to.equal('already_approved');
    expect(errorCode(await api('POST', `/loans/${big}/approve`, { token: foundation2, body: { approvedAmount: '240000.00' } }))).to.equal('amount_mismatch');
    expect((await api('POST', `/loans/${big}/approve`, { token: foundation2, body: { approvedAmount: '250000.00' } })).body.status).to.equal('approved');

    const no = await reviewed(code, '8000.00');
    const refused = await api('POST', `/loans/${no}/refuse`, { token: approverCY, body: { reasons: ['plan_not_viable', 'insufficient_guarantee'], note: '市场调研不足' } });
    expect(refused.status, refused.text).to.equal(200);
    expect(refused.body).to.include({ status: 'refused' });
    expect(refused.body.refusalReasons).to.deep.equal(['plan_not_viable', 'insufficient_guarantee']);
    expect(errorCode(await api('POST', `/loans/${no}/approve`, { token: approverCY, body: { approvedAmount: '8000.00' } }))).to.equal('invalid_state');
  });

  it('refuses a disbursement the fund cannot pay, writing nothing', async () => {
    const { code, fund } = await pilotUnit('1000.00');
    const id = await reviewed(code, '5000.00');
    await api('POST', `/loans/${id}/approve`, { token: approverCY, body: { approvedAmount: '5000.00' } });
    const head = await auditSeq();
    const r = await api('POST', `/loans/${id}/disburse`, { token: finance, body: { date: today, paymentRef: 'PAY-SHORT' }, headers: { 'Idempotency-Key': uniq('k') } });
    expect(r.status, r.text).to.equal(409);
    expect(errorCode(r)).to.equal('insufficient_funds');
    expect(await auditSeq()).to.equal(head);
    expect((await api('GET', `/loans/${id}`, { token: finance })).body.status).to.equal('approved');
    expect((await api('GET', `/funds/${fund}/balance`, { token: finance })).body.bank).to.equal('1000.00');
    const { rows } = await testService().ctx.db.raw('SELECT count(*)::int AS n FROM loan_instalments WHERE loan_id = ?', [id]);
    expect(rows[0].n).to.equal(0);
  });

  it('lives a whole life on a balanced ledger: disburse, schedule, penalty (once a day), repay, write-off by two approvers', async () => {
    const { code, fund } = await pilotUnit('100000.00');
    const start = addDays(today, -100); // about three instalments overdue today
    const id = await disbursed(code, '10000.00', start);
    // Idempotent: the same key replays, a new attempt is refused by the state.
    expect(errorCode(await api('POST', `/loans/${id}/disburse`, { token: finance, body: { date: start, paymentRef: 'AGAIN' } }))).to.equal('invalid_state');
    expect((await api('GET', `/funds/${fund}/balance`, { token: finance })).body.bank).to.equal('90000.00');

    const s = await api('GET', `/loans/${id}/schedule`, { token: officer });
    expect(s.status, s.text).to.equal(200);
    expect(s.body.instalments).to.have.length(12);
    expect(s.body.instalments[0]).to.include({ principal: '788.49', interest: '100.00', subsidy: '50.00', borrowerInterest: '50.00', total: '888.49' });
    const csv = await api('GET', `/loans/${id}/schedule.csv`, { token: officer });
    expect(csv.headers.get('content-type')).to.include('text/csv');
    expect(csv.text).to.include('788.49,100.00,50.00,50.00,888.49');

    // The daily job: run twice on one day, charged once.
    const overdue = s.body.instalments.filter((i: { dueDate: string }) => i.dueDate < today).reduce((t: Decimal, i: { outstanding: string }) => t.plus(i.outstanding), new Decimal(0));
    expect(overdue.gt(0)).to.equal(true);
    const expected = overdue.times('18.25').div(36500).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2);
    const db = testService().ctx.db;
    await Promise.all([accrueLoanPenalties(db, today), accrueLoanPenalties(db, today)]);
    await accrueLoanPenalties(db, today);
    const after = (await api('GET', `/loans/${id}`, { token: officer })).body;
    expect(after.penaltyAccrued).to.equal(expected);
    expect(after.daysPastDue).to.be.greaterThan(30);
    const arrears = await api('GET', '/loans/arrears?limit=500', { token: officer });
    const mine = arrears.body.items.find((i: { id: number }) => i.id === id);
    expect(mine).to.include({ bucket: after.bucket, daysPastDue: after.daysPastDue });

    // A partial repayment: penalty first, then interest of the due instalments, then principal.
    const rep = await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: '100.00', date: today, reference: 'BANK-1' }, headers: { 'Idempotency-Key': uniq('r') } });
    expect(rep.status, rep.text).to.equal(201);
    expect(rep.body.penalty).to.equal(expected);
    expect(rep.body.interest).to.equal(new Decimal('100.00').minus(expected).toFixed(2));
    expect(rep.body.principal).to.equal('0.00');
    // The fund's half of the interest is posted for each instalment whose borrower interest is now settled
    // (interest paid covers 50.00 of instalment 1 and 46.06 of instalment 2, not yet the 42.07 of the third).
    let paidI = new Decimal(rep.body.interest);
    let subsidy = new Decimal(0);
    for (const i of s.body.instalments as { borrowerInterest: string; subsidy: string; dueDate: string }[]) {
      if (i.dueDate >= today || paidI.lt(i.borrowerInterest)) break;
      paidI = paidI.minus(i.borrowerInterest);
      subsidy = subsidy.plus(i.subsidy);
    }
    expect(rep.body.subsidy).to.equal(subsidy.toFixed(2));
    const numberAmount = await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: 100, date: today } });
    expect(numberAmount.status).to.equal(400);
    const over = await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: '99999.00', date: today } });
    expect(errorCode(over)).to.equal('overpayment');

    // Write-off needs two different approvers.
    const w1 = await api('POST', `/loans/${id}/write-off`, { token: approverCY, body: { note: '借款人失联' } });
    expect(w1.body.status, w1.text).to.equal('active');
    expect(errorCode(await api('POST', `/loans/${id}/write-off`, { token: approverCY, body: { note: '再次' } }))).to.equal('already_approved');
    const w2 = await api('POST', `/loans/${id}/write-off`, { token: foundation1, body: { note: '同意核销' } });
    expect(w2.body.status, w2.text).to.equal('written_off');
    expect(w2.body.writtenOff).to.equal('10000.00');

    const tb = await api('GET', `/reports/trial-balance?fund=${fund}`, { token: finance });
    expect(tb.status, tb.text).to.equal(200);
    expect(tb.body.totals.debit).to.equal(tb.body.totals.credit);
    const row = (a: string) => tb.body.rows.filter((r: { account: string }) => r.account === a);
    expect(row('1122')).to.deep.equal([]); // nothing left receivable
    expect(row('1002')[0].debit).to.equal(new Decimal('90100.00').toFixed(2));
    expect(row('5201')[0].debit).to.equal('10000.00');
    expect(row('5101')[0].debit).to.equal(subsidy.toFixed(2));
    const v = await verifyEverything(db);
    expect(v.ledger.ok, JSON.stringify(v.ledger.firstBadEntry)).to.equal(true);
  });

  it('takes a repayment from a bank statement line: recorded, posted and matched in one step, the line used once', async () => {
    const { code, fund } = await pilotUnit('100000.00');
    const id = await disbursed(code, '5000.00', addDays(today, -40));
    const st = await api('POST', '/bank-statements', {
      token: finance,
      body: { fund, periodFrom: addDays(today, -2), periodTo: today, openingBalance: '0.00', closingBalance: '300.00', format: 'csv',
        content: `date,amount,description,reference\n${today},300.00,贷款还款 张创业,REPAY-${id}\n` },
    });
    expect(st.status, st.text).to.equal(201);
    const lineId = (await api('GET', `/bank-statements/${st.body.id}`, { token: finance })).body.lines.items[0].id as number;
    const seqBefore = await auditSeq();
    const r = await api('POST', `/loans/${id}/repayments/from-statement`, { token: finance, body: { statementLineId: lineId }, headers: { 'Idempotency-Key': uniq('s') } });
    expect(r.status, r.text).to.equal(201);
    expect(new Decimal(r.body.penalty).plus(r.body.interest).plus(r.body.principal).toFixed(2)).to.equal('300.00');
    const line = (await api('GET', `/bank-statements/${st.body.id}`, { token: finance })).body.lines.items[0];
    expect(line.matchId, 'the statement line is matched to the repayment’s bank line').to.be.a('number');
    expect(await auditSeq()).to.be.greaterThan(seqBefore);
    // The same line again, for this loan or another: refused, nothing written.
    const again = await api('POST', `/loans/${id}/repayments/from-statement`, { token: finance, body: { statementLineId: lineId } });
    expect(again.status).to.equal(409);
    expect(errorCode(again)).to.equal('already_matched');
    expect(errorCode(await api('POST', `/loans/${id}/repayments/from-statement`, { token: officer, body: { statementLineId: lineId } }))).to.equal('forbidden');
    expect((await api('POST', `/loans/${id}/repayments/from-statement`, { token: finance, body: { statementLineId: 2147483000 } })).status).to.equal(404);
  });

  it('restructures with two approvers: overdue interest capitalised, a new schedule, the ledger still balanced', async () => {
    const { code, fund } = await pilotUnit('100000.00');
    const id = await disbursed(code, '6000.00', addDays(today, -75));
    const before = (await api('GET', `/loans/${id}/schedule`, { token: officer })).body;
    const overdueInterest = before.instalments.filter((i: { dueDate: string }) => i.dueDate <= today).reduce((t: Decimal, i: { borrowerInterest: string }) => t.plus(i.borrowerInterest), new Decimal(0));
    const r1 = await api('POST', `/loans/${id}/restructure`, { token: approverCY, body: { termMonths: 24, note: '经营困难，延长期限' } });
    expect(r1.status, r1.text).to.equal(200);
    expect(errorCode(await api('POST', `/loans/${id}/restructure`, { token: foundation1, body: { termMonths: 18, note: '不同期限' } }))).to.equal('amount_mismatch');
    const r2 = await api('POST', `/loans/${id}/restructure`, { token: foundation1, body: { termMonths: 24, note: '同意' } });
    expect(r2.status, r2.text).to.equal(200);
    expect(r2.body.principalOutstanding).to.equal(new Decimal('6000.00').plus(overdueInterest).toFixed(2));
    const after = (await api('GET', `/loans/${id}/schedule`, { token: officer })).body;
    expect(after.version).to.equal(2);
    expect(after.instalments).to.have.length(24);
    expect(after.totals.principal).to.equal(r2.body.principalOutstanding);
    const tb = await api('GET', `/reports/trial-balance?fund=${fund}`, { token: finance });
    expect(tb.body.totals.debit).to.equal(tb.body.totals.credit);
    expect(tb.body.rows.find((r: { account: string }) => r.account === '1122').debit).to.equal(r2.body.principalOutstanding);
  });

  it('settles a loan paid off early and shows progress, PAR and the public totals without personal data', async () => {
    const { code } = await pilotUnit('100000.00');
    const id = await disbursed(code, '12000.00', addDays(today, -1));
    const po = await api('GET', `/loans/${id}/payoff?date=${today}`, { token: finance });
    expect(po.status, po.text).to.equal(200);
    // Nothing due yet: the current period (instalment 1 in full) and the rest of the principal.
    const rep = await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: po.body.amount, date: today } });
    expect(rep.status, rep.text).to.equal(201);
    expect(rep.body.settled).to.equal(true);
    expect(rep.body.principal).to.equal('12000.00');
    const l = (await api('GET', `/loans/${id}`, { token: finance })).body;
    expect(l.status).to.equal('closed');

    const progress = await api('GET', `/loans/programme/${year}/progress`, { token: finance });
    expect(progress.status, progress.text).to.equal(200);
    expect(progress.body.pilotUnits.find((u: { code: string }) => u.code === code).lent).to.equal('12000.00');
    expect(progress.body.portfolio.par30).to.match(/^\d\.\d{4}$/);
    const pub = await api('GET', `/public/loans/programme/${year}`);
    expect(pub.status).to.equal(200);
    expect(pub.body.target).to.equal('10000000.00');
    expect(pub.text).to.not.include(borrowerName);
    expect(pub.text).to.not.include('张*业');
    expect(pub.text).to.not.include(l.loanNo);
    expect(pub.text).to.not.match(/\d{17}[\dX]/);
    const log = await api('GET', '/public/log?limit=500');
    if (log.status === 200) expect(log.text).to.not.include(borrowerName);
  });
});
