import { expect } from 'chai';
import { addMonths, buildSchedule, levelInstalment, scheduleCsv, type Instalment } from '../../src/loans/schedule';
import { bucketOf, dailyPenalty, daysPastDue, overdueAmount } from '../../src/loans/arrears';
import { allocate, payoffAmount } from '../../src/loans/allocation';
import { Decimal } from '../../src/platform/money';

const base = { principal: '10000.00', annualRatePercent: '12', termMonths: 12, graceMonths: 0, subsidyPercent: '0', startDate: '2026-01-15' } as const;
const col = (rows: readonly Instalment[], k: keyof Instalment) => rows.map((r) => r[k]);

describe('loan schedules (pure, the figures of Fineract for the same product)', () => {
  it('equal instalments 等额本息: 10,000 at 12 %/yr over 12 months is 888.49 a month, the last 888.47', () => {
    // r = 0.12 / 12 = 0.01; EMI = 10000 × 0.01 × 1.01^12 / (1.01^12 − 1) = 888.4878… → 888.49 (the published
    // amortisation example). By hand: month 1 interest 10000 × 0.01 = 100.00, principal 888.49 − 100.00 = 788.49,
    // balance 9211.51; month 2 interest 92.1151 → 92.12, principal 796.37, balance 8415.14; month 3 84.1514 → 84.15.
    // Month 12: balance left 879.67, interest 8.7967 → 8.80, total 888.47 (the last instalment absorbs the rounding).
    const s = buildSchedule({ ...base, method: 'equal_instalment' });
    expect(levelInstalment('10000', '0.01', 12).toFixed(2)).to.equal('888.49');
    expect(col(s, 'interest')).to.deep.equal(['100.00', '92.12', '84.15', '76.11', '67.98', '59.78', '51.49', '43.12', '34.67', '26.13', '17.51', '8.80']);
    expect(col(s, 'total').slice(0, 11).every((t) => t === '888.49')).to.equal(true);
    expect(s[11]).to.include({ principal: '879.67', interest: '8.80', total: '888.47', balance: '0.00' });
    expect(s[0]).to.include({ principal: '788.49', balance: '9211.51', dueDate: '2026-02-15' });
    // Total interest 661.86 = 11 × 888.49 + 888.47 − 10000.
    expect(s.reduce((t, r) => t.plus(r.interest), new Decimal(0)).toFixed(2)).to.equal('661.86');
  });

  it('equal principal 等额本金: 833.33 a month, interest on the falling balance, the last principal 833.37', () => {
    // 10000 / 12 = 833.333… → 833.33; 11 × 833.33 = 9166.63, so the last is 833.37. Interest: 100.00, then
    // 9166.67 × 0.01 = 91.6667 → 91.67, 8333.34 × 0.01 = 83.3334 → 83.33 … last 833.37 × 0.01 = 8.3337 → 8.33.
    const s = buildSchedule({ ...base, method: 'equal_principal' });
    expect(col(s, 'principal').slice(0, 11).every((p) => p === '833.33')).to.equal(true);
    expect(s[11]!.principal).to.equal('833.37');
    expect(col(s, 'interest').slice(0, 3)).to.deep.equal(['100.00', '91.67', '83.33']);
    expect(s[11]!.interest).to.equal('8.33');
    expect(s.reduce((t, r) => t.plus(r.principal), new Decimal(0)).toFixed(2)).to.equal('10000.00');
  });

  it('bullet 到期一次还本付息: one instalment at maturity with simple interest for the term', () => {
    // 10000 × 0.01 × 12 = 1200.00, due 12 months after disbursement.
    const s = buildSchedule({ ...base, method: 'bullet' });
    expect(s).to.have.length(1);
    expect(s[0]).to.include({ no: 1, dueDate: '2027-01-15', principal: '10000.00', interest: '1200.00', total: '11200.00' });
  });

  it('rate 0 (interest-free): equal instalments are principal / n, the last absorbs the cent', () => {
    // 10000 / 3 = 3333.33, 3333.33, 3333.34; no interest at all.
    const s = buildSchedule({ ...base, annualRatePercent: '0', termMonths: 3, method: 'equal_instalment' });
    expect(col(s, 'principal')).to.deep.equal(['3333.33', '3333.33', '3333.34']);
    expect(col(s, 'interest')).to.deep.equal(['0.00', '0.00', '0.00']);
    const p = buildSchedule({ ...base, annualRatePercent: '0', termMonths: 3, method: 'bullet' });
    expect(p[0]).to.include({ principal: '10000.00', interest: '0.00' });
  });

  it('grace on principal (Fineract graceOnPrincipalPayment): interest only during grace, then amortised over the rest', () => {
    // 3 months' grace of 12: months 1–3 pay 100.00 interest only; the EMI over the 9 remaining months is
    // 10000 × 0.01 × 1.01^9 / (1.01^9 − 1) = 1167.4037… → 1167.40; month 4: interest 100.00, principal 1067.40.
    const s = buildSchedule({ ...base, method: 'equal_instalment', graceMonths: 3 });
    expect(s.slice(0, 3).map((r) => [r.principal, r.interest])).to.deep.equal([['0.00', '100.00'], ['0.00', '100.00'], ['0.00', '100.00']]);
    expect(s[3]).to.include({ principal: '1067.40', interest: '100.00', total: '1167.40' });
    expect(s.slice(3, 11).every((r) => r.total === '1167.40')).to.equal(true);
    expect(s[11]!.balance).to.equal('0.00');
    // Equal principal with grace: 10000 / 9 = 1111.11 from month 4, the last 1111.12.
    const e = buildSchedule({ ...base, method: 'equal_principal', graceMonths: 3 });
    expect(e[3]!.principal).to.equal('1111.11');
    expect(e[11]!.principal).to.equal('1111.12');
  });

  it('splits the interest with the fund (贴息) per instalment: subsidy + borrower interest = interest', () => {
    const s = buildSchedule({ ...base, method: 'equal_instalment', subsidyPercent: '50' });
    expect(s[0]).to.include({ interest: '100.00', subsidy: '50.00', borrowerInterest: '50.00' });
    // 92.12 × 0.5 = 46.06; 84.15 × 0.5 = 42.075 → 42.08 (half up), borrower 42.07.
    expect(s[2]).to.include({ subsidy: '42.08', borrowerInterest: '42.07' });
    for (const r of s) expect(new Decimal(r.subsidy).plus(r.borrowerInterest).toFixed(2)).to.equal(r.interest);
    expect(scheduleCsv(s).split('\r\n')[1]).to.equal('1,2026-02-15,788.49,100.00,50.00,50.00,888.49,9211.51');
  });

  it('keeps due dates on the day of month or the month end, leap years included', () => {
    expect(addMonths('2024-01-31', 1)).to.equal('2024-02-29');
    expect(addMonths('2025-01-31', 1)).to.equal('2025-02-28');
    expect(addMonths('2024-01-31', 2)).to.equal('2024-03-31');
    expect(addMonths('2023-12-31', 2)).to.equal('2024-02-29');
    expect(addMonths('2026-11-30', 3)).to.equal('2027-02-28');
    expect(buildSchedule({ ...base, startDate: '2024-01-31', method: 'equal_instalment' }).map((r) => r.dueDate).slice(0, 3)).to.deep.equal(['2024-02-29', '2024-03-31', '2024-04-30']);
  });

  it('builds 360 instalments whose principal sums to the loan', () => {
    const s = buildSchedule({ ...base, principal: '300000.00', annualRatePercent: '4.35', termMonths: 360, method: 'equal_instalment' });
    expect(s).to.have.length(360);
    expect(s.reduce((t, r) => t.plus(r.principal), new Decimal(0)).toFixed(2)).to.equal('300000.00');
    expect(s[359]!.balance).to.equal('0.00');
  });
});

