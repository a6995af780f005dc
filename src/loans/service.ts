// Loan decisions: programme and pilot units, products, applications through the loan workflow, disbursement,
// repayments, penalties, write-off and restructuring. Each write takes the caller's transaction; the ledger
// postings (through the ledger's public face) and the loan's own rows commit or roll back together, and the
// audit row is appended last. docs/loans.md holds the rules of the money.
import type { Knex } from 'knex';
import type { Db } from '../platform/db';
import { clock, shanghaiDate } from '../platform/clock';
import { badRequest, conflict, forbidden, invalidState, invariant, notFound, unprocessable } from '../platform/errors';
import { Decimal, money, sum } from '../platform/money';
import { maskIdNumber, maskName, maskPhone } from '../platform/masking';
import { decryptPersonal, encryptPersonal, keyedHash } from '../platform/personal-data';
import { pageOf } from '../platform/paging';
import { appendAudit } from '../audit';
import type { SessionUser } from '../auth';
import { fundBalance, getFund, postJournalEntry, type LineInput } from '../ledger';
import { getHouseholdSummary, idNumberProblem } from '../households';
import { createManualMatch, getStatementLine } from '../reconciliation';
import { buildSchedule, scheduleProblem, type Instalment, type Method } from './schedule';
import { allocate, payoffAmount, type OpenInstalment } from './allocation';
import { bucketOf, daysBetween, daysPastDue, type Bucket } from './arrears';
import {
  decodeInstalment, decodeLoan, decodeLoanEvent, decodePilotUnit, decodeProduct, decodeProgramme, decodeRepayment, loanNumber, loanTier,
  type Component, type Guarantor, type InstalmentRow, type LoanDocument, type LoanRow, type LoanTierLimits, type PilotKind, type ProductRow,
} from './model';
import { loanWorkflow, type ApproveInput } from './workflow';

/** The NPO chart's accounts a loan uses (docs/loans.md, "Accounts"). */
export const LOAN_ACCOUNTS = {
  receivable: '1122', // 其他应收款: the loan principal, an asset of the lending fund
  bank: '1002', // 银行存款
  income: '4901', // 其他收入: interest, the subsidy's interest and penalty, recognised when received (cash basis)
  subsidy: '5101', // 业务活动成本: the fund's share of interest (贴息)
  writeOff: '5201', // 管理费用: a written-off loan (坏账损失)
} as const;

