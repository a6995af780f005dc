import { Router } from 'express';
import Joi from 'joi';
import { defineRoute, type AppContext } from '../http/route';
import { amountSchema } from '../platform/money';
import { dateSchema, shanghaiDate } from '../platform/clock';
import { intCursor, pageQuery } from '../platform/paging';
import { invariant } from '../platform/errors';
import { BUCKETS, type Bucket } from './arrears';
import { METHODS } from './schedule';
import { scheduleCsv } from './schedule';
import { LOAN_STATUSES, PILOT_KINDS, REFUSAL_REASONS, parseAllocationOrder } from './model';
import {
  approveLoan, arrearsList, createApplication, createProduct, disburseLoan, getLoan, getProgramme, getSchedule, listLoans, listProducts, payoff,
  recordRepayment, refuseLoan, repayFromStatement, restructureLoan, reviewLoan, setPilotUnit, setProgramme, withdrawLoan, writeOffLoan,
  type LoanQuery, type LoanSettings, type NewApplication, type PilotUnitInput, type ProductInput,
} from './service';
import { programmeProgress, publicProgrammeProgress } from './progress';

const id = Joi.number().integer().min(1).max(2147483647).required();
const year = Joi.number().integer().min(2000).max(2099).required();
const note = Joi.string().max(2000).allow('');
const code = Joi.string().pattern(/^[A-Za-z0-9_-]{1,32}$/);
const fundCode = Joi.string().max(40);
/** A percentage as a decimal string (0 allowed), e.g. "4.35"; a JSON number is refused. */
const percent = Joi.string().strict().max(9).pattern(/^(0|[1-9]\d{0,2})(\.\d{1,4})?$/).message('{{#label}} must be a percentage as a decimal string such as "4.35"');
const person = Joi.object({ name: Joi.string().min(1).max(50).required(), idNumber: Joi.string().max(20).required(), relation: Joi.string().max(20) });
const READERS = ['officer', 'approver', 'finance', 'auditor', 'admin'] as const;

export function loanSettings(app: AppContext): LoanSettings {
  const order = parseAllocationOrder(app.config.loanAllocationOrder);
  invariant(order, 'LOAN_ALLOCATION_ORDER is checked by the configuration');
  return { districtLimit: app.config.loanDistrictLimit, foundationLimit: app.config.loanFoundationLimit, defaultTarget: app.config.loanProgrammeTarget, allocationOrder: order };
}

