// Outside checks of the loans domain: the API called as real users would, with inputs nobody listed. Every
// refusal is a clear 4xx JSON error, nothing is half-written (no loan.* audit rows, ledger per fund balanced,
// 1122 = principal outstanding of the fund's loans). Kept as regression tests for what they found.
import { expect } from 'chai';
import fc from 'fast-check';
import { adminToken, api, auditSeq, errorCode, userToken, type ApiResponse } from '../support/api';
import { donate, fundTree, validIdNumber } from '../support/fixtures';
import { testService } from '../support/env';
import { addDays, shanghaiDate } from '../../src/platform/clock';
import { accrueLoanPenalties, buildSchedule, METHODS } from '../../src/loans';
import { Decimal } from '../../src/platform/money';

let seq = 0;
const uniq = (p: string) => `${p}${Date.now().toString(36).slice(-5)}${++seq}`.toUpperCase();

interface LogItem { seq: number; action: string; subject: string; publicPayload: unknown }
interface Inst { no: number; dueDate: string; principal: string; interest: string; subsidy: string; borrowerInterest: string }

/** The loan.* rows of the public log after a seq (other domains' background jobs append their own rows). */
async function loanRowsAfter(after: number): Promise<LogItem[]> {
  const out: LogItem[] = [];
  let cursor = after;
  for (;;) {
    const r = await api('GET', `/public/log?after=${cursor}&limit=500`);
    expect(r.status, r.text).to.equal(200);
    const items = r.body.items as LogItem[];
    out.push(...items.filter((i) => i.action.startsWith('loan.')));
    if (items.length < 500) return out;
    cursor = items[items.length - 1]!.seq;
  }
}

/** A clear 4xx JSON error in the design's shape (never a 500), with the code expected. */
function refused(r: ApiResponse, status: number, code?: string) {
  expect(r.status, r.text).to.equal(status);
  const c = errorCode(r);
  expect(r.body.error.details, 'details present').to.not.equal(undefined);
  if (code) expect(c, r.text).to.equal(code);
}