export interface LoanSettings extends LoanTierLimits {
  defaultTarget: string;
  allocationOrder: readonly Component[];
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const D = (v: Decimal.Value) => new Decimal(v);

// ─────────────────────────────── programme, pilot units, products ───────────────────────────────

export async function setProgramme(trx: Knex.Transaction, actor: SessionUser, year: number, input: { target?: string; fund: string }, settings: LoanSettings) {
  const fund = await getFund(trx, input.fund);
  if (!fund) throw badRequest(`unknown fund ${input.fund}`, [{ in: 'body', path: 'fund', message: `"fund" ${input.fund} does not exist` }]);
  const target = input.target ?? settings.defaultTarget;
  await trx('loan_programmes').insert({ year, target, fund: fund.code, updated_at: clock.now() }).onConflict('year').merge();
  await appendAudit(trx, { actor: actor.username, action: 'loan.programme_set', subject: `loan-programme:${year}`, publicPayload: { year, target: money(target), fund: fund.code } });
  return getProgramme(trx, year);
}

export async function getProgramme(db: Db, year: number) {
  const raw = await db('loan_programmes').where({ year }).first();
  if (!raw) throw notFound(`loan programme ${year}`);
  const p = decodeProgramme(raw);
  const units = (await db('loan_pilot_units').where({ year }).orderBy('code')).map(decodePilotUnit);
  return {
    year: p.year, target: money(p.target), fund: p.fund,
    pilotUnits: units.map((u) => ({ code: u.code, nameZh: u.name_zh, kind: u.kind, district: u.district, quota: money(u.quota), fund: u.fund ?? p.fund })),
  };
}

export interface PilotUnitInput {
  nameZh: string;
  kind: PilotKind;
  district?: string | null;
  quota: string;
  fund?: string | null;
}

export async function setPilotUnit(trx: Knex.Transaction, actor: SessionUser, year: number, code: string, input: PilotUnitInput) {
  if (!(await trx('loan_programmes').where({ year }).first('year'))) throw notFound(`loan programme ${year}`);
  if (input.kind === 'district' && !input.district) throw badRequest('a district union needs its district', [{ in: 'body', path: 'district', message: '"district" is required for kind district' }]);
  if (input.district && !(await trx('districts').where({ code: input.district }).first('code'))) {
    throw badRequest(`unknown district ${input.district}`, [{ in: 'body', path: 'district', message: 'no such district' }]);
  }
  if (input.fund && !(await getFund(trx, input.fund))) throw badRequest(`unknown fund ${input.fund}`, [{ in: 'body', path: 'fund', message: 'no such fund' }]);
  await trx('loan_pilot_units')
    .insert({ year, code, name_zh: input.nameZh, kind: input.kind, district: input.district ?? null, quota: input.quota, fund: input.fund ?? null, updated_at: clock.now() })
    .onConflict(['year', 'code']).merge();
  await appendAudit(trx, {
    actor: actor.username, action: 'loan.pilot_unit_set', subject: `loan-programme:${year}`,
    publicPayload: { year, code, nameZh: input.nameZh, kind: input.kind, district: input.district ?? null, quota: money(input.quota), fund: input.fund ?? null },
  });
  return getProgramme(trx, year);
}

export interface ProductInput {
  code: string;
  nameZh: string;
  minAmount: string;
  maxAmount: string;
  termMonths: number;
  annualRate: string;
  subsidyPercent: string;
  method: Method;
  graceMonths: number;
  penaltyRate: string;
}

export const productView = (p: ProductRow) => ({
  id: p.id, code: p.code, nameZh: p.name_zh, minAmount: money(p.min_amount), maxAmount: money(p.max_amount), termMonths: p.term_months,
  annualRate: D(p.annual_rate).toString(), subsidyPercent: D(p.subsidy_percent).toString(), method: p.method, graceMonths: p.grace_months,
  penaltyRate: D(p.penalty_rate).toString(),
});

export async function createProduct(trx: Knex.Transaction, actor: SessionUser, input: ProductInput) {
  if (D(input.maxAmount).lt(input.minAmount)) throw badRequest('maxAmount is below minAmount', [{ in: 'body', path: 'maxAmount', message: 'must be at least minAmount' }]);
  if (D(input.subsidyPercent).gt(100)) throw badRequest('subsidyPercent is 0 to 100', [{ in: 'body', path: 'subsidyPercent', message: 'must be 0 to 100' }]);
  const problem = scheduleProblem(input);
  if (problem) throw badRequest(problem, [{ in: 'body', path: 'graceMonths', message: problem }]);
  if (await trx('loan_products').where({ code: input.code }).first('id')) throw conflict('duplicate_product', `product ${input.code} exists`).zh(`产品代码 ${input.code} 已存在`);
  const [raw] = await trx('loan_products').insert({
    code: input.code, name_zh: input.nameZh, min_amount: input.minAmount, max_amount: input.maxAmount, term_months: input.termMonths,
    annual_rate: input.annualRate, subsidy_percent: input.subsidyPercent, method: input.method, grace_months: input.graceMonths,
    penalty_rate: input.penaltyRate, created_at: clock.now(),
  }).returning('*');
  const p = productView(decodeProduct(raw));
  await appendAudit(trx, { actor: actor.username, action: 'loan.product_created', subject: `loan-product:${p.code}`, publicPayload: p });
  return p;
}

export async function listProducts(db: Db) {
  return { items: (await db('loan_products').orderBy('code')).map((r) => productView(decodeProduct(r))) };
}

async function productById(db: Db, id: number) {
  const raw = await db('loan_products').where({ id }).first();
  invariant(raw, 'the product of a loan exists');
  return decodeProduct(raw);
}

// ─────────────────────────────── applications ───────────────────────────────

export interface PersonInput {
  name: string;
  idNumber: string;
  relation?: string;
}

export interface NewApplication {
  pilotUnit: string;
  product: string;
  borrower: { name: string; idNumber: string; phone?: string };
  householdId?: number;
  membership: { unionOrg: string; memberNo?: string };
  businessPlan: string;
  documents?: LoanDocument[];
  guarantors: PersonInput[];
  requestedAmount: string;
  termMonths: number;
  /** The business date of the application (entered late: dated back); default today, never in the future. */
  date?: string;
}

/** A checked, normalised resident ID number (GB 11643, as for household files), or a 400 on its field. */
function checkedId(raw: string, path: string) {
  const id = raw.replace(/\s+/g, '').toUpperCase();
  const problem = idNumberProblem(id, shanghaiDate());
  if (problem) throw badRequest(`${path}: ${problem}`, [{ in: 'body', path, message: problem }]);
  return id;
}

/** Users with a district act only on loans of their district; a city-wide pilot unit's loans are city-wide users'. */
const inScope = (u: SessionUser, district: string | null) =>
  u.roles.some((r) => r === 'admin' || r === 'finance' || r === 'auditor') || !u.district || u.district === district;

const OPEN_STATUSES = ['submitted', 'reviewed', 'approved', 'active'];

export async function createApplication(trx: Knex.Transaction, user: SessionUser, input: NewApplication) {
  const appliedDate = input.date ?? shanghaiDate();
  refuseFutureDate(appliedDate);
  // The programme of the year the application was made in, also when it is entered late.
  const year = Number(appliedDate.slice(0, 4));
  const programme = await trx('loan_programmes').where({ year }).first();
  if (!programme) throw unprocessable('no_programme', `there is no loan programme for ${year}`, { year }).zh(`${year} 年未设立创业贷款计划`);
  const unitRaw = await trx('loan_pilot_units').where({ year, code: input.pilotUnit }).first();
  if (!unitRaw) throw badRequest(`unknown pilot unit ${input.pilotUnit}`, [{ in: 'body', path: 'pilotUnit', message: 'no such pilot unit this year' }]);
  const unit = decodePilotUnit(unitRaw);
  if (!inScope(user, unit.district)) throw forbidden(`pilot unit ${unit.code} is not of your district`).zh(`试点单位 ${unit.name_zh} 不在您的范围内`);
  const productRaw = await trx('loan_products').where({ code: input.product }).first();
  if (!productRaw) throw badRequest(`unknown product ${input.product}`, [{ in: 'body', path: 'product', message: 'no such product' }]);
  const product = decodeProduct(productRaw);
  if (D(input.requestedAmount).lt(product.min_amount) || D(input.requestedAmount).gt(product.max_amount)) {
    throw unprocessable('amount_out_of_range', `product ${product.code} lends ${money(product.min_amount)} to ${money(product.max_amount)}`, { min: money(product.min_amount), max: money(product.max_amount) })
      .zh(`产品 ${product.name_zh} 的贷款金额为 ${money(product.min_amount)}–${money(product.max_amount)} 元`);
  }
  if (input.termMonths > product.term_months || input.termMonths <= product.grace_months) {
    throw badRequest(`the term is ${product.grace_months + 1} to ${product.term_months} months for product ${product.code}`, [{ in: 'body', path: 'termMonths', message: `must be ${product.grace_months + 1} to ${product.term_months}` }]);
  }
  const idNumber = checkedId(input.borrower.idNumber, 'borrower.idNumber');
  const seen = new Set<string>();
  const guarantors: Guarantor[] = input.guarantors.map((g, i) => {
    const gid = checkedId(g.idNumber, `guarantors.${i}.idNumber`);
    if (gid === idNumber) throw badRequest('a borrower cannot be their own guarantor', [{ in: 'body', path: `guarantors.${i}.idNumber`, message: 'same as the borrower' }]);
    if (seen.has(gid)) throw badRequest('the same guarantor is given twice', [{ in: 'body', path: `guarantors.${i}.idNumber`, message: 'same as an earlier guarantor' }]);
    seen.add(gid);
    return { maskedName: maskName(g.name), nameSealed: encryptPersonal(g.name), idNumberSealed: encryptPersonal(gid), relation: g.relation ?? null };
  });
  if (input.householdId !== undefined) {
    const h = await getHouseholdSummary(trx, input.householdId);
    if (!h || !inScope(user, h.district)) throw badRequest(`household ${input.householdId} does not exist`, [{ in: 'body', path: 'householdId', message: 'no such household' }]);
  }
  const hash = keyedHash(idNumber);
  // Two applications for one worker at once: the second waits here until the first commits, then sees it.
  await trx.raw('SELECT pg_advisory_xact_lock(7320, hashtext(?))', [hash]);
  const open = await trx('loans').where({ id_number_hash: hash }).whereIn('status', OPEN_STATUSES).first('id');
  if (open) throw conflict('duplicate_loan', 'this worker already has an open loan or application').zh('该职工已有未结清的贷款或在办申请');
  const [counter] = await trx.raw(
    `INSERT INTO loan_counters (year, last) VALUES (?, 1) ON CONFLICT (year) DO UPDATE SET last = loan_counters.last + 1 RETURNING last`, [year],
  ).then((r: { rows: { last: number }[] }) => r.rows);
  const loanNo = loanNumber(year, counter!.last);
  const loan = await loanWorkflow.create(trx, user, {
    values: (now) => ({
      loan_no: loanNo, year, pilot_unit_id: unit.id, product_id: product.id, district: unit.district, fund: unit.fund ?? String(programme.fund),
      masked_name: maskName(input.borrower.name), name_enc: encryptPersonal(input.borrower.name), id_number_enc: encryptPersonal(idNumber),
      id_number_hash: hash, phone_enc: input.borrower.phone ? encryptPersonal(input.borrower.phone) : null, household_id: input.householdId ?? null,
      union_org: input.membership.unionOrg, member_no: input.membership.memberNo ?? null, business_plan: input.businessPlan,
      documents: JSON.stringify(input.documents ?? []), guarantors: JSON.stringify(guarantors), requested_amount: input.requestedAmount,
      requested_term: input.termMonths, applied_date: appliedDate, created_by: user.id, created_at: now,
    }),
    amount: input.requestedAmount,
    publicExtra: { pilotUnit: unit.code, product: product.code, maskedName: maskName(input.borrower.name), date: appliedDate },
    privateExtra: { guarantors: guarantors.length },
  });
  return loan.id;
}

async function lockLoan(trx: Knex.Transaction, user: SessionUser | null, id: number) {
  const raw = await trx('loans').where({ id }).forUpdate().first();
  if (!raw) throw notFound('loan');
  const l = decodeLoan(raw);
  if (user && !inScope(user, l.district)) throw forbidden(`loan ${l.loan_no} is not of your district`).zh(`贷款 ${l.loan_no} 不在您的范围内`);
  return l;
}

export async function reviewLoan(trx: Knex.Transaction, user: SessionUser, id: number, input: { recommendedAmount?: string; note?: string }) {
  const l = await lockLoan(trx, user, id);
  if (input.recommendedAmount && D(input.recommendedAmount).gt(l.requested_amount)) {
    throw unprocessable('amount_exceeds_request', 'the recommended amount is above the requested amount', { requestedAmount: money(l.requested_amount) })
      .zh(`建议金额 ${money(input.recommendedAmount)} 元超过申请金额 ${money(l.requested_amount)} 元`);
  }
  await loanWorkflow.apply(trx, l, 'review', user, { note: input.note, amount: input.recommendedAmount ?? l.requested_amount, patch: { recommended_amount: input.recommendedAmount ?? l.requested_amount } });
}

/** What the pilot unit has approved or lent this year besides this loan (for its quota). */
async function unitCommitted(trx: Knex.Transaction, l: LoanRow) {
  const r = await trx('loans').where({ pilot_unit_id: l.pilot_unit_id }).whereIn('status', ['approved', 'active', 'closed', 'written_off']).whereNot({ id: l.id }).sum<{ s: string | null }[]>('approved_amount as s');
  return money(r[0]?.s ?? 0);
}

export async function approveLoan(trx: Knex.Transaction, user: SessionUser, id: number, input: { approvedAmount: string; note?: string; date?: string }, settings: LoanSettings) {
  const l = await lockLoan(trx, user, id);
  const date = input.date ?? shanghaiDate();
  const product = await productById(trx, l.product_id);
  // The unit's row lock makes approvals in one pilot unit wait for each other, so the quota holds at once too.
  const unit = decodePilotUnit(await trx('loan_pilot_units').where({ id: l.pilot_unit_id }).forUpdate().first());
  const approveInput: ApproveInput = { approvedAmount: input.approvedAmount, limits: { districtLimit: settings.districtLimit, foundationLimit: settings.foundationLimit }, product, unitCommitted: await unitCommitted(trx, l), unitQuota: unit.quota };
  const needed = loanTier(input.approvedAmount, settings) === 'two_foundation' ? 2 : 1;
  const prior = await trx('loan_approvals').where({ loan_id: l.id, step: 'approve', round: l.schedule_version }).count<{ n: string }[]>('* as n').then((r) => Number(r[0]!.n));
  const step = {
    input: approveInput, note: input.note, amount: input.approvedAmount,
    // The date is checked once state, role and guards have passed (their refusals come first).
    before: async () => {
      refuseFutureDate(date);
      if (date < l.applied_date) throw badRequest(`the approval cannot be dated before the application (${l.applied_date})`, [{ in: 'body', path: 'date', message: `must be on or after ${l.applied_date}` }]);
      await trx('loan_approvals').insert({ loan_id: l.id, step: 'approve', round: l.schedule_version, approver_id: user.id, approver: user.username, amount: input.approvedAmount, at: clock.now() });
    },
  };
  if (prior + 1 < needed) await loanWorkflow.apply(trx, l, 'record_approval', user, { ...step, publicExtra: { approvalsNeeded: needed, approvals: prior + 1, date } });
  else await loanWorkflow.apply(trx, l, 'approve', user, { ...step, patch: { approved_amount: input.approvedAmount, approved_date: date }, publicExtra: { date } });
}

export async function refuseLoan(trx: Knex.Transaction, user: SessionUser, id: number, input: { reasons: string[]; note: string }) {
  const l = await lockLoan(trx, user, id);
  await loanWorkflow.apply(trx, l, 'refuse', user, { note: input.note, patch: { refusal_reasons: JSON.stringify(input.reasons) }, publicExtra: { reasons: input.reasons } });
}

export async function withdrawLoan(trx: Knex.Transaction, user: SessionUser, id: number, input: { note?: string }) {
  const l = await lockLoan(trx, user, id);
  await loanWorkflow.apply(trx, l, 'withdraw', user, { note: input.note });
}

// ─────────────────────────────── disbursement and schedule ───────────────────────────────

/**
 * A repayment, write-off or restructuring is dated on or after the disbursement, the latest repayment and the
 * latest restructuring (else 400 on `date`): it is allocated against, or changes, the schedule of that day.
 */
async function refuseEarlyDate(trx: Knex.Transaction, l: LoanRow, date: string, path = 'date') {
  const last = await trx('loan_repayments').where({ loan_id: l.id }).max<{ d: string | null }[]>({ d: 'date' }).then((r) => r[0]?.d ?? null);
  const floor = [l.disbursed_date, last === null ? null : String(last), l.restructured_date].filter((d): d is string => d !== null).sort().at(-1);
  if (floor && date < floor) {
    throw badRequest(`the date ${date} is before ${floor} (the disbursement, the latest repayment or the latest restructuring)`, [{ in: 'body', path, message: `must be on or after ${floor}` }]);
  }
}

function refuseFutureDate(date: string) {
  const today = shanghaiDate();
  if (date > today) throw unprocessable('future_date', `the date ${date} is later than today (${today})`, { date, today }).zh(`日期 ${date} 晚于今天 ${today}`);
}

async function insertSchedule(trx: Knex.Transaction, loanId: number, version: number, rows: Instalment[]) {
  for (let i = 0; i < rows.length; i += 500) {
    await trx('loan_instalments').insert(rows.slice(i, i + 500).map((r) => ({
      loan_id: loanId, version, no: r.no, due_date: r.dueDate, principal: r.principal, interest: r.interest, subsidy: r.subsidy, borrower_interest: r.borrowerInterest,
    })));
  }
}

/**
 * Pays the loan out of its fund: Dr 1122 / Cr 1002, refused (409 insufficient_funds, nothing written) when the
 * fund's available amount is short; the schedule is generated and stored in the same transaction. Once only:
 * the loan leaves `approved` (a retry is 409 invalid_state, or the stored answer with the same Idempotency-Key).
 */
export async function disburseLoan(trx: Knex.Transaction, user: SessionUser, id: number, input: { date: string; paymentRef: string }) {
  const l = await lockLoan(trx, user, id);
  const refusal = await loanWorkflow.check(trx, l, 'disburse', user);
  if (refusal) throw refusal;
  refuseFutureDate(input.date);
  invariant(l.approved_amount && l.approved_date, 'an approved loan has its amount and date');
  if (input.date < l.approved_date) {
    throw badRequest(`a disbursement cannot be dated before the approval (${l.approved_date})`, [{ in: 'body', path: 'date', message: `must be on or after ${l.approved_date}` }]);
  }
  const amount = money(l.approved_amount);
  const balance = await fundBalance(trx, l.fund, { lock: true });
  if (D(balance.available).lt(amount)) {
    throw conflict('insufficient_funds', `fund ${l.fund} has ${balance.available} available, the loan needs ${amount}`, { fund: l.fund, available: balance.available, needed: amount })
      .zh(`基金 ${l.fund} 可用余额 ${balance.available} 元，本笔贷款需 ${amount} 元`);
  }
  const product = await productById(trx, l.product_id);
  const entry = await postJournalEntry(trx, user.username, {
    date: input.date, source: 'loan', sourceRef: l.loan_no, description: `创业贷款 ${l.loan_no} 放款 Loan disbursed (${input.paymentRef})`,
    lines: [
      { account: LOAN_ACCOUNTS.receivable, fund: l.fund, debit: amount, memo: l.loan_no, householdId: l.household_id ?? undefined },
      { account: LOAN_ACCOUNTS.bank, fund: l.fund, credit: amount, memo: input.paymentRef },
    ],
  });
  const schedule = buildSchedule({
    principal: amount, annualRatePercent: product.annual_rate, termMonths: l.requested_term, method: product.method,
    graceMonths: product.grace_months, subsidyPercent: product.subsidy_percent, startDate: input.date,
  });
  await insertSchedule(trx, l.id, 1, schedule);
  await loanWorkflow.apply(trx, l, 'disburse', user, {
    amount, note: `payment ${input.paymentRef}`,
    patch: { disbursed_date: input.date, disbursement_entry: entry.number, schedule_version: 1, principal_outstanding: amount },
    publicExtra: { date: input.date, entry: entry.number, instalments: schedule.length },
  });
  return entry.number;
}

async function currentInstalments(db: Db, l: LoanRow) {
  return (await db('loan_instalments').where({ loan_id: l.id, version: l.schedule_version }).orderBy('no')).map(decodeInstalment);
}

/** The instalment whose period holds the date: the schedule's first due after it (paid or not). */
const currentPeriod = (rows: InstalmentRow[], date: string) => rows.find((r) => r.due_date > date)?.no;

const owedInterest = (i: InstalmentRow) => D(i.borrower_interest).minus(i.paid_interest).minus(i.waived_interest);
const owedPrincipal = (i: InstalmentRow) => D(i.principal).minus(i.paid_principal);

const instalmentView = (i: InstalmentRow) => ({
  no: i.no, dueDate: i.due_date, principal: money(i.principal), interest: money(i.interest), subsidy: money(i.subsidy), borrowerInterest: money(i.borrower_interest),
  total: money(D(i.principal).plus(i.interest)), paidPrincipal: money(i.paid_principal), paidInterest: money(i.paid_interest), waivedInterest: money(i.waived_interest),
  outstanding: money(owedPrincipal(i).plus(owedInterest(i))),
});

export async function getSchedule(db: Db, user: SessionUser, id: number) {
  const raw = await db('loans').where({ id }).first();
  if (!raw || !inScope(user, decodeLoan(raw).district)) throw notFound('loan');
  const l = decodeLoan(raw);
  if (!l.schedule_version) throw invalidState(`loan ${l.loan_no} is not disbursed: it has no schedule yet`).zh(`贷款 ${l.loan_no} 尚未放款，没有还款计划`);
  const rows = await currentInstalments(db, l);
  let balance = D(rows.reduce((s, r) => s.plus(r.principal), D(0)));
  return {
    loanNo: l.loan_no, version: l.schedule_version, disbursedDate: l.disbursed_date,
    instalments: rows.map((r) => {
      balance = balance.minus(r.principal);
      return { ...instalmentView(r), balance: money(balance) };
    }),
    totals: {
      principal: money(sum(rows.map((r) => r.principal))), interest: money(sum(rows.map((r) => r.interest))),
      subsidy: money(sum(rows.map((r) => r.subsidy))), borrowerInterest: money(sum(rows.map((r) => r.borrower_interest))),
    },
  };
}

// ─────────────────────────────── repayments ───────────────────────────────

export interface RepaymentInput {
  amount: string;
  date: string;
  reference?: string;
}

const openOf = (rows: InstalmentRow[]): OpenInstalment[] =>
  rows.filter((i) => owedPrincipal(i).gt(0) || owedInterest(i).gt(0)).map((i) => ({ no: i.no, dueDate: i.due_date, principal: owedPrincipal(i), interest: owedInterest(i) }));

/** What it takes to pay the loan off on a date: penalty, all due, the current period, all principal. */
export async function payoff(db: Db, user: SessionUser, id: number, date: string) {
  const raw = await db('loans').where({ id }).first();
  if (!raw || !inScope(user, decodeLoan(raw).district)) throw notFound('loan');
  const l = decodeLoan(raw);
  if (l.status !== 'active') throw invalidState(`loan ${l.loan_no} is ${l.status}`).zh(`贷款 ${l.loan_no} 不在还款中`);
  const penalty = D(l.penalty_accrued).minus(l.penalty_paid);
  const rows = await currentInstalments(db, l);
  return { loanNo: l.loan_no, date, amount: money(payoffAmount(penalty, openOf(rows), date, currentPeriod(rows, date))), penalty: money(penalty) };
}

/**
 * Records a repayment: allocated by the configured order (penalty → interest → principal by default) over
 * the instalments due, oldest first, then early; posted Dr 1002 / Cr 1122 (principal) / Cr 4901 (interest,
 * penalty), with the fund's subsidy share of each instalment whose interest is settled (Dr 5101 / Cr 4901).
 * More than the payoff amount is 422 overpayment. The repayment that clears everything closes the loan.
 */
export async function recordRepayment(trx: Knex.Transaction, user: SessionUser, id: number, input: RepaymentInput & { statementLineId?: number }, settings: LoanSettings) {
  const l = await lockLoan(trx, user, id);
  const refusal = await loanWorkflow.check(trx, l, 'repay', user);
  if (refusal) throw refusal;
  refuseFutureDate(input.date);
  invariant(l.disbursed_date, 'an active loan was disbursed');
  await refuseEarlyDate(trx, l, input.date, input.statementLineId === undefined ? 'date' : 'statementLineId');
  const rows = await currentInstalments(trx, l);
  const penaltyOwed = D(l.penalty_accrued).minus(l.penalty_paid);
  const open = openOf(rows);
  const currentNo = currentPeriod(rows, input.date);
  const most = payoffAmount(penaltyOwed, open, input.date, currentNo);
  if (D(input.amount).gt(most)) {
    throw unprocessable('overpayment', `the loan takes at most ${money(most)} on ${input.date}`, { payoff: money(most) }).zh(`截至 ${input.date} 本笔贷款最多应还 ${money(most)} 元`);
  }
  const a = allocate(input.amount, penaltyOwed, open, input.date, settings.allocationOrder, currentNo);
  // The subsidy of an instalment is posted once, by the first repayment dated in or after its period that
  // leaves its borrower interest settled, whether or not that repayment touches it (a 100 % subsidised
  // instalment whose principal was prepaid is never touched again). Periods not begun: docs/loans.md.
  const paidNow = new Map(a.lines.map((x) => [x.no, x.interest]));
  let subsidy = D(0);
  const subsidised: number[] = [];
  for (const r of rows) {
    const begun = r.due_date <= input.date || r.no === currentNo;
    if (!begun || r.subsidy_posted || D(r.subsidy).lte(0)) continue;
    if (owedInterest(r).minus(paidNow.get(r.no) ?? 0).lte(0)) {
      subsidy = subsidy.plus(r.subsidy);
      subsidised.push(r.no);
    }
  }
  const f = l.fund;
  const lines: LineInput[] = [{ account: LOAN_ACCOUNTS.bank, fund: f, debit: money(input.amount), memo: input.reference ?? l.loan_no }];
  if (a.principal.gt(0)) lines.push({ account: LOAN_ACCOUNTS.receivable, fund: f, credit: money(a.principal), memo: `${l.loan_no} 本金 principal` });
  if (a.interest.gt(0)) lines.push({ account: LOAN_ACCOUNTS.income, fund: f, credit: money(a.interest), memo: `${l.loan_no} 利息 interest` });
  if (a.penalty.gt(0)) lines.push({ account: LOAN_ACCOUNTS.income, fund: f, credit: money(a.penalty), memo: `${l.loan_no} 罚息 penalty` });
  if (subsidy.gt(0)) {
    lines.push({ account: LOAN_ACCOUNTS.subsidy, fund: f, debit: money(subsidy), memo: `${l.loan_no} 贴息 interest subsidy` });
    lines.push({ account: LOAN_ACCOUNTS.income, fund: f, credit: money(subsidy), memo: `${l.loan_no} 贴息利息 subsidised interest` });
  }
  const entry = await postJournalEntry(trx, user.username, {
    date: input.date, source: 'loan', sourceRef: l.loan_no, description: `创业贷款 ${l.loan_no} 还款 Loan repayment${input.reference ? ` (${input.reference})` : ''}`, lines,
  });
  for (const line of a.lines) {
    await trx('loan_instalments').where({ loan_id: l.id, version: l.schedule_version, no: line.no }).update({
      paid_principal: trx.raw('paid_principal + ?', [money(line.principal)]), paid_interest: trx.raw('paid_interest + ?', [money(line.interest)]),
    });
  }
  for (const w of a.waived) {
    await trx('loan_instalments').where({ loan_id: l.id, version: l.schedule_version, no: w.no }).update({ waived_interest: trx.raw('waived_interest + ?', [money(w.interest)]) });
  }
  if (subsidised.length) await trx('loan_instalments').where({ loan_id: l.id, version: l.schedule_version }).whereIn('no', subsidised).update({ subsidy_posted: true });
  const [rep] = await trx('loan_repayments').insert({
    loan_id: l.id, date: input.date, amount: input.amount, penalty: money(a.penalty), interest: money(a.interest), principal: money(a.principal), subsidy: money(subsidy),
    entry_number: entry.number, statement_line_id: input.statementLineId ?? null, reference: input.reference ?? null, created_by: user.username, created_at: clock.now(),
  }).returning('*');
  const outstanding = D(l.principal_outstanding).minus(a.principal);
  const penaltyPaid = D(l.penalty_paid).plus(a.penalty);
  const interestLeft = open.reduce((s, i) => s.plus(i.interest), D(0)).minus(a.interest).minus(a.waived.reduce((s, w) => s.plus(w.interest), D(0)));
  const settled = outstanding.isZero() && interestLeft.lte(0) && penaltyPaid.eq(l.penalty_accrued);
  await loanWorkflow.apply(trx, l, settled ? 'settle' : 'repay', user, {
    amount: input.amount, note: input.reference ?? null,
    patch: { principal_outstanding: money(outstanding), penalty_paid: money(penaltyPaid), ...(settled ? { closed_date: input.date } : {}) },
    publicExtra: { date: input.date, entry: entry.number, penalty: money(a.penalty), interest: money(a.interest), principal: money(a.principal), subsidy: money(subsidy) },
  });
  return { repayment: repaymentView(decodeRepayment(rep)), entry, settled };
}

const repaymentView = (r: ReturnType<typeof decodeRepayment>) => ({
  id: r.id, date: r.date, amount: money(r.amount), penalty: money(r.penalty), interest: money(r.interest), principal: money(r.principal), subsidy: money(r.subsidy),
  entry: r.entry_number, statementLineId: r.statement_line_id, reference: r.reference, recordedBy: r.created_by, recordedAt: iso(r.created_at),
});

/**
 * A repayment seen on the bank statement (reconciliation domain): the statement line's amount and date are
 * recorded as a repayment of the loan and its bank line is matched to the line, in one transaction. A line
 * is used once (unique on loan_repayments.statement_line_id, and the reconciliation's own one-match rule).
 */
export async function repayFromStatement(trx: Knex.Transaction, user: SessionUser, id: number, input: { statementLineId: number }, settings: LoanSettings) {
  const line = await getStatementLine(trx, input.statementLineId);
  if (!line) throw notFound(`statement line ${input.statementLineId}`);
  const l = await lockLoan(trx, user, id);
  if (line.fund !== l.fund) {
    throw unprocessable('invalid_match', `statement line ${line.id} is on fund ${line.fund}, the loan is lent from ${l.fund}`, { fund: line.fund, loanFund: l.fund }).zh(`该对账单明细属于基金 ${line.fund}，本笔贷款出自基金 ${l.fund}`);
  }
  if (D(line.amount).lte(0)) throw unprocessable('invalid_match', `statement line ${line.id} is not money in`).zh('该明细不是收款');
  if (line.matched || (await trx('loan_repayments').where({ statement_line_id: line.id }).first('id'))) {
    throw conflict('already_matched', `statement line ${line.id} is already matched`, { statementLineId: line.id }).zh('该对账单明细已匹配');
  }
  const out = await recordRepayment(trx, user, id, { amount: money(line.amount), date: line.date, reference: line.reference ?? `statement line ${line.id}`, statementLineId: line.id }, settings);
  const bankLine = out.entry.lines.find((x) => x.account === LOAN_ACCOUNTS.bank && x.debit);
  invariant(bankLine, 'a repayment has its bank line');
  await createManualMatch(trx, user.username, { statementLineIds: [line.id], ledgerLineIds: [bankLine.id], note: `loan ${l.loan_no}` });
  return out;
}

// ─────────────────────────────── arrears, penalty job ───────────────────────────────

/**
 * The daily penalty accrual (src/jobs.ts): for every active loan with something past due on `asOf`, one row
 * (loan, day) with the day's penalty on the overdue amount at the product's penalty rate / 365. A unique key
 * on (loan, day) and ON CONFLICT DO NOTHING make a second run, or a second instance, add nothing; only the
 * rows actually inserted raise the loans' accrued penalty (one statement). Penalty is income when received
 * (cash basis), so the job posts nothing to the ledger. Returns the number of loans charged.
 */
export async function accrueLoanPenalties(db: Knex, asOf: string = shanghaiDate()) {
  return db.transaction(async (trx) => {
    const { rows } = await trx.raw(
      `WITH base AS (
         SELECT l.id AS loan_id, p.penalty_rate,
                SUM(i.principal - i.paid_principal + i.borrower_interest - i.paid_interest - i.waived_interest) AS base
           FROM loans l
           JOIN loan_products p ON p.id = l.product_id
           JOIN loan_instalments i ON i.loan_id = l.id AND i.version = l.schedule_version AND i.due_date < ?::date
          WHERE l.status = 'active' AND p.penalty_rate > 0
          GROUP BY l.id, p.penalty_rate),
       ins AS (
         INSERT INTO loan_penalty_accruals (loan_id, date, base, amount)
         SELECT loan_id, ?::date, base, ROUND(base * penalty_rate / 36500, 2) FROM base WHERE ROUND(base * penalty_rate / 36500, 2) > 0
         ON CONFLICT (loan_id, date) DO NOTHING
         RETURNING loan_id, amount)
       UPDATE loans SET penalty_accrued = loans.penalty_accrued + ins.amount FROM ins WHERE loans.id = ins.loan_id
       RETURNING ins.amount`,
      [asOf, asOf],
    );
    const list = rows as { amount: string }[];
    if (!list.length) return 0;
    await appendAudit(trx, {
      actor: 'system', action: 'loan.penalties_accrued', subject: `loan-penalties:${asOf}`,
      publicPayload: { date: asOf, loans: list.length, total: money(sum(list.map((r) => r.amount))) },
    });
    return list.length;
  });
}

export interface ArrearsItem {
  id: number;
  loanNo: string;
  maskedName: string;
  district: string | null;
  pilotUnit: string;
  daysPastDue: number;
  bucket: Bucket;
  overdue: string;
  principalOutstanding: string;
  penaltyOutstanding: string;
  oldestDueDate: string;
}

/** Active loans with something past due as of a date, by days past due (most first), for officers. */
export async function arrearsList(db: Db, user: SessionUser, q: { asOf?: string; bucket?: Bucket; district?: string; limit: number; cursor?: string }) {
  const asOf = q.asOf ?? shanghaiDate();
  const rows = await overdueLoans(db, asOf, (b) => {
    if (user.district && !user.roles.some((r) => r === 'admin' || r === 'finance' || r === 'auditor')) b.where('l.district', user.district);
    if (q.district) b.where('l.district', q.district);
  });
  const items: ArrearsItem[] = rows
    .map((r) => {
      const dpd = daysBetween(r.oldest, asOf);
      return {
        id: r.id, loanNo: r.loan_no, maskedName: r.masked_name, district: r.district, pilotUnit: r.unit, daysPastDue: dpd, bucket: bucketOf(dpd),
        overdue: money(r.overdue), principalOutstanding: money(r.principal_outstanding), penaltyOutstanding: money(D(r.penalty_accrued).minus(r.penalty_paid)), oldestDueDate: r.oldest,
      };
    })
    .filter((i) => !q.bucket || i.bucket === q.bucket)
    .sort((a, b) => b.daysPastDue - a.daysPastDue || a.id - b.id);
  const start = q.cursor ? Number(q.cursor) : 0;
  const page = items.slice(start, start + q.limit);
  const summary = Object.fromEntries((['1-30', '31-60', '61-90', 'over_90'] as const).map((b) => {
    const inB = items.filter((i) => i.bucket === b);
    return [b, { loans: inB.length, principalOutstanding: money(sum(inB.map((i) => i.principalOutstanding))) }];
  }));
  return { asOf, items: page, nextCursor: start + q.limit < items.length ? String(start + q.limit) : null, buckets: summary };
}

interface OverdueRow {
  id: number;
  loan_no: string;
  masked_name: string;
  district: string | null;
  unit: string;
  principal_outstanding: string;
  penalty_accrued: string;
  penalty_paid: string;
  oldest: string;
  overdue: string;
}

/** Active loans with an instalment owed and due before asOf: the oldest such due date and the amount overdue. */
async function overdueLoans(db: Db, asOf: string, scope: (b: Knex.QueryBuilder) => void): Promise<OverdueRow[]> {
  const owed = 'i.principal - i.paid_principal + i.borrower_interest - i.paid_interest - i.waived_interest';
  const b = db('loans as l')
    .join('loan_pilot_units as u', 'u.id', 'l.pilot_unit_id')
    .join('loan_instalments as i', function on() {
      this.on('i.loan_id', 'l.id').andOn('i.version', 'l.schedule_version');
    })
    .where('l.status', 'active').where('i.due_date', '<', asOf).whereRaw(`${owed} > 0`)
    .groupBy('l.id', 'u.code')
    .select('l.id', 'l.loan_no', 'l.masked_name', 'l.district', 'u.code as unit', 'l.principal_outstanding', 'l.penalty_accrued', 'l.penalty_paid')
    .select(db.raw(`to_char(MIN(i.due_date), 'YYYY-MM-DD') AS oldest`), db.raw(`SUM(${owed}) AS overdue`));
  scope(b);
  return (await b).map((r: Record<string, unknown>) => ({
    id: Number(r.id), loan_no: String(r.loan_no), masked_name: String(r.masked_name), district: r.district === null ? null : String(r.district), unit: String(r.unit),
    principal_outstanding: String(r.principal_outstanding), penalty_accrued: String(r.penalty_accrued), penalty_paid: String(r.penalty_paid), oldest: String(r.oldest), overdue: String(r.overdue),
  }));
}

// ─────────────────────────────── write-off, restructuring ───────────────────────────────

/**
 * Write-off (核销): two different approvers. The first is recorded; the second writes the outstanding
 * principal off (Dr 5201 / Cr 1122) and the loan leaves the portfolio; unpaid interest and penalty were
 * never booked (cash basis), so they are simply no longer owed.
 */
export async function writeOffLoan(trx: Knex.Transaction, user: SessionUser, id: number, input: { note: string; date?: string }) {
  const l = await lockLoan(trx, user, id);
  const date = input.date ?? shanghaiDate();
  refuseFutureDate(date);
  await refuseEarlyDate(trx, l, date);
  const prior = await trx('loan_approvals').where({ loan_id: l.id, step: 'write_off', round: l.schedule_version }).count<{ n: string }[]>('* as n').then((r) => Number(r[0]!.n));
  const record = () => trx('loan_approvals').insert({ loan_id: l.id, step: 'write_off', round: l.schedule_version, approver_id: user.id, approver: user.username, amount: l.principal_outstanding, at: clock.now() }).then(() => undefined);
  if (prior === 0) {
    await loanWorkflow.apply(trx, l, 'record_write_off_approval', user, { note: input.note, amount: l.principal_outstanding, before: record, publicExtra: { approvalsNeeded: 2, approvals: 1 } });
    return null;
  }
  const amount = money(l.principal_outstanding);
  const facts: { date: string; entry: string | null } = { date, entry: null };
  // The second approval, the posting and the new state go together, once the guards have passed.
  await loanWorkflow.apply(trx, l, 'write_off', user, {
    note: input.note, amount, patch: { written_off: amount, principal_outstanding: '0.00', closed_date: date }, publicExtra: facts,
    before: async () => {
      await record();
      if (D(amount).lte(0)) return;
      const entry = await postJournalEntry(trx, user.username, {
        date, source: 'loan', sourceRef: l.loan_no, description: `创业贷款 ${l.loan_no} 核销 Loan written off`,
        lines: [
          { account: LOAN_ACCOUNTS.writeOff, fund: l.fund, debit: amount, memo: `${l.loan_no} 坏账核销 write-off` },
          { account: LOAN_ACCOUNTS.receivable, fund: l.fund, credit: amount, memo: l.loan_no },
        ],
      });
      facts.entry = entry.number;
    },
  });
  const entryNo = facts.entry;
  return entryNo;
}

/**
 * Restructuring (重组): two different approvers agreeing on the new term. The second replaces the schedule:
 * the outstanding principal plus the borrower interest past due and unpaid (capitalised: Dr 1122 / Cr 4901)
 * is rescheduled from the date over the new term with the product's rate, method and subsidy (no grace).
 * The accrued penalty stays owed as it is.
 */
export async function restructureLoan(trx: Knex.Transaction, user: SessionUser, id: number, input: { termMonths: number; note: string; date?: string }) {
  const l = await lockLoan(trx, user, id);
  const date = input.date ?? shanghaiDate();
  refuseFutureDate(date);
  await refuseEarlyDate(trx, l, date);
  const key = { termMonths: input.termMonths };
  const prior = await trx('loan_approvals').where({ loan_id: l.id, step: 'restructure', round: l.schedule_version }).count<{ n: string }[]>('* as n').then((r) => Number(r[0]!.n));
  const record = () => trx('loan_approvals').insert({ loan_id: l.id, step: 'restructure', round: l.schedule_version, approver_id: user.id, approver: user.username, terms: JSON.stringify(key), at: clock.now() }).then(() => undefined);
  if (prior === 0) {
    await loanWorkflow.apply(trx, l, 'record_restructure_approval', user, { note: input.note, input: key, before: record, publicExtra: { approvalsNeeded: 2, approvals: 1, termMonths: input.termMonths } });
    return null;
  }
  const product = await productById(trx, l.product_id);
  const rows = await currentInstalments(trx, l);
  const capitalised = rows.filter((r) => r.due_date <= date).reduce((s, r) => s.plus(owedInterest(r)), D(0));
  const principal = D(l.principal_outstanding).plus(capitalised);
  if (principal.lte(0)) throw invalidState(`loan ${l.loan_no} has no principal left to reschedule`).zh(`贷款 ${l.loan_no} 已无剩余本金可重组`);
  const version = l.schedule_version + 1;
  const schedule = buildSchedule({
    principal, annualRatePercent: product.annual_rate, termMonths: input.termMonths, method: product.method,
    graceMonths: 0, subsidyPercent: product.subsidy_percent, startDate: date,
  });
  const facts: Record<string, unknown> = { date, entry: null, termMonths: input.termMonths, capitalised: money(capitalised) };
  await loanWorkflow.apply(trx, l, 'restructure', user, {
    note: input.note, amount: money(principal), input: key, publicExtra: facts,
    patch: { schedule_version: version, principal_outstanding: money(principal), restructured_date: date },
    before: async () => {
      await record();
      if (capitalised.gt(0)) {
        const entry = await postJournalEntry(trx, user.username, {
          date, source: 'loan', sourceRef: l.loan_no, description: `创业贷款 ${l.loan_no} 重组：逾期利息转本金 Restructured: overdue interest capitalised`,
          lines: [
            { account: LOAN_ACCOUNTS.receivable, fund: l.fund, debit: money(capitalised), memo: l.loan_no },
            { account: LOAN_ACCOUNTS.income, fund: l.fund, credit: money(capitalised), memo: `${l.loan_no} 利息 interest (capitalised)` },
          ],
        });
        facts.entry = entry.number;
      }
      await insertSchedule(trx, l.id, version, schedule);
    },
  });
  const entryNo = facts.entry as string | null;
  return entryNo;
}

// ─────────────────────────────── reads ───────────────────────────────

/** Admins, foundation approvers, and users of the loan's district see the borrower in full; others masked. */
const seesIdentifiers = (u: SessionUser, district: string | null) =>
  u.roles.includes('admin') || (u.roles.includes('approver') && !u.district) || (u.district !== null && u.district === district && (u.roles.includes('officer') || u.roles.includes('approver')));

export async function getLoan(db: Db, user: SessionUser, id: number, settings: LoanTierLimits) {
  const raw = await db('loans').where({ id }).first();
  if (!raw) throw notFound('loan');
  const l = decodeLoan(raw);
  if (!inScope(user, l.district)) throw notFound('loan');
  const full = seesIdentifiers(user, l.district);
  const idNumber = decryptPersonal(l.id_number_enc);
  const phone = l.phone_enc ? decryptPersonal(l.phone_enc) : null;
  const product = await productById(db, l.product_id);
  const unit = decodePilotUnit(await db('loan_pilot_units').where({ id: l.pilot_unit_id }).first());
  const timeline = (await db('loan_events').where({ loan_id: l.id }).orderBy('id')).map(decodeLoanEvent);
  const repayments = (await db('loan_repayments').where({ loan_id: l.id }).orderBy('id')).map(decodeRepayment);
  const rows = l.schedule_version ? await currentInstalments(db, l) : [];
  const today = shanghaiDate();
  const dpd = l.status === 'active' ? daysPastDue(rows.map((r) => ({ dueDate: r.due_date, outstanding: owedPrincipal(r).plus(owedInterest(r)) })), today) : 0;
  return {
    id: l.id, loanNo: l.loan_no, year: l.year, status: l.status, district: l.district, fund: l.fund,
    pilotUnit: { code: unit.code, nameZh: unit.name_zh, kind: unit.kind },
    product: productView(product),
    borrower: {
      name: full ? decryptPersonal(l.name_enc) : l.masked_name, maskedName: l.masked_name,
      idNumber: full ? idNumber : maskIdNumber(idNumber), phone: phone === null ? null : full ? phone : maskPhone(phone),
    },
    householdId: l.household_id,
    membership: { unionOrg: l.union_org, memberNo: l.member_no },
    businessPlan: l.business_plan,
    documents: l.documents,
    guarantors: l.guarantors.map((g) => {
      const gid = decryptPersonal(g.idNumberSealed);
      return { name: full ? decryptPersonal(g.nameSealed) : g.maskedName, idNumber: full ? gid : maskIdNumber(gid), relation: g.relation };
    }),
    requestedAmount: money(l.requested_amount), termMonths: l.requested_term,
    recommendedAmount: l.recommended_amount === null ? null : money(l.recommended_amount),
    approvedAmount: l.approved_amount === null ? null : money(l.approved_amount),
    tier: loanTier(l.approved_amount ?? l.recommended_amount ?? l.requested_amount, settings),
    tierLimits: { district: money(settings.districtLimit), foundation: money(settings.foundationLimit) },
    refusalReasons: l.refusal_reasons,
    appliedDate: l.applied_date, approvedDate: l.approved_date, restructuredDate: l.restructured_date,
    disbursedDate: l.disbursed_date, disbursementEntry: l.disbursement_entry, closedDate: l.closed_date,
    principalOutstanding: money(l.principal_outstanding), penaltyAccrued: money(l.penalty_accrued), penaltyPaid: money(l.penalty_paid),
    penaltyOutstanding: money(D(l.penalty_accrued).minus(l.penalty_paid)), writtenOff: money(l.written_off),
    daysPastDue: dpd, bucket: bucketOf(dpd),
    repayments: repayments.map(repaymentView),
    timeline: timeline.map((t) => ({ action: t.action, fromStatus: t.from_status, toStatus: t.to_status, actor: t.actor, amount: t.amount === null ? null : money(t.amount), note: t.note, at: iso(t.at) })),
    createdAt: iso(l.created_at), updatedAt: iso(l.updated_at),
  };
}

export interface LoanQuery {
  status?: string;
  year?: number;
  pilotUnit?: string;
  district?: string;
  limit: number;
  cursor?: string;
}

export async function listLoans(db: Db, user: SessionUser, q: LoanQuery) {
  const b = db('loans as l').join('loan_pilot_units as u', 'u.id', 'l.pilot_unit_id').orderBy('l.id', 'desc').limit(q.limit + 1)
    .select('l.id', 'l.loan_no', 'l.year', 'l.status', 'l.district', 'l.masked_name', 'l.requested_amount', 'l.approved_amount', 'l.principal_outstanding', 'l.disbursed_date', 'l.created_at', 'u.code as unit');
  if (user.district && !user.roles.some((r) => r === 'admin' || r === 'finance' || r === 'auditor')) b.where('l.district', user.district);
  if (q.status) b.where('l.status', q.status);
  if (q.year) b.where('l.year', q.year);
  if (q.district) b.where('l.district', q.district);
  if (q.pilotUnit) b.where('u.code', q.pilotUnit);
  if (q.cursor) b.where('l.id', '<', Number(q.cursor));
  const rows = (await b).map((r: Record<string, unknown>) => ({
    id: Number(r.id), loanNo: String(r.loan_no), year: Number(r.year), status: String(r.status), district: r.district === null ? null : String(r.district),
    maskedName: String(r.masked_name), pilotUnit: String(r.unit), requestedAmount: money(String(r.requested_amount)),
    approvedAmount: r.approved_amount === null ? null : money(String(r.approved_amount)), principalOutstanding: money(String(r.principal_outstanding)),
    disbursedDate: r.disbursed_date === null ? null : String(r.disbursed_date), createdAt: iso(r.created_at as Date),
  }));
  return pageOf(rows, q.limit, (r) => r.id);
}