export function loanRoutes(app: AppContext) {
  const r = Router();
  const settings = loanSettings(app);
  const view = (db: Parameters<typeof getLoan>[0], user: Parameters<typeof getLoan>[1], loanId: number) => getLoan(db, user, loanId, settings);

  // ── programme, pilot units, products (before /loans/:id so their paths are not taken for ids)
  defineRoute<{ target?: string; fund: string }, unknown, { year: number }>(r, app, {
    method: 'put', path: '/loans/programmes/:year', tag: 'loans', access: ['admin'], write: true,
    summary: 'Set the year’s start-up loan programme: target (default LOAN_PROGRAMME_TARGET) and the lending fund',
    params: Joi.object({ year }),
    body: Joi.object({ target: amountSchema(), fund: fundCode.required() }),
    handler: async ({ trx, user, params, body }) => setProgramme(trx, user!, params.year, body, settings),
  });
  defineRoute<unknown, unknown, { year: number }>(r, app, {
    method: 'get', path: '/loans/programmes/:year', tag: 'loans', access: READERS,
    summary: 'The year’s programme with its pilot units and quotas',
    params: Joi.object({ year }),
    handler: async ({ params }) => getProgramme(app.db, params.year),
  });
  defineRoute<PilotUnitInput, unknown, { year: number; code: string }>(r, app, {
    method: 'put', path: '/loans/programmes/:year/pilot-units/:code', tag: 'loans', access: ['admin'], write: true,
    summary: 'Add or change a pilot unit (试点单位: district, enterprise-group or institution union) with its quota and optional own lending fund',
    params: Joi.object({ year, code: code.required() }),
    body: Joi.object({
      nameZh: Joi.string().min(1).max(100).required(), kind: Joi.string().valid(...PILOT_KINDS).required(), district: Joi.string().max(8).allow(null),
      quota: Joi.string().strict().max(20).pattern(/^(0|[1-9]\d{0,15})(\.\d{1,2})?$/).required().messages({ 'string.base': '{{#label}} must be a string such as "1000000.00", not a JSON number' }),
      fund: fundCode.allow(null),
    }),
    handler: async ({ trx, user, params, body }) => setPilotUnit(trx, user!, params.year, params.code, body),
  });
  defineRoute<unknown, { asOf?: string }, { year: number }>(r, app, {
    method: 'get', path: '/loans/programme/:year/progress', tag: 'loans', access: READERS,
    summary: 'Progress to the target by month and pilot unit, PAR30, PAR90 and the repayment rate (asOf, default today)',
    params: Joi.object({ year }),
    query: Joi.object({ asOf: dateSchema() }),
    handler: async ({ params, query }) => programmeProgress(app.db, params.year, query.asOf ?? shanghaiDate()),
  });
  defineRoute<unknown, unknown, { year: number }>(r, app, {
    method: 'get', path: '/public/loans/programme/:year', tag: 'public', access: 'public',
    summary: '创业贷款计划 The programme’s totals for the public: target, lent by month and pilot unit, PAR30/PAR90, repayment rate; no borrower',
    params: Joi.object({ year }),
    handler: async ({ params }) => publicProgrammeProgress(app.db, params.year),
  });
  defineRoute<ProductInput>(r, app, {
    method: 'post', path: '/loans/products', tag: 'loans', access: ['admin'], write: true, status: 201,
    summary: 'A loan product: amount range, longest term, annual rate (0 allowed), interest subsidy share 0–100 %, method, grace months, penalty rate (annual %, charged daily)',
    body: Joi.object({
      code: code.required(), nameZh: Joi.string().min(1).max(100).required(), minAmount: amountSchema().required(), maxAmount: amountSchema().required(),
      termMonths: Joi.number().strict().integer().min(1).max(360).required(), annualRate: percent.required(), subsidyPercent: percent.required(),
      method: Joi.string().valid(...METHODS).required(), graceMonths: Joi.number().strict().integer().min(0).max(359).default(0), penaltyRate: percent.required(),
    }),
    handler: async ({ trx, user, body }) => createProduct(trx, user!, body),
  });
  defineRoute(r, app, {
    method: 'get', path: '/loans/products', tag: 'loans', access: READERS, summary: 'Loan products',
    handler: async () => listProducts(app.db),
  });
  defineRoute<unknown, { asOf?: string; bucket?: Bucket; district?: string; limit: number; cursor?: string }>(r, app, {
    method: 'get', path: '/loans/arrears', tag: 'loans', access: READERS,
    summary: 'Active loans in arrears as of a date (default today), most days past due first, with ageing buckets 1–30, 31–60, 61–90, over 90 (district users: their district)',
    query: Joi.object({ asOf: dateSchema(), bucket: Joi.string().valid(...BUCKETS), district: Joi.string().max(8), ...pageQuery, cursor: intCursor }),
    handler: async ({ user, query }) => arrearsList(app.db, user!, query),
  });

  // ── applications and loans
  defineRoute<NewApplication>(r, app, {
    method: 'post', path: '/loans', tag: 'loans', access: ['officer', 'admin'], write: true, status: 201,
    summary: 'Take a loan application (submitted): the worker (ID number checked and encrypted), union membership, pilot unit, product, business plan, guarantors, amount and term',
    body: Joi.object({
      pilotUnit: code.required(), product: code.required(),
      borrower: Joi.object({ name: Joi.string().min(1).max(50).required(), idNumber: Joi.string().max(20).required(), phone: Joi.string().max(20).pattern(/^[0-9+ -]{3,20}$/) }).required(),
      householdId: Joi.number().strict().integer().min(1).max(2147483647),
      membership: Joi.object({ unionOrg: Joi.string().min(1).max(200).required(), memberNo: Joi.string().max(40) }).required(),
      businessPlan: Joi.string().min(1).max(5000).required(),
      documents: Joi.array().max(20).items(Joi.object({ fileName: Joi.string().max(200).required(), sha256: Joi.string().pattern(/^[0-9a-f]{64}$/).required(), note: Joi.string().max(500) })),
      guarantors: Joi.array().max(5).items(person).default([]),
      requestedAmount: amountSchema().required(),
      termMonths: Joi.number().strict().integer().min(1).max(360).required(),
      date: dateSchema(),
    }),
    handler: async ({ trx, user, body }) => view(trx, user!, await createApplication(trx, user!, body)),
  });
  defineRoute<unknown, LoanQuery>(r, app, {
    method: 'get', path: '/loans', tag: 'loans', access: READERS,
    summary: 'Loans and applications, newest first (district users: their district); filters status, year, pilotUnit, district',
    query: Joi.object({ status: Joi.string().valid(...LOAN_STATUSES), year: Joi.number().integer().min(2000).max(2099), pilotUnit: code, district: Joi.string().max(8), ...pageQuery, cursor: intCursor }),
    handler: async ({ user, query }) => listLoans(app.db, user!, query),
  });
  defineRoute<unknown, unknown, { id: number }>(r, app, {
    method: 'get', path: '/loans/:id', tag: 'loans', access: READERS,
    summary: 'One loan with its timeline, repayments, days past due (borrower in full for its district’s officers and approvers, admins and foundation approvers; masked otherwise)',
    params: Joi.object({ id }),
    handler: async ({ user, params }) => view(app.db, user!, params.id),
  });
  defineRoute<unknown, unknown, { id: number }>(r, app, {
    method: 'get', path: '/loans/:id/schedule', tag: 'loans', access: READERS,
    summary: 'The repayment schedule (还款计划) of a disbursed loan, with what is paid of each instalment',
    params: Joi.object({ id }),
    handler: async ({ user, params }) => getSchedule(app.db, user!, params.id),
  });
  defineRoute<unknown, unknown, { id: number }>(r, app, {
    method: 'get', path: '/loans/:id/schedule.csv', tag: 'loans', access: READERS, produces: 'text/csv',
    summary: 'The repayment schedule as CSV (UTF-8 with BOM)',
    params: Joi.object({ id }),
    handler: async ({ res, user, params }) => {
      const s = await getSchedule(app.db, user!, params.id);
      res.set({ 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="schedule-${s.loanNo}.csv"`, 'Cache-Control': 'no-store' });
      res.send(`\ufeff${scheduleCsv(s.instalments)}`);
    },
  });
  defineRoute<unknown, { date?: string }, { id: number }>(r, app, {
    method: 'get', path: '/loans/:id/payoff', tag: 'loans', access: READERS,
    summary: 'What pays the loan off on a date (default today): penalty, everything due, the current period, all principal',
    params: Joi.object({ id }),
    query: Joi.object({ date: dateSchema() }),
    handler: async ({ user, params, query }) => payoff(app.db, user!, params.id, query.date ?? shanghaiDate()),
  });

  type Step<B> = (ctx: { trx: Parameters<typeof reviewLoan>[0]; user: Parameters<typeof reviewLoan>[1]; params: { id: number }; body: B }) => Promise<unknown>;
  const action = <B>(verb: string, access: readonly ('officer' | 'approver' | 'finance' | 'admin')[], summary: string, body: Joi.ObjectSchema, run: Step<B>, idempotent = false) =>
    defineRoute<B, unknown, { id: number }>(r, app, {
      method: 'post', path: `/loans/:id/${verb}`, tag: 'loans', access, write: true, idempotent, summary,
      params: Joi.object({ id }),
      body,
      handler: async (ctx) => {
        await run({ trx: ctx.trx, user: ctx.user!, params: ctx.params, body: ctx.body });
        return view(ctx.trx, ctx.user!, ctx.params.id);
      },
    });

  action<{ recommendedAmount?: string; note?: string }>('review', ['officer', 'approver', 'admin'], 'Review an application (never by the officer who took it); optional recommended amount',
    Joi.object({ recommendedAmount: amountSchema(), note }), ({ trx, user, params, body }) => reviewLoan(trx, user, params.id, body));
  action<{ approvedAmount: string; note?: string; date?: string }>('approve', ['approver'], 'Approve within your tier (never by whoever took or reviewed it); above LOAN_FOUNDATION_LIMIT two foundation approvers confirm the same amount; within the product range and the pilot unit’s quota',
    Joi.object({ approvedAmount: amountSchema().required(), note, date: dateSchema() }), ({ trx, user, params, body }) => approveLoan(trx, user, params.id, body, settings));
  action<{ reasons: string[]; note: string }>('refuse', ['approver'], 'Refuse an application with one or more reasons and a note',
    Joi.object({ reasons: Joi.array().min(1).max(6).unique().items(Joi.string().valid(...REFUSAL_REASONS)).required(), note: Joi.string().min(1).max(2000).required() }),
    ({ trx, user, params, body }) => refuseLoan(trx, user, params.id, body));
  action<{ note?: string }>('withdraw', ['officer', 'admin'], 'Withdraw an application (before disbursement)', Joi.object({ note }), ({ trx, user, params, body }) => withdrawLoan(trx, user, params.id, body));
  action<{ date: string; paymentRef: string }>('disburse', ['finance'], 'Pay the loan out of its fund (Dr 1122 / Cr 1002) and generate its schedule; 409 insufficient_funds when the fund is short; once only',
    Joi.object({ date: dateSchema().required(), paymentRef: Joi.string().min(1).max(100).required() }), ({ trx, user, params, body }) => disburseLoan(trx, user, params.id, body), true);
  action<{ note: string; date?: string }>('write-off', ['approver'], 'Write the loan off (核销): the first approver is recorded, a second different one writes the outstanding principal off (Dr 5201 / Cr 1122)',
    Joi.object({ note: Joi.string().min(1).max(2000).required(), date: dateSchema() }), ({ trx, user, params, body }) => writeOffLoan(trx, user, params.id, body), true);
  action<{ termMonths: number; note: string; date?: string }>('restructure', ['approver'], 'Restructure (重组): two different approvers agree on a new term; the outstanding principal and overdue interest (capitalised, Dr 1122 / Cr 4901) get a new schedule',
    Joi.object({ termMonths: Joi.number().strict().integer().min(1).max(360).required(), note: Joi.string().min(1).max(2000).required(), date: dateSchema() }),
    ({ trx, user, params, body }) => restructureLoan(trx, user, params.id, body), true);

  defineRoute<{ amount: string; date: string; reference?: string }, unknown, { id: number }>(r, app, {
    method: 'post', path: '/loans/:id/repayments', tag: 'loans', access: ['finance'], write: true, idempotent: true, status: 201,
    summary: 'Record a repayment (amount string, date): allocated penalty → interest → principal (LOAN_ALLOCATION_ORDER), early and partial allowed, 422 overpayment above the payoff; posted to the ledger with the fund’s interest subsidy',
    params: Joi.object({ id }),
    body: Joi.object({ amount: amountSchema().required(), date: dateSchema().required(), reference: Joi.string().min(1).max(100) }),
    handler: async ({ trx, user, params, body }) => {
      const out = await recordRepayment(trx, user!, params.id, body, settings);
      return { ...out.repayment, settled: out.settled };
    },
  });
  defineRoute<{ statementLineId: number }, unknown, { id: number }>(r, app, {
    method: 'post', path: '/loans/:id/repayments/from-statement', tag: 'loans', access: ['finance'], write: true, idempotent: true, status: 201,
    summary: 'Record a repayment seen on an imported bank statement: the line’s amount and date, posted and matched to the line (reconciliation) at once',
    params: Joi.object({ id }),
    body: Joi.object({ statementLineId: Joi.number().strict().integer().min(1).max(Number.MAX_SAFE_INTEGER).required() }),
    handler: async ({ trx, user, params, body }) => {
      const out = await repayFromStatement(trx, user!, params.id, body, settings);
      return { ...out.repayment, settled: out.settled };
    },
  });
  return r;
}