describe('arrears ageing (pure)', () => {
  const owed = (dueDate: string, outstanding = '100.00') => ({ dueDate, outstanding });

  it('counts days past due from the oldest unpaid due date, across month ends', () => {
    expect(daysPastDue([owed('2026-01-31')], '2026-01-31')).to.equal(0); // due today: not late yet
    expect(daysPastDue([owed('2026-01-31')], '2026-02-01')).to.equal(1);
    expect(daysPastDue([owed('2026-01-31')], '2026-03-01')).to.equal(29); // Feb 2026 has 28 days
    expect(daysPastDue([owed('2026-01-31', '0.00'), owed('2026-02-28')], '2026-03-31')).to.equal(31); // the paid one does not count
    expect(daysPastDue([owed('2026-03-31'), owed('2026-02-28')], '2026-04-01')).to.equal(32); // the oldest wins
  });

  it('counts 29 February in leap years', () => {
    expect(daysPastDue([owed('2024-02-28')], '2024-03-01')).to.equal(2);
    expect(daysPastDue([owed('2023-02-28')], '2023-03-01')).to.equal(1);
    expect(daysPastDue([owed('2024-01-31')], '2024-03-01')).to.equal(30);
    expect(daysPastDue([owed('2023-12-31')], '2024-12-31')).to.equal(366);
  });

  it('puts loans in the buckets 1–30, 31–60, 61–90 and over 90', () => {
    expect([0, 1, 30, 31, 60, 61, 90, 91, 400].map(bucketOf)).to.deep.equal(['current', '1-30', '1-30', '31-60', '31-60', '61-90', '61-90', 'over_90', 'over_90']);
    // Due 2024-01-31, as of 2024-03-01 (30 days, Feb 29 counted) is still 1–30; a day later 31–60.
    expect(bucketOf(daysPastDue([owed('2024-01-31')], '2024-03-01'))).to.equal('1-30');
    expect(bucketOf(daysPastDue([owed('2024-01-31')], '2024-03-02'))).to.equal('31-60');
  });

  it('charges a day’s penalty on the overdue amount at the annual rate / 365', () => {
    expect(overdueAmount([owed('2026-01-31', '838.49'), owed('2026-02-28', '838.49'), owed('2026-03-31', '838.49')], '2026-03-15').toFixed(2)).to.equal('1676.98');
    // 1676.98 × 18.25 % / 365 = 0.83849 → 0.84
    expect(dailyPenalty('1676.98', '18.25').toFixed(2)).to.equal('0.84');
    expect(dailyPenalty('1676.98', '0').toFixed(2)).to.equal('0.00');
  });
});

