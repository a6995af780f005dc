import { expect } from 'chai';
import crypto from 'node:crypto';
import { adminToken, api, errorCode, userToken } from '../support/api';
import { donate, fundTree, validIdNumber } from '../support/fixtures';
import { addDays, shanghaiDate } from '../../src/platform/clock';
import { formatAmount } from '../../reports/kit';
import { getBytes, isPdf, pdfText, squash } from './support';

let seq = 0;
const uniq = (p: string) => `${p}${Date.now().toString(36).slice(-5)}${++seq}`.toUpperCase();
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const pct = (ratio: string) => `${(Number(ratio) * 100).toFixed(2)}%`;

describe('start-up loan PDFs: the borrower’s statement and the programme report', function () {
  this.timeout(120_000);
  const today = shanghaiDate();
  const year = Number(today.slice(0, 4));
  // About three instalments overdue today (kept inside the year, so the month table holds it).
  const start = addDays(today, -100) >= `${year}-01-01` ? addDays(today, -100) : `${year}-01-01`;
  const borrower = { name: '欧阳创业者', idNumber: validIdNumber(), phone: '13912345678' };
  const guarantor = { name: '司马担保人', idNumber: validIdNumber(), relation: '同事' };
  let admin: string, officer: string, officerHD: string, approver: string, finance: string, auditor: string;
  let loanId: number, loanNo: string, unitName: string;

  before(async () => {
    admin = await adminToken();
    const users = await Promise.all([
      userToken(['officer'], 'CY'), userToken(['officer'], 'CY'), userToken(['officer'], 'HD'), userToken(['approver'], 'CY'), userToken(['finance']), userToken(['auditor']),
    ]);
    officer = users[0].token;
    const reviewer = users[1].token;
    [officerHD, approver, finance, auditor] = [users[2].token, users[3].token, users[4].token, users[5].token];
    const { funds } = await fundTree(finance, ['CY']);
    await donate(finance, funds.CY!, '200000.00', addDays(today, -400));
    const p = await api('PUT', `/loans/programmes/${year}`, { token: admin, body: { fund: funds.CY } });
    expect(p.status, p.text).to.equal(200);
    const unit = uniq('PR');
    unitName = `朝阳区总工会试点${unit.slice(-4)}`;
    const u = await api('PUT', `/loans/programmes/${year}/pilot-units/${unit}`, { token: admin, body: { nameZh: unitName, kind: 'district', district: 'CY', quota: '500000.00', fund: funds.CY } });
    expect(u.status, u.text).to.equal(200);
    const product = uniq('RP');
    const pr = await api('POST', '/loans/products', {
      token: admin,
      body: { code: product, nameZh: '职工创业贷', minAmount: '1000.00', maxAmount: '100000.00', termMonths: 24, annualRate: '12', subsidyPercent: '50', method: 'equal_instalment', graceMonths: 0, penaltyRate: '18.25' },
    });
    expect(pr.status, pr.text).to.equal(201);
    const a = await api('POST', '/loans', {
      token: officer,
      body: {
        pilotUnit: unit, product, borrower, membership: { unionOrg: '某建工集团工会' }, businessPlan: '开办社区早餐店',
        guarantors: [guarantor], requestedAmount: '10000.00', termMonths: 12, date: start,
      },
    });
    expect(a.status, a.text).to.equal(201);
    loanId = a.body.id;
    loanNo = a.body.loanNo;
    expect((await api('POST', `/loans/${loanId}/review`, { token: reviewer, body: {} })).status).to.equal(200);
    expect((await api('POST', `/loans/${loanId}/approve`, { token: approver, body: { approvedAmount: '10000.00', date: start } })).body.status).to.equal('approved');
    const d = await api('POST', `/loans/${loanId}/disburse`, { token: finance, body: { date: start, paymentRef: 'PAY-RPT' }, headers: { 'Idempotency-Key': uniq('d') } });
    expect(d.status, d.text).to.equal(200);
    const rep = await api('POST', `/loans/${loanId}/repayments`, { token: finance, body: { amount: '888.49', date: addDays(start, 31), reference: 'BANK-RPT' }, headers: { 'Idempotency-Key': uniq('r') } });
    expect(rep.status, rep.text).to.equal(201);
  });

  it('makes the statement with the schedule, repayments, arrears and balance; the borrower masked; its hash verifies', async () => {
    const r = await getBytes(`/reports/loan-statement.pdf?loan=${loanId}`, officer);
    expect(r.status, r.text.slice(0, 300)).to.equal(200);
    expect(isPdf(r.buf)).to.equal(true);
    const { text } = await pdfText(r.buf);
    const flat = squash(text);
    const loan = (await api('GET', `/loans/${loanId}`, { token: officer })).body;
    const schedule = (await api('GET', `/loans/${loanId}/schedule`, { token: officer })).body;
    expect(flat).to.include(loanNo);
    expect(flat).to.include('创业贷款对账单');
    expect(flat).to.include('欧***者'); // masked as every report masks
    expect(flat).to.include(squash(formatAmount(loan.principalOutstanding)));
    expect(flat).to.include(squash(formatAmount(schedule.totals.interest)));
    for (const i of schedule.instalments.slice(0, 3)) expect(flat).to.include(`${i.no}${i.dueDate}${formatAmount(i.principal)}${formatAmount(i.interest)}`);
    expect(flat).to.include(`${addDays(start, 31)}888.49`); // the repayment row
    expect(flat).to.include(`逾期天数Dayspastdue${loan.daysPastDue}`);
    expect(loan.daysPastDue).to.be.greaterThan(0);
    // No full name or ID number of the borrower or the guarantor.
    for (const s of [borrower.name, borrower.idNumber, guarantor.name, guarantor.idNumber, borrower.phone, '司***人']) expect(flat).not.to.include(s);
    expect(flat).to.include(`${borrower.idNumber.slice(0, 6)}********${borrower.idNumber.slice(-4)}`);
    const v = await api('GET', `/public/reports/verify?sha256=${sha(r.buf)}`);
    expect(v.body).to.include({ issued: true, kind: 'loan-statement' });
    expect(v.body.params).to.deep.equal({ loan: loanId, asOf: today });
    // The same request at the same basis gives the same bytes.
    expect(sha((await getBytes(`/reports/loan-statement.pdf?loan=${loanId}`, auditor)).buf)).to.equal(sha(r.buf));
  });

  it('gives the statement only to officers, finance and auditors of the loan’s scope', async () => {
    expect((await getBytes(`/reports/loan-statement.pdf?loan=${loanId}`, finance)).status).to.equal(200);
    const other = await api('GET', `/reports/loan-statement.pdf?loan=${loanId}`, { token: officerHD });
    expect(other.status).to.equal(404);
    expect(errorCode(other)).to.equal('not_found');
    expect((await api('GET', `/reports/loan-statement.pdf?loan=${loanId}`, { token: approver })).status).to.equal(403);
    expect((await api('GET', `/reports/loan-statement.pdf?loan=${loanId}`)).status).to.equal(401);
    expect((await api('GET', '/reports/loan-statement.pdf?loan=2147483000', { token: auditor })).status).to.equal(404);
    expect(errorCode(await api('GET', '/reports/loan-statement.pdf?loan=abc', { token: auditor }))).to.equal('validation_failed');
  });

  it('makes the public programme report with the tracker’s figures and no borrower; its hash verifies', async () => {
    const r = await getBytes(`/reports/loan-programme.pdf?year=${year}`);
    expect(r.status, r.text.slice(0, 300)).to.equal(200);
    expect(isPdf(r.buf)).to.equal(true);
    const flat = squash((await pdfText(r.buf)).text);
    const p = (await api('GET', `/loans/programme/${year}/progress`, { token: auditor })).body;
    expect(flat).to.include('创业贷款计划进度');
    expect(flat).to.include(squash(formatAmount(p.target)));
    expect(flat).to.include(squash(formatAmount(p.lent)));
    expect(flat).to.include(`PAR30风险贷款率Portfolioatrisk>30days${pct(p.portfolio.par30)}`);
    expect(flat).to.include(`PAR90风险贷款率Portfolioatrisk>90days${pct(p.portfolio.par90)}`);
    expect(flat).to.include(`还款率Repaymentrate${pct(p.repayment.rate)}`);
    expect(flat).to.include(squash(formatAmount(p.portfolio.principalOutstanding)));
    const month = p.months.find((m: { month: string }) => m.month === start.slice(0, 7));
    expect(flat).to.include(`${month.month}${formatAmount(month.lent)}${month.loans}`);
    expect(flat).to.include(unitName);
    // Programme totals only: no name (full or masked), ID number, phone or loan number of any borrower.
    for (const s of [borrower.name, '欧***者', borrower.idNumber, borrower.idNumber.slice(-4).padStart(14, '*'), guarantor.name, guarantor.idNumber, borrower.phone, loanNo]) expect(flat).not.to.include(s);
    expect(flat).not.to.match(/L\d{4}-\d{6}/);
    const v = await api('GET', `/public/reports/verify?sha256=${sha(r.buf)}`);
    expect(v.body).to.include({ issued: true, kind: 'loan-programme' });
    expect(v.body.params).to.deep.equal({ year, asOf: today });
  });

  it('answers 404 for a year without a programme and 400 for a bad year, writing nothing', async () => {
    const head = (await api('GET', '/public/log/head')).body.seq;
    const none = await api('GET', '/reports/loan-programme.pdf?year=2001');
    expect(none.status).to.equal(404);
    expect(errorCode(none)).to.equal('not_found');
    expect(errorCode(await api('GET', '/reports/loan-programme.pdf?year=20x6'))).to.equal('validation_failed');
    expect((await api('GET', '/public/log/head')).body.seq).to.equal(head);
  });
});