describe('loans: outside probe (real service, unlisted inputs)', function () {
  this.timeout(180_000);
  const today = shanghaiDate();
  const year = Number(today.slice(0, 4));
  let admin: string, officer: string, officer2: string, officerHD: string, approverCY: string, approverCY2: string, approverHD: string;
  let foundation1: string, finance: string, auditor: string;

  async function product(over: Record<string, unknown> = {}) {
    const code = uniq('PP');
    const body = { code, nameZh: '探测产品', minAmount: '1.00', maxAmount: '300000.00', termMonths: 360, annualRate: '12', subsidyPercent: '0', method: 'equal_instalment', graceMonths: 0, penaltyRate: '18.25', ...over };
    const r = await api('POST', '/loans/products', { token: admin, body });
    expect(r.status, r.text).to.equal(201);
    return code;
  }

  /** A CY pilot unit lending from a fresh fund holding `amount`, donated on `donatedOn`. */
  async function unit(amount = '1000000.00', donatedOn = addDays(today, -800), quota = '5000000.00', y = year) {
    const { funds } = await fundTree(finance, ['CY']);
    if (amount !== '0.00') await donate(finance, funds.CY!, amount, donatedOn);
    if ((await api('GET', `/loans/programmes/${y}`, { token: admin })).status === 404) {
      expect((await api('PUT', `/loans/programmes/${y}`, { token: admin, body: { fund: funds.CY } })).status).to.equal(200);
    }
    const code = uniq('PU');
    const r = await api('PUT', `/loans/programmes/${y}/pilot-units/${code}`, { token: admin, body: { nameZh: '朝阳区总工会', kind: 'district', district: 'CY', quota, fund: funds.CY } });
    expect(r.status, r.text).to.equal(200);
    return { code, fund: funds.CY! };
  }

  const appBody = (pilotUnit: string, prod: string, amount: string, term: number, idNumber = validIdNumber()) => ({
    pilotUnit, product: prod, borrower: { name: '赵探测', idNumber, phone: '13900001111' }, membership: { unionOrg: '某工会' },
    businessPlan: '小吃店', guarantors: [{ name: '钱担保', idNumber: validIdNumber() }], requestedAmount: amount, termMonths: term,
  });

  /** Applied for and approved on `date` (default today; dated back when entered late). */
  async function approved(pu: string, prod: string, amount: string, term: number, date?: string) {
    const a = await api('POST', '/loans', { token: officer, body: { ...appBody(pu, prod, amount, term), date } });
    expect(a.status, a.text).to.equal(201);
    expect((await api('POST', `/loans/${a.body.id}/review`, { token: officer2, body: {} })).status).to.equal(200);
    const who = new Decimal(amount).gt('50000') ? foundation1 : approverCY;
    const ap = await api('POST', `/loans/${a.body.id}/approve`, { token: who, body: { approvedAmount: amount, date } });
    expect(ap.body.status, ap.text).to.equal('approved');
    return a.body.id as number;
  }

  async function disbursed(pu: string, prod: string, amount: string, term: number, date: string) {
    const id = await approved(pu, prod, amount, term, date);
    const d = await api('POST', `/loans/${id}/disburse`, { token: finance, body: { date, paymentRef: `PAY-${id}` } });
    expect(d.status, d.text).to.equal(200);
    return id;
  }

  async function schedule(id: number): Promise<Inst[]> {
    const s = await api('GET', `/loans/${id}/schedule`, { token: finance });
    expect(s.status, s.text).to.equal(200);
    return s.body.instalments;
  }

  function wellFormed(rows: readonly Inst[], principal: string) {
    expect(rows.reduce((t, r) => t.plus(r.principal), new Decimal(0)).toFixed(2), 'instalments sum to the principal').to.equal(new Decimal(principal).toFixed(2));
    for (const r of rows) {
      for (const k of ['principal', 'interest', 'subsidy', 'borrowerInterest'] as const) {
        expect(new Decimal(r[k]).gte(0), `instalment ${r.no} ${k} ${r[k]} is not negative`).to.equal(true);
        expect(r[k]).to.match(/^\d+\.\d{2}$/);
      }
    }
  }

  /** The fund's books: balanced, and 1122 equal to the principal outstanding of its loans. */
  async function booksOk(fund: string) {
    const tb = await api('GET', `/reports/trial-balance?fund=${fund}`, { token: finance });
    expect(tb.status, tb.text).to.equal(200);
    expect(tb.body.totals.debit).to.equal(tb.body.totals.credit);
    const r1122 = (tb.body.rows as { account: string; debit: string; credit: string }[]).filter((r) => r.account === '1122');
    const receivable = r1122.reduce((t, r) => t.plus(r.debit ?? 0).minus(r.credit ?? 0), new Decimal(0));
    const { rows } = await testService().ctx.db.raw(`SELECT COALESCE(SUM(principal_outstanding), 0)::text AS s FROM loans WHERE fund = ? AND status = 'active'`, [fund]);
    expect(receivable.toFixed(2), '1122 = principal outstanding').to.equal(new Decimal(rows[0].s).toFixed(2));
  }

  const loanEntries = async (loanNo: string) =>
    Number((await testService().ctx.db.raw(`SELECT count(*)::int AS n FROM journal_entries WHERE source = 'loan' AND source_ref = ?`, [loanNo])).rows[0].n);

  before(async () => {
    admin = await adminToken();
    [officer, officer2, officerHD, approverCY, approverCY2, approverHD, foundation1, finance, auditor] = await Promise.all([
      userToken(['officer'], 'CY'), userToken(['officer'], 'CY'), userToken(['officer'], 'HD'), userToken(['approver'], 'CY'), userToken(['approver'], 'CY'),
      userToken(['approver'], 'HD'), userToken(['approver']), userToken(['finance']), userToken(['auditor']),
    ].map((p) => p.then((u) => u.token)));
    const prog = await api('GET', `/loans/programmes/${year}`, { token: admin });
    if (prog.status === 404) {
      const { funds } = await fundTree(finance, ['CY']);
      expect((await api('PUT', `/loans/programmes/${year}`, { token: admin, body: { fund: funds.CY } })).status).to.equal(200);
    }
  });

  describe('schedules of odd products', () => {
    it('a schedule sums exactly to the principal with no negative figure, for any product (property, pure)', () => {
      fc.assert(fc.property(
        fc.integer({ min: 1, max: 30_000_000 }), fc.integer({ min: 1, max: 360 }), fc.integer({ min: 0, max: 3600 }), fc.integer({ min: 0, max: 100 }),
        fc.constantFrom(...METHODS), fc.integer({ min: 0, max: 359 }),
        (cents, n, rateBp, share, method, graceRaw) => {
          const g = method === 'bullet' ? 0 : graceRaw % n;
          const principal = new Decimal(cents).div(100).toFixed(2);
          const rows = buildSchedule({ principal, annualRatePercent: new Decimal(rateBp).div(100), termMonths: n, method, graceMonths: g, subsidyPercent: share, startDate: '2024-01-31' });
          wellFormed(rows, principal);
          expect(rows.at(-1)!.balance).to.equal('0.00');
        },
      ), { numRuns: 300 });
    });

    it('1-month, 360-month, tiny 1.00 over 12 months, rate 0 with grace and 100 % subsidy: exact through the API', async () => {
      const { code, fund } = await unit();
      const start = addDays(today, -5);
      const cases: { over: Record<string, unknown>; amount: string; term: number; check?: (rows: Inst[]) => void }[] = [
        { over: { termMonths: 1 }, amount: '5000.00', term: 1, check: (rows) => expect(rows).to.have.length(1) },
        { over: { annualRate: '4.35' }, amount: '200000.00', term: 360, check: (rows) => expect(rows).to.have.length(360) },
        { over: { method: 'equal_instalment' }, amount: '1.00', term: 12 },
        { over: { method: 'equal_principal' }, amount: '1.00', term: 12 },
        { over: { method: 'equal_principal', annualRate: '24' }, amount: '1.00', term: 360 },
        { over: { method: 'bullet', annualRate: '0.01' }, amount: '1.00', term: 12 },
        {
          over: { annualRate: '0', graceMonths: 3, method: 'equal_instalment' }, amount: '1000.00', term: 12,
          check: (rows) => {
            expect(rows.slice(0, 3).map((r) => r.principal)).to.deep.equal(['0.00', '0.00', '0.00']);
            expect(rows.every((r) => r.interest === '0.00')).to.equal(true);
          },
        },
        { over: { subsidyPercent: '100' }, amount: '3000.00', term: 6, check: (rows) => expect(rows.every((r) => r.borrowerInterest === '0.00' && r.subsidy === r.interest)).to.equal(true) },
      ];
      for (const c of cases) {
        const prod = await product(c.over);
        const id = await disbursed(code, prod, c.amount, c.term, start);
        const rows = await schedule(id);
        wellFormed(rows, c.amount);
        c.check?.(rows);
      }
      await booksOk(fund);
    });

    it('refuses grace ≥ term and a term outside the product, with 400 and nothing written', async () => {
      const { code } = await unit('0.00');
      const prod = await product({ graceMonths: 6, termMonths: 24 });
      const head = await auditSeq();
      for (const body of [{ graceMonths: 12, termMonths: 12 }, { graceMonths: 13, termMonths: 12 }, { method: 'bullet', graceMonths: 1, termMonths: 12 }, { termMonths: 0 }, { termMonths: 361 }, { subsidyPercent: '100.01' }, { subsidyPercent: '-1' }, { minAmount: '10.00', maxAmount: '9.99' }]) {
        const r = await api('POST', '/loans/products', { token: admin, body: { code: uniq('PX'), nameZh: 'x', minAmount: '1.00', maxAmount: '100.00', termMonths: 12, annualRate: '1', subsidyPercent: '0', method: 'equal_instalment', graceMonths: 0, penaltyRate: '0', ...body } });
        refused(r, 400, 'validation_failed');
      }
      for (const term of [6, 5, 25]) refused(await api('POST', '/loans', { token: officer, body: appBody(code, prod, '1000.00', term) }), 400, 'validation_failed');
      expect(await loanRowsAfter(head)).to.deep.equal([]);
    });
  });

  describe('amounts and products', () => {
    it('refuses numbers, 3 decimals, zero, negative, exponent and out-of-range amounts, writing nothing', async () => {
      const { code } = await unit('0.00');
      const prod = await product({ minAmount: '1000.00', maxAmount: '50000.00' });
      const head = await auditSeq();
      for (const amount of [5000, 5000.5, '5000.001', '0.00', '-5.00', '1e4', ' 5000.00', '５０００.00', null]) {
        refused(await api('POST', '/loans', { token: officer, body: appBody(code, prod, amount as string, 12) }), 400, 'validation_failed');
      }
      for (const amount of ['999.99', '50000.01', '9999999999999999.99']) {
        refused(await api('POST', '/loans', { token: officer, body: appBody(code, prod, amount, 12) }), 422, 'amount_out_of_range');
      }
      expect(await loanRowsAfter(head)).to.deep.equal([]);
      // An approved amount outside the range (below the minimum) is refused as well.
      const a = await api('POST', '/loans', { token: officer, body: appBody(code, prod, '2000.00', 12) });
      await api('POST', `/loans/${a.body.id}/review`, { token: officer2, body: {} });
      const mid = await auditSeq();
      refused(await api('POST', `/loans/${a.body.id}/approve`, { token: approverCY, body: { approvedAmount: '999.99' } }), 422, 'amount_out_of_range');
      refused(await api('POST', `/loans/${a.body.id}/approve`, { token: approverCY, body: { approvedAmount: '1500.005' } }), 400, 'validation_failed');
      expect(await loanRowsAfter(mid)).to.deep.equal([]);
    });

    it('a duplicated product (one after another or at once) is 409, and a product cannot be changed in place', async () => {
      const code = await product();
      const body = { code, nameZh: '重复', minAmount: '1.00', maxAmount: '2.00', termMonths: 12, annualRate: '1', subsidyPercent: '0', method: 'bullet', graceMonths: 0, penaltyRate: '0' };
      refused(await api('POST', '/loans/products', { token: admin, body }), 409, 'duplicate_product');
      const fresh = { ...body, code: uniq('PD') };
      const both = await Promise.all([api('POST', '/loans/products', { token: admin, body: fresh }), api('POST', '/loans/products', { token: admin, body: fresh })]);
      expect(both.map((r) => r.status).sort()).to.deep.equal([201, 409]);
      errorCode(both.find((r) => r.status === 409)!);
      for (const m of ['PUT', 'PATCH']) {
        const r = await api(m, `/loans/products/${code}`, { token: admin, body: { annualRate: '0' } });
        expect(r.status).to.be.within(400, 499);
      }
      const listed = (await api('GET', '/loans/products', { token: admin })).body.items.filter((p: { code: string }) => p.code === code);
      expect(listed).to.have.length(1);
      expect(listed[0].annualRate).to.equal('12');
    });
  });

  describe('applications', () => {
    it('the same ID number twice, also at once and spelled differently: one open application only', async () => {
      const { code } = await unit('0.00');
      const prod = await product();
      const idNumber = validIdNumber({ check: 'X' });
      const first = await api('POST', '/loans', { token: officer, body: appBody(code, prod, '1000.00', 12, idNumber) });
      expect(first.status, first.text).to.equal(201);
      refused(await api('POST', '/loans', { token: officer, body: appBody(code, prod, '1000.00', 12, idNumber.toLowerCase()) }), 409, 'duplicate_loan');
      refused(await api('POST', '/loans', { token: officer2, body: appBody(code, prod, '1000.00', 12, `${idNumber.slice(0, 6)} ${idNumber.slice(6)}`) }), 409, 'duplicate_loan');
      const other = validIdNumber();
      const both = await Promise.all([1, 2, 3].map(() => api('POST', '/loans', { token: officer, body: appBody(code, prod, '1000.00', 12, other) })));
      expect(both.map((r) => r.status).sort(), both.map((r) => r.text).join('\n')).to.deep.equal([201, 409, 409]);
      for (const r of both.filter((x) => x.status === 409)) expect(errorCode(r)).to.equal('duplicate_loan');
      // Withdrawn, the worker may apply again.
      expect((await api('POST', `/loans/${first.body.id}/withdraw`, { token: officer, body: {} })).body.status).to.equal('withdrawn');
      expect((await api('POST', '/loans', { token: officer, body: appBody(code, prod, '1000.00', 12, idNumber) })).status).to.equal(201);
    });

    it('refuses a guarantor who is the borrower, a guarantor twice and bad check digits, writing nothing', async () => {
      const { code } = await unit('0.00');
      const prod = await product();
      const head = await auditSeq();
      const id = validIdNumber({ check: 'X' });
      const g = validIdNumber();
      const bad = (id.slice(0, 17) + (id[17] === '0' ? '1' : '0'));
      const bodies = [
        { ...appBody(code, prod, '1000.00', 12, id), guarantors: [{ name: '自己', idNumber: id.toLowerCase() }] },
        { ...appBody(code, prod, '1000.00', 12), guarantors: [{ name: '甲', idNumber: g }, { name: '甲', idNumber: g.toLowerCase() }] },
        appBody(code, prod, '1000.00', 12, bad),
        { ...appBody(code, prod, '1000.00', 12), guarantors: [{ name: '乙', idNumber: bad }] },
        appBody(code, prod, '1000.00', 12, '11010519900101123'),
        appBody(code, prod, '1000.00', 12, `${id.slice(0, 6)}20991231${id.slice(14)}`),
      ];
      for (const body of bodies) refused(await api('POST', '/loans', { token: officer, body }), 400, 'validation_failed');
      expect(await loanRowsAfter(head)).to.deep.equal([]);
    });
  });

  describe('approval', () => {
    it('two approvals at once in one pilot unit keep within its quota', async () => {
      const { code } = await unit('0.00', today, '1500.00');
      const prod = await product();
      const ids: number[] = [];
      for (let k = 0; k < 2; k++) {
        const a = await api('POST', '/loans', { token: officer, body: appBody(code, prod, '1000.00', 12) });
        expect((await api('POST', `/loans/${a.body.id}/review`, { token: officer2, body: {} })).status).to.equal(200);
        ids.push(a.body.id);
      }
      const both = await Promise.all(ids.map((id, k) => api('POST', `/loans/${id}/approve`, { token: k ? approverCY : approverCY2, body: { approvedAmount: '1000.00' } })));
      expect(both.map((r) => r.status).sort(), both.map((r) => r.text).join('\n')).to.deep.equal([200, 422]);
      expect(errorCode(both.find((r) => r.status === 422)!)).to.equal('over_quota');
    });
  });

  describe('disbursement', () => {
    it('refuses a date in the future or before the fund had the money; once only when sent twice at once', async () => {
      const { code, fund } = await unit('100000.00', addDays(today, -10));
      const prod = await product();
      const id = await approved(code, prod, '5000.00', 12, addDays(today, -40));
      const head = await auditSeq();
      refused(await api('POST', `/loans/${id}/disburse`, { token: finance, body: { date: addDays(today, 1), paymentRef: 'P' } }), 422, 'future_date');
      refused(await api('POST', `/loans/${id}/disburse`, { token: finance, body: { date: addDays(today, -30), paymentRef: 'P' } }), 409, 'insufficient_funds');
      refused(await api('POST', `/loans/${id}/disburse`, { token: finance, body: { date: '2026-02-30', paymentRef: 'P' } }), 400, 'validation_failed');
      expect(await loanRowsAfter(head)).to.deep.equal([]);
      // The same key twice at once: one disbursement, the same answer.
      const key = uniq('dk');
      const same = await Promise.all([1, 2].map(() => api('POST', `/loans/${id}/disburse`, { token: finance, body: { date: today, paymentRef: 'P1' }, headers: { 'Idempotency-Key': key } })));
      expect(same.map((r) => r.status)).to.deep.equal([200, 200]);
      expect(same[0]!.body.disbursementEntry).to.equal(same[1]!.body.disbursementEntry);
      const loanNo = same[0]!.body.loanNo as string;
      expect(await loanEntries(loanNo)).to.equal(1);
      // Different keys at once on another loan: one 200, one 409 invalid_state.
      const id2 = await approved(code, prod, '5000.00', 12);
      const diff = await Promise.all(['a', 'b'].map((k) => api('POST', `/loans/${id2}/disburse`, { token: finance, body: { date: today, paymentRef: 'P2' }, headers: { 'Idempotency-Key': uniq(k) } })));
      expect(diff.map((r) => r.status).sort()).to.deep.equal([200, 409]);
      expect(errorCode(diff.find((r) => r.status === 409)!)).to.equal('invalid_state');
      expect(await loanEntries(diff.find((r) => r.status === 200)!.body.loanNo)).to.equal(1);
      await booksOk(fund);
    });
  });

  describe('repayments', () => {
    it('zero, negative, a cent over the payoff, before disbursement, exactly the payoff, then nothing more', async () => {
      const { code, fund } = await unit();
      const prod = await product({ subsidyPercent: '30' });
      const start = addDays(today, -3);
      const id = await disbursed(code, prod, '12000.00', 12, start);
      const head = await auditSeq();
      for (const amount of ['0.00', '-1.00', 0, '0.001']) refused(await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount, date: today } }), 400, 'validation_failed');
      refused(await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: '10.00', date: addDays(start, -1) } }), 400, 'validation_failed');
      refused(await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: '10.00', date: addDays(today, 1) } }), 422, 'future_date');
      const po = await api('GET', `/loans/${id}/payoff?date=${today}`, { token: finance });
      expect(po.status, po.text).to.equal(200);
      const over = await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: new Decimal(po.body.amount).plus('0.01').toFixed(2), date: today } });
      refused(over, 422, 'overpayment');
      expect(over.body.error.details.payoff).to.equal(po.body.amount);
      expect(await loanRowsAfter(head)).to.deep.equal([]);
      // On the disbursement day, before the first due date: a small early payment.
      const early = await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: '100.00', date: start }, headers: { 'Idempotency-Key': uniq('r') } });
      expect(early.status, early.text).to.equal(201);
      expect(early.body.settled).to.equal(false);
      await booksOk(fund);
      const po2 = await api('GET', `/loans/${id}/payoff?date=${today}`, { token: finance });
      const pay = await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: po2.body.amount, date: today } });
      expect(pay.status, pay.text).to.equal(201);
      expect(pay.body.settled).to.equal(true);
      const l = (await api('GET', `/loans/${id}`, { token: finance })).body;
      expect(l.status).to.equal('closed');
      expect(l.principalOutstanding).to.equal('0.00');
      await booksOk(fund);
      const after = await auditSeq();
      refused(await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: '0.01', date: today } }), 409, 'invalid_state');
      refused(await api('GET', `/loans/${id}/payoff?date=${today}`, { token: finance }), 409, 'invalid_state');
      expect(await loanRowsAfter(after)).to.deep.equal([]);
    });

    it('repayments at once: all recorded one after another, payoffs at once settle once', async () => {
      const { code, fund } = await unit();
      const prod = await product();
      const id = await disbursed(code, prod, '6000.00', 6, addDays(today, -70));
      const parts = await Promise.all([1, 2, 3, 4].map((k) => api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: '50.00', date: today, reference: `C${k}` }, headers: { 'Idempotency-Key': uniq('c') } })));
      expect(parts.map((r) => r.status), parts.map((r) => r.text).join('\n')).to.deep.equal([201, 201, 201, 201]);
      await booksOk(fund);
      const po = (await api('GET', `/loans/${id}/payoff?date=${today}`, { token: finance })).body.amount as string;
      const both = await Promise.all([1, 2].map((k) => api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: po, date: today, reference: `F${k}` }, headers: { 'Idempotency-Key': uniq('f') } })));
      expect(both.map((r) => r.status).sort()).to.deep.equal([201, 409]);
      expect(errorCode(both.find((r) => r.status === 409)!)).to.equal('invalid_state');
      const repaid = (await api('GET', `/loans/${id}`, { token: finance })).body.repayments as { principal: string }[];
      expect(repaid.reduce((t, r) => t.plus(r.principal), new Decimal(0)).toFixed(2)).to.equal('6000.00');
      await booksOk(fund);
    });

    it('a fully subsidised loan paid early: the fund’s subsidy of the instalments paid, no negative figure, books balanced', async () => {
      const { code, fund } = await unit();
      const prod = await product({ subsidyPercent: '100', annualRate: '6' });
      const id = await disbursed(code, prod, '1.00', 12, addDays(today, -40));
      const po = (await api('GET', `/loans/${id}/payoff?date=${today}`, { token: finance })).body.amount as string;
      const pay = await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: po, date: today } });
      expect(pay.status, pay.text).to.equal(201);
      expect(pay.body.settled).to.equal(true);
      expect(pay.body.interest).to.equal('0.00');
      await booksOk(fund);
    });
  });

  describe('business dates (application, approval, disbursement, repayment)', () => {
    it('an application and approval may be dated back, never ahead nor out of order; no disbursement before the approval', async () => {
      const { code, fund } = await unit('100000.00', addDays(today, -400));
      const prod = await product();
      const d0 = addDays(today, -10);
      const head = await auditSeq();
      refused(await api('POST', '/loans', { token: officer, body: { ...appBody(code, prod, '2000.00', 12), date: addDays(today, 1) } }), 422, 'future_date');
      refused(await api('POST', '/loans', { token: officer, body: { ...appBody(code, prod, '2000.00', 12), date: '2026-02-30' } }), 400, 'validation_failed');
      expect(await loanRowsAfter(head)).to.deep.equal([]);
      const a = await api('POST', '/loans', { token: officer, body: { ...appBody(code, prod, '2000.00', 12), date: d0 } });
      expect(a.status, a.text).to.equal(201);
      expect(a.body.appliedDate).to.equal(d0);
      const id = a.body.id as number;
      expect((await api('POST', `/loans/${id}/review`, { token: officer2, body: {} })).status).to.equal(200);
      const mid = await auditSeq();
      const early = await api('POST', `/loans/${id}/approve`, { token: approverCY, body: { approvedAmount: '2000.00', date: addDays(d0, -1) } });
      refused(early, 400, 'validation_failed');
      expect(early.body.error.details[0].path).to.equal('date');
      refused(await api('POST', `/loans/${id}/approve`, { token: approverCY, body: { approvedAmount: '2000.00', date: addDays(today, 1) } }), 422, 'future_date');
      expect(await loanRowsAfter(mid)).to.deep.equal([]);
      expect((await api('GET', `/loans/${id}`, { token: finance })).body).to.include({ status: 'reviewed', approvedDate: null });
      const ap = await api('POST', `/loans/${id}/approve`, { token: approverCY, body: { approvedAmount: '2000.00', date: addDays(d0, 2) } });
      expect(ap.body, ap.text).to.include({ status: 'approved', approvedDate: addDays(d0, 2) });
      const mid2 = await auditSeq();
      for (const date of [addDays(d0, 1), d0, addDays(d0, -30)]) {
        const r = await api('POST', `/loans/${id}/disburse`, { token: finance, body: { date, paymentRef: 'EARLY' }, headers: { 'Idempotency-Key': uniq('de') } });
        refused(r, 400, 'validation_failed');
        expect(r.body.error.details[0].path).to.equal('date');
      }
      expect(await loanRowsAfter(mid2)).to.deep.equal([]);
      expect(await loanEntries(a.body.loanNo)).to.equal(0);
      const d = await api('POST', `/loans/${id}/disburse`, { token: finance, body: { date: addDays(d0, 2), paymentRef: 'ON-TIME' } });
      expect(d.body, d.text).to.include({ status: 'active', disbursedDate: addDays(d0, 2) });
      await booksOk(fund);
    });

    it('refuses a repayment dated before the latest repayment or restructuring (400 on date), writing nothing', async () => {
      const { code, fund } = await unit();
      const prod = await product();
      const d0 = addDays(today, -60);
      const id = await disbursed(code, prod, '6000.00', 12, d0);
      const loanNo = (await api('GET', `/loans/${id}`, { token: finance })).body.loanNo as string;
      expect((await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: '50.00', date: addDays(d0, 30) } })).status).to.equal(201);
      let entries = await loanEntries(loanNo);
      let head = await auditSeq();
      const before = await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: '50.00', date: addDays(d0, 29) }, headers: { 'Idempotency-Key': uniq('rb') } });
      refused(before, 400, 'validation_failed');
      expect(before.body.error.details[0].path).to.equal('date');
      expect(await loanRowsAfter(head)).to.deep.equal([]);
      expect(await loanEntries(loanNo)).to.equal(entries);
      // The same day as the latest repayment is fine.
      expect((await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: '50.00', date: addDays(d0, 30) } })).status).to.equal(201);
      // Restructured on d0 + 40: nothing may be dated before it.
      const rd = addDays(d0, 40);
      expect((await api('POST', `/loans/${id}/restructure`, { token: approverCY, body: { termMonths: 12, note: '重组', date: rd } })).status).to.equal(200);
      const r2 = await api('POST', `/loans/${id}/restructure`, { token: foundation1, body: { termMonths: 12, note: '同意', date: rd } });
      expect(r2.body, r2.text).to.include({ restructuredDate: rd });
      entries = await loanEntries(loanNo);
      head = await auditSeq();
      refused(await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: '50.00', date: addDays(rd, -1) } }), 400, 'validation_failed');
      refused(await api('POST', `/loans/${id}/write-off`, { token: approverCY, body: { note: '倒签', date: addDays(rd, -1) } }), 400, 'validation_failed');
      refused(await api('POST', `/loans/${id}/restructure`, { token: approverCY, body: { termMonths: 6, note: '倒签', date: addDays(rd, -1) } }), 400, 'validation_failed');
      expect(await loanRowsAfter(head)).to.deep.equal([]);
      expect(await loanEntries(loanNo)).to.equal(entries);
      const ok = await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: '50.00', date: rd } });
      expect(ok.status, ok.text).to.equal(201);
      await booksOk(fund);
    });
  });

  describe('interest subsidy of periods begun', () => {
    it('100 % subsidy, principal of instalment 2 prepaid in month 1, paid off in month 2: the subsidy of both begun periods posted, none of the rest', async () => {
      const { code, fund } = await unit();
      const prod = await product({ subsidyPercent: '100', annualRate: '12' });
      const d0 = addDays(today, -40);
      const id = await disbursed(code, prod, '12000.00', 12, d0);
      const rows = await schedule(id);
      expect(rows[0]!.dueDate < today && rows[1]!.dueDate > today, 'today is in period 2').to.equal(true);
      // Month 1: instalment 1 in full (its period has begun), the principal of 2 and 100.00 of 3's.
      const first = new Decimal(rows[0]!.principal).plus(rows[1]!.principal).plus('100.00');
      const r1 = await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: first.toFixed(2), date: addDays(d0, 5) } });
      expect(r1.status, r1.text).to.equal(201);
      expect(r1.body).to.include({ interest: '0.00', principal: first.toFixed(2), subsidy: rows[0]!.subsidy });
      // Month 2: paid off. Instalment 2 (principal already paid, never touched again) has begun: its subsidy now.
      const po = await api('GET', `/loans/${id}/payoff?date=${today}`, { token: finance });
      expect(po.body.amount).to.equal(new Decimal('12000.00').minus(first).toFixed(2));
      const r2 = await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: po.body.amount, date: today } });
      expect(r2.status, r2.text).to.equal(201);
      expect(r2.body).to.include({ settled: true, subsidy: rows[1]!.subsidy });
      const subsidy = new Decimal(rows[0]!.interest).plus(rows[1]!.interest);
      const tb = await api('GET', `/reports/trial-balance?fund=${fund}`, { token: finance });
      expect(tb.body.totals.debit).to.equal(tb.body.totals.credit);
      const net = (a: string) => (tb.body.rows as { account: string; debit: string | null; credit: string | null }[])
        .filter((r) => r.account === a).reduce((t, r) => t.plus(r.debit ?? 0).minus(r.credit ?? 0), new Decimal(0));
      expect(net('1122').toFixed(2), '1122 zero').to.equal('0.00');
      expect(net('5101').toFixed(2), '5101: the subsidy of periods 1 and 2').to.equal(subsidy.toFixed(2));
      expect(net('4901').negated().toFixed(2), '4901: the subsidised interest only').to.equal(subsidy.toFixed(2));
      const { rows: posted } = await testService().ctx.db.raw('SELECT no FROM loan_instalments WHERE loan_id = ? AND subsidy_posted ORDER BY no', [id]);
      expect(posted.map((r: { no: number }) => r.no)).to.deep.equal([1, 2]);
      await booksOk(fund);
    });

    it('a partial prepayment never makes a later period current: the payoff falls by what was paid, the interest of periods not begun waived', async () => {
      const { code, fund } = await unit();
      const prod = await product({ subsidyPercent: '50', annualRate: '12' });
      const d0 = addDays(today, -3);
      const id = await disbursed(code, prod, '12000.00', 12, d0);
      const rows = await schedule(id);
      const po1 = new Decimal((await api('GET', `/loans/${id}/payoff?date=${today}`, { token: finance })).body.amount);
      // Instalment 1 in full and the principal of instalment 2 (whose period has not begun).
      const part = new Decimal(rows[0]!.principal).plus(rows[0]!.borrowerInterest).plus(rows[1]!.principal);
      const r1 = await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: part.toFixed(2), date: today } });
      expect(r1.status, r1.text).to.equal(201);
      expect(r1.body.subsidy).to.equal(rows[0]!.subsidy);
      const po2 = (await api('GET', `/loans/${id}/payoff?date=${today}`, { token: finance })).body.amount as string;
      expect(po2, 'no interest of period 2 asked for').to.equal(po1.minus(part).toFixed(2));
      const r2 = await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: po2, date: today } });
      expect(r2.body, r2.text).to.include({ settled: true, interest: '0.00', subsidy: '0.00' });
      const after = await schedule(id);
      expect((after as unknown as { no: number; waivedInterest: string }[]).filter((i) => i.no > 1).every((i, k) => i.waivedInterest === rows[k + 1]!.borrowerInterest)).to.equal(true);
      await booksOk(fund);
    });
  });

  describe('penalty job and arrears', () => {
    it('across 29 February and month ends: days past due by calendar, charged once a day even when run twice at once', async () => {
      const { code, fund } = await unit('100000.00', '2023-12-01', '5000000.00', 2024); // applied in 2024: the 2024 programme
      const prod = await product({ penaltyRate: '36.5' });
      const id = await disbursed(code, prod, '1200.00', 3, '2024-01-31');
      const rows = await schedule(id);
      expect(rows.map((r) => r.dueDate)).to.deep.equal(['2024-02-29', '2024-03-31', '2024-04-30']);
      const db = testService().ctx.db;
      const accrued = async () => (await api('GET', `/loans/${id}`, { token: finance })).body.penaltyAccrued as string;
      await accrueLoanPenalties(db, '2024-02-29'); // due that day: not yet past due
      expect(await accrued()).to.equal('0.00');
      await Promise.all([accrueLoanPenalties(db, '2024-03-01'), accrueLoanPenalties(db, '2024-03-01')]);
      const one = new Decimal(rows[0]!.principal).plus(rows[0]!.borrowerInterest).times('36.5').div(36500).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
      expect(await accrued()).to.equal(one.toFixed(2));
      await Promise.all([accrueLoanPenalties(db, '2024-03-01'), accrueLoanPenalties(db, '2024-03-02')]);
      expect(await accrued()).to.equal(one.times(2).toFixed(2));
      const arrears = async (asOf: string) => ((await api('GET', `/loans/arrears?asOf=${asOf}&limit=500`, { token: finance })).body.items as { id: number; daysPastDue: number; bucket: string }[]).find((i) => i.id === id);
      expect(await arrears('2024-02-29')).to.equal(undefined);
      expect(await arrears('2024-03-01')).to.include({ daysPastDue: 1, bucket: '1-30' });
      expect(await arrears('2024-03-30')).to.include({ daysPastDue: 30, bucket: '1-30' });
      expect(await arrears('2024-03-31')).to.include({ daysPastDue: 31, bucket: '31-60' });
      expect(await arrears('2024-05-29')).to.include({ daysPastDue: 90, bucket: '61-90' });
      expect(await arrears('2024-05-30')).to.include({ daysPastDue: 91, bucket: 'over_90' });
      // The penalty is paid first and the books stay balanced.
      const rep = await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: '1.00', date: today } });
      expect(rep.status, rep.text).to.equal(201);
      expect(rep.body.penalty).to.equal(Decimal.min(one.times(2), 1).toFixed(2));
      await booksOk(fund);
    });
  });

  describe('write-off and restructuring', () => {
    it('a paid loan cannot be written off, a written-off one not restructured, nor one approver act twice', async () => {
      const { code, fund } = await unit();
      const prod = await product();
      const paid = await disbursed(code, prod, '2000.00', 6, addDays(today, -2));
      const po = (await api('GET', `/loans/${paid}/payoff?date=${today}`, { token: finance })).body.amount;
      expect((await api('POST', `/loans/${paid}/repayments`, { token: finance, body: { amount: po, date: today } })).body.settled).to.equal(true);
      const head = await auditSeq();
      refused(await api('POST', `/loans/${paid}/write-off`, { token: approverCY, body: { note: '核销' } }), 409, 'invalid_state');
      refused(await api('POST', `/loans/${paid}/restructure`, { token: approverCY, body: { termMonths: 12, note: '重组' } }), 409, 'invalid_state');
      expect(await loanRowsAfter(head)).to.deep.equal([]);

      const bad = await disbursed(code, prod, '3000.00', 6, addDays(today, -60));
      expect((await api('POST', `/loans/${bad}/write-off`, { token: approverCY, body: { note: '失联' } })).status).to.equal(200);
      refused(await api('POST', `/loans/${bad}/write-off`, { token: approverCY, body: { note: '再次' } }), 409, 'already_approved');
      const w = await api('POST', `/loans/${bad}/write-off`, { token: approverCY2, body: { note: '同意' } });
      expect(w.body.status, w.text).to.equal('written_off');
      const mid = await auditSeq();
      refused(await api('POST', `/loans/${bad}/restructure`, { token: approverCY, body: { termMonths: 12, note: '重组' } }), 409, 'invalid_state');
      refused(await api('POST', `/loans/${bad}/write-off`, { token: foundation1, body: { note: '再核销' } }), 409, 'invalid_state');
      refused(await api('POST', `/loans/${bad}/repayments`, { token: finance, body: { amount: '1.00', date: today } }), 409, 'invalid_state');
      expect(await loanRowsAfter(mid)).to.deep.equal([]);
      await booksOk(fund);
    });

    it('refuses a write-off or restructuring dated before the disbursement, writing nothing', async () => {
      const { code, fund } = await unit();
      const prod = await product();
      const start = addDays(today, -20);
      const id = await disbursed(code, prod, '3000.00', 6, start);
      const head = await auditSeq();
      for (const verb of ['write-off', 'restructure']) {
        for (const token of [approverCY, approverCY2]) {
          const r = await api('POST', `/loans/${id}/${verb}`, { token, body: { note: '倒签', termMonths: verb === 'restructure' ? 12 : undefined, date: addDays(start, -1) } });
          refused(r, 400, 'validation_failed');
        }
      }
      // Nor before the latest repayment.
      expect((await api('POST', `/loans/${id}/repayments`, { token: finance, body: { amount: '10.00', date: addDays(start, 5) } })).status).to.equal(201);
      const mid = await auditSeq();
      refused(await api('POST', `/loans/${id}/write-off`, { token: approverCY, body: { note: '倒签', date: addDays(start, 4) } }), 400, 'validation_failed');
      refused(await api('POST', `/loans/${id}/restructure`, { token: approverCY, body: { note: '倒签', termMonths: 12, date: addDays(start, 4) } }), 400, 'validation_failed');
      expect(await loanRowsAfter(head)).to.have.length(1);
      expect(await loanRowsAfter(mid)).to.deep.equal([]);
      expect((await api('GET', `/loans/${id}`, { token: finance })).body.status).to.equal('active');
      await booksOk(fund);
    });
  });

  describe('roles and districts', () => {
    it('another district’s officer or approver, finance approving, an auditor writing: 403 (or 404 to read), nothing written', async () => {
      const { code } = await unit();
      const prod = await product();
      const head = await auditSeq();
      refused(await api('POST', '/loans', { token: officerHD, body: appBody(code, prod, '1000.00', 12) }), 403);
      refused(await api('POST', '/loans', { token: auditor, body: appBody(code, prod, '1000.00', 12) }), 403, 'forbidden');
      refused(await api('POST', '/loans', { token: finance, body: appBody(code, prod, '1000.00', 12) }), 403, 'forbidden');
      refused(await api('POST', '/loans/products', { token: auditor, body: {} }), 403, 'forbidden');
      refused(await api('PUT', `/loans/programmes/${year}`, { token: officer, body: { fund: 'WF' } }), 403, 'forbidden');
      expect(await loanRowsAfter(head)).to.deep.equal([]);
      const a = await api('POST', '/loans', { token: officer, body: appBody(code, prod, '1000.00', 12) });
      const id = a.body.id as number;
      const mid = await auditSeq();
      refused(await api('POST', `/loans/${id}/review`, { token: officerHD, body: {} }), 403);
      refused(await api('GET', `/loans/${id}`, { token: officerHD }), 404, 'not_found');
      refused(await api('POST', `/loans/${id}/review`, { token: auditor, body: {} }), 403, 'forbidden');
      expect((await api('POST', `/loans/${id}/review`, { token: officer2, body: {} })).status).to.equal(200);
      const mid2 = await auditSeq();
      refused(await api('POST', `/loans/${id}/approve`, { token: finance, body: { approvedAmount: '1000.00' } }), 403, 'forbidden');
      refused(await api('POST', `/loans/${id}/approve`, { token: approverHD, body: { approvedAmount: '1000.00' } }), 403);
      refused(await api('POST', `/loans/${id}/refuse`, { token: approverHD, body: { reasons: ['other'], note: 'x' } }), 403);
      refused(await api('POST', `/loans/${id}/approve`, { token: officer2, body: { approvedAmount: '1000.00' } }), 403, 'forbidden');
      refused(await api('POST', `/loans/${id}/disburse`, { token: finance, body: { date: today, paymentRef: 'P' } }), 409, 'invalid_state');
      expect((await api('POST', `/loans/${id}/approve`, { token: approverCY, body: { approvedAmount: '1000.00' } })).status).to.equal(200);
      refused(await api('POST', `/loans/${id}/disburse`, { token: approverCY, body: { date: today, paymentRef: 'P' } }), 403, 'forbidden');
      refused(await api('POST', `/loans/${id}/disburse`, { token: auditor, body: { date: today, paymentRef: 'P' } }), 403, 'forbidden');
      expect((await loanRowsAfter(mid)).map((r) => r.action)).to.deep.equal(['loan.reviewed', 'loan.approved']);
      expect((await loanRowsAfter(mid2)).map((r) => r.action)).to.deep.equal(['loan.approved']);
      const dis = await api('POST', `/loans/${id}/disburse`, { token: finance, body: { date: today, paymentRef: 'P' } });
      expect(dis.status).to.equal(200);
      const end = await auditSeq();
      refused(await api('POST', `/loans/${id}/write-off`, { token: approverHD, body: { note: 'x' } }), 403);
      refused(await api('POST', `/loans/${id}/repayments`, { token: auditor, body: { amount: '1.00', date: today } }), 403, 'forbidden');
      refused(await api('POST', `/loans/${id}/repayments`, { token: officer, body: { amount: '1.00', date: today } }), 403, 'forbidden');
      expect(await loanRowsAfter(end)).to.deep.equal([]);
    });
  });

  describe('public output', () => {
    it('never carries borrowers’ names or ID numbers, nor loan numbers outside the audit chain', async () => {
      const { code } = await unit();
      const prod = await product();
      const idNumber = validIdNumber();
      const head = await auditSeq();
      const a = await api('POST', '/loans', { token: officer, body: { ...appBody(code, prod, '2000.00', 6, idNumber), borrower: { name: '孙公开', idNumber, phone: '13800138000' } } });
      expect(a.status, a.text).to.equal(201);
      await api('POST', `/loans/${a.body.id}/review`, { token: officer2, body: {} });
      await api('POST', `/loans/${a.body.id}/approve`, { token: approverCY, body: { approvedAmount: '2000.00' } });
      expect((await api('POST', `/loans/${a.body.id}/disburse`, { token: finance, body: { date: today, paymentRef: 'PUB' } })).status).to.equal(200);
      const loanNo = a.body.loanNo as string;
      for (const path of [`/public/loans/programme/${year}`, `/reports/loan-programme.pdf?year=${year}`]) {
        const r = await api('GET', path);
        expect(r.status, path).to.equal(200);
        for (const s of ['孙公开', '孙*开', idNumber, loanNo, '13800138000', '钱担保']) expect(r.text, `${path} carries ${s}`).to.not.include(s);
      }
      const rows = JSON.stringify(await loanRowsAfter(head));
      for (const s of ['孙公开', idNumber, '13800138000', '钱担保']) expect(rows, `public log carries ${s}`).to.not.include(s);
      const r404 = await api('GET', '/public/loans/programme/2001');
      refused(r404, 404, 'not_found');
    });
  });
});