describe('repayment allocation (pure)', () => {
  const items = [
    { no: 1, dueDate: '2026-02-15', principal: '788.49', interest: '50.00' },
    { no: 2, dueDate: '2026-03-15', principal: '796.37', interest: '46.06' },
    { no: 3, dueDate: '2026-04-15', principal: '804.34', interest: '42.07' },
    { no: 4, dueDate: '2026-05-15', principal: '812.38', interest: '38.06' },
  ];
  const order = ['penalty', 'interest', 'principal'] as const;

  it('pays penalty, then the interest of all due instalments oldest first, then their principal', () => {
    const a = allocate('120.00', '5.00', items, '2026-03-20', order);
    // 5.00 penalty, 50.00 + 46.06 interest, 18.94 principal of instalment 1.
    expect(a.penalty.toFixed(2)).to.equal('5.00');
    expect(a.interest.toFixed(2)).to.equal('96.06');
    expect(a.principal.toFixed(2)).to.equal('18.94');
    expect(a.lines.map((l) => [l.no, l.interest.toFixed(2), l.principal.toFixed(2)])).to.deep.equal([[1, '50.00', '18.94'], [2, '46.06', '0.00']]);
  });

  it('follows another configured order (principal first)', () => {
    const a = allocate('800.00', '5.00', items, '2026-02-20', ['principal', 'interest', 'penalty']);
    expect(a.principal.toFixed(2)).to.equal('788.49');
    expect(a.interest.toFixed(2)).to.equal('11.51');
    expect(a.penalty.toFixed(2)).to.equal('0.00');
  });

  it('early repayment: the next instalment in full, then later principal; paid off, the interest of periods not begun is waived', () => {
    const date = '2026-02-20'; // instalment 1 due, 2 is the current period, 3 and 4 not begun
    const most = payoffAmount('0', items, date);
    // 838.49 + 842.43 + 804.34 + 812.38 = 3297.64 (interest of 3 and 4 not owed)
    expect(most.toFixed(2)).to.equal('3297.64');
    const a = allocate(most, '0', items, date, order);
    expect(a.principal.toFixed(2)).to.equal('3201.58');
    expect(a.interest.toFixed(2)).to.equal('96.06');
    expect(a.waived.map((w) => [w.no, w.interest.toFixed(2)])).to.deep.equal([[3, '42.07'], [4, '38.06']]);
    // A partial early payment reduces the next principal and waives nothing.
    const p = allocate('1000.00', '0', items, date, order);
    expect(p.waived).to.deep.equal([]);
    expect(p.lines.map((l) => [l.no, l.interest.toFixed(2), l.principal.toFixed(2)])).to.deep.equal([[1, '50.00', '788.49'], [2, '46.06', '115.45']]);
  });

  it('the current instalment is the one whose period holds the date: when it is paid, no later one is taken in full', () => {
    const date = '2026-02-01'; // period 1; instalment 1 already paid, 2–4 open (principal of 2 prepaid)
    const open = [{ ...items[1]!, principal: '0.00' }, items[2]!, items[3]!];
    // 804.34 + 812.38: no interest, since no open instalment's period has begun.
    expect(payoffAmount('0', open, date, 1).toFixed(2)).to.equal('1616.72');
    expect(payoffAmount('0', open, date).toFixed(2), 'without the schedule’s current number: the first open one').to.equal('1662.78');
    const a = allocate('1616.72', '0', open, date, order, 1);
    expect(a.interest.toFixed(2)).to.equal('0.00');
    expect(a.waived.map((w) => [w.no, w.interest.toFixed(2)])).to.deep.equal([[2, '46.06'], [3, '42.07'], [4, '38.06']]);
  });
});
