import type { Knex } from 'knex';
import type { Db } from '../platform/db';
import { clock, shanghaiDate } from '../platform/clock';
import { conflict, forbidden, invalidState, invariant, notFound, badRequest } from '../platform/errors';
import { Decimal, money } from '../platform/money';
import { maskName } from '../platform/masking';
import { sortedPage, type SortedListQuery, type SortSpec } from '../platform/list-sort';
import { encryptPersonal } from '../platform/personal-data';
import { canSeeDistrict, districtScope, isFoundationApprover, type SessionUser } from '../auth';
import { fundBalance, getFund, postJournalEntry, aidPaidByHousehold } from '../ledger';
import { createApplicantHousehold, getHouseholdSummary, markHouseholdAssisted } from '../households';
import {
  approvalsNeeded, caseNumber, decodeApproval, decodeCase, decodeEvent, decodeObjection, plainText, tierFor, type AidCaseRow, type AidObjectionRow, type AidReason, type TierLimits,
} from './model';
import { aidWorkflow, fundScopeRefusal, publicFacts, type ApproveInput } from './workflow';

export interface AidSettings extends TierLimits {
  noticePeriodMs: number;
  /**
   * Demo seeding only (seeds/aid.ts): when an approved case's notice started, so demo cases show a real notice
   * period in the past. No route or job sets it; every other caller's notice starts at approval.
   */
  seedNoticeStart?: Date;
}

export interface Attachment {
  fileName: string;
  sha256: string;
  note?: string;
}

export interface NewCase {
  householdId?: number;
  applicant?: { headName: string; idNumber: string; phone?: string; unionOrg?: string; address?: string; district?: string };
  fund: string;
  reason: AidReason;
  description: string;
  requestedAmount: string;
  urgent: boolean;
  attachments?: Attachment[];
}

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);
const amountOrNull = (v: string | null) => (v === null ? null : money(v));

async function lockCase(trx: Knex.Transaction, user: SessionUser | undefined, where: { id: number } | { case_no: string }) {
  const raw = await trx('aid_cases').where(where).forUpdate().first();
  if (!raw) throw notFound('aid case');
  const c = decodeCase(raw);
  if (user && !canSeeDistrict(user, c.district)) throw forbidden(`case ${c.case_no} belongs to district ${c.district}`).zh(`案件 ${c.case_no} 属于 ${c.district} 区，不在您的范围内`);
  return c;
}

async function nextCaseNo(trx: Knex.Transaction, district: string) {
  const year = Number(shanghaiDate().slice(0, 4));
  const [row] = await trx.raw(
    `INSERT INTO aid_case_counters (year, district, last) VALUES (?, ?, 1)
     ON CONFLICT (year, district) DO UPDATE SET last = aid_case_counters.last + 1 RETURNING last`,
    [year, district],
  ).then((r: { rows: { last: number }[] }) => r.rows);
  return caseNumber(year, district, row.last);
}

/** Fund scope on create (the case is not made yet): 422 fund_out_of_scope, the refusal of the workflow's guard. */
function assertFundInScope(fund: NonNullable<Awaited<ReturnType<typeof getFund>>>, district: string) {
  const refusal = fundScopeRefusal(fund, district);
  if (refusal) throw refusal;
}

export async function createCase(trx: Knex.Transaction, user: SessionUser, input: NewCase) {
  const fund = await getFund(trx, input.fund);
  if (!fund) throw badRequest(`unknown fund ${input.fund}`, [{ in: 'body', path: 'fund', message: `"fund" ${input.fund} does not exist` }]);
  let householdId = input.householdId;
  if (input.applicant) {
    const district = input.applicant.district ?? user.district;
    if (!district) throw badRequest('an applicant needs a district', [{ in: 'body', path: 'applicant.district', message: '"applicant.district" is required' }]);
    if (!canSeeDistrict(user, district)) throw forbidden(`you may not open cases in district ${district}`);
    assertFundInScope(fund, district);
    householdId = await createApplicantHousehold(trx, user, { ...input.applicant, district });
  }
  invariant(householdId, 'a case needs a household');
  const household = await getHouseholdSummary(trx, householdId);
  if (!household) throw badRequest(`household ${householdId} does not exist`, [{ in: 'body', path: 'householdId', message: 'no such household' }]);
  if (!canSeeDistrict(user, household.district)) throw forbidden(`household ${householdId} belongs to district ${household.district}`);
  assertFundInScope(fund, household.district);
  if (household.status === 'archived') throw invalidState('an archived household file cannot receive aid', { householdId });
  const caseNo = await nextCaseNo(trx, household.district);
  const c = await aidWorkflow.create(trx, user, {
    values: (now) => ({
      case_no: caseNo,
      household_id: householdId,
      masked_name: maskName(household.headName),
      district: household.district,
      fund: fund.code,
      reason: input.reason,
      description: input.description,
      requested_amount: input.requestedAmount,
      urgent: input.urgent,
      attachments: JSON.stringify(input.attachments ?? []),
      created_by: user.id,
      created_at: now,
    }),
    amount: input.requestedAmount,
    publicExtra: { requestedAmount: money(input.requestedAmount) },
    privateExtra: { fund: fund.code, description: input.description },
  });
  return c.id;
}

export async function submitCase(trx: Knex.Transaction, user: SessionUser, id: number) {
  const c = await lockCase(trx, user, { id });
  await aidWorkflow.apply(trx, c, 'submit', user, { amount: c.requested_amount });
}

export async function reviewCase(trx: Knex.Transaction, user: SessionUser, id: number, input: { recommendedAmount: string; note?: string }) {
  const c = await lockCase(trx, user, { id });
  await aidWorkflow.apply(trx, c, 'review', user, { input, note: input.note, amount: input.recommendedAmount, patch: { recommended_amount: input.recommendedAmount, reviewed_by: user.id } });
}

export async function approveCase(trx: Knex.Transaction, user: SessionUser, id: number, input: { approvedAmount: string; note?: string }, settings: AidSettings) {
  const c = await lockCase(trx, user, { id });
  const amount = input.approvedAmount;
  const tier = tierFor(amount, settings);
  const prior = await trx('aid_approvals').where({ case_id: c.id }).count<{ n: string }[]>('* as n').then((r) => Number(r[0]!.n));
  const approveInput: ApproveInput = { approvedAmount: amount, limits: settings };
  const record = { input: approveInput, note: input.note, amount, before: () => trx('aid_approvals').insert({ case_id: c.id, approver_id: user.id, approver: user.username, amount, at: clock.now() }).then(() => undefined) };
  // Which way of approving: the first of two approvals, the urgent path (payable at once; the notice runs after
  // payment and the disclosure says so), or into the public notice. All three share their guards.
  if (prior + 1 < approvalsNeeded(tier)) {
    await aidWorkflow.apply(trx, c, 'record_approval', user, { ...record, publicExtra: { approvalsNeeded: approvalsNeeded(tier), approvals: prior + 1 } });
  } else if (c.urgent && isFoundationApprover(user)) {
    await aidWorkflow.apply(trx, c, 'approve_urgent', user, { ...record, patch: { approved_amount: amount, paid_before_notice: true }, publicExtra: { noticeAfterPayment: true } });
  } else {
    const start = settings.seedNoticeStart ?? clock.now();
    const end = new Date(start.getTime() + settings.noticePeriodMs);
    await aidWorkflow.apply(trx, c, 'approve', user, {
      ...record,
      patch: { approved_amount: amount, notice_start: start, notice_end: end },
      publicExtra: { noticeStart: start.toISOString(), noticeEnd: end.toISOString() },
    });
  }
}

export async function rejectCase(trx: Knex.Transaction, user: SessionUser, id: number, input: { note: string }) {
  const c = await lockCase(trx, user, { id });
  await aidWorkflow.apply(trx, c, 'reject', user, { note: input.note });
}

export async function withdrawCase(trx: Knex.Transaction, user: SessionUser, id: number, input: { note?: string }) {
  const c = await lockCase(trx, user, { id });
  await aidWorkflow.apply(trx, c, 'withdraw', user, { note: input.note });
}

/**
 * The one place a case becomes payable (the sweep, a payment of a case whose notice has ended, the dismissal of
 * its last objection): the `payable` transition, whose guard is the notice cleared. `must` throws its refusal.
 */
async function becomePayable(trx: Knex.Transaction, c: AidCaseRow, note: string, mode: 'must' | 'if_cleared') {
  if (mode === 'if_cleared' && (await aidWorkflow.check(trx, c, 'payable', 'system'))) return c;
  return aidWorkflow.apply(trx, c, 'payable', 'system', { note });
}

export async function disburseCase(trx: Knex.Transaction, user: SessionUser, id: number, input: { paymentRef: string; date: string }, settings: AidSettings) {
  let c = await lockCase(trx, user, { id });
  const refusal = await aidWorkflow.check(trx, c, 'disburse', user);
  if (refusal) throw refusal;
  if (c.status === 'in_notice') c = await becomePayable(trx, c, 'notice ended without objection', 'must');
  invariant(c.approved_amount, 'a payable case has its approved amount');
  const amount = money(c.approved_amount);
  const balance = await fundBalance(trx, c.fund, { lock: true });
  if (new Decimal(balance.available).lt(amount)) {
    throw conflict('insufficient_funds', `fund ${c.fund} has ${balance.available} available, the case needs ${amount}`, { fund: c.fund, available: balance.available, needed: amount })
      .zh(`基金 ${c.fund} 可用余额 ${balance.available} 元，本案需 ${amount} 元`);
  }
  const tags = { householdId: c.household_id, aidCaseId: c.id };
  const common = { date: input.date, source: 'aid' as const, sourceRef: c.case_no };
  const commitment = await postJournalEntry(trx, user.username, {
    ...common,
    description: `应急救助 ${c.case_no} 确认应付 Aid committed`,
    lines: [
      { account: '5101', fund: c.fund, debit: amount, memo: c.case_no, ...tags },
      { account: '2209', fund: c.fund, credit: amount, memo: c.case_no, ...tags },
    ],
  });
  const payment = await postJournalEntry(trx, user.username, {
    ...common,
    description: `应急救助 ${c.case_no} 支付 Aid paid (${input.paymentRef})`,
    lines: [
      { account: '2209', fund: c.fund, debit: amount, memo: input.paymentRef, ...tags },
      { account: '1002', fund: c.fund, credit: amount, memo: input.paymentRef, ...tags },
    ],
  });
  const now = clock.now();
  const noticeEnd = new Date(now.getTime() + settings.noticePeriodMs);
  const notice = c.paid_before_notice ? { notice_start: now, notice_end: noticeEnd } : {};
  await markHouseholdAssisted(trx, user.username, c.household_id, input.date, `aid case ${c.case_no} paid`);
  await aidWorkflow.apply(trx, c, 'disburse', user, {
    amount,
    note: `payment ${input.paymentRef}`,
    patch: { paid_date: input.date, payment_ref: input.paymentRef, ...notice },
    publicExtra: { paidDate: input.date, entries: [commitment.number, payment.number], ...(c.paid_before_notice ? { noticeAfterPayment: true, noticeEnd: noticeEnd.toISOString() } : {}) },
  });
}

export async function fileObjection(trx: Knex.Transaction, caseNo: string, input: { text: string; contact?: string }) {
  const raw = await trx('aid_cases').where({ case_no: caseNo }).forUpdate().first();
  const c = raw ? decodeCase(raw) : undefined;
  const now = clock.now();
  const inNotice = c && c.notice_end && c.notice_end > now && (c.status === 'in_notice' || (c.status === 'paid' && c.paid_before_notice));
  if (!c || !inNotice) throw notFound(`case ${caseNo} in public notice`);
  const text = plainText(input.text);
  if (!text) throw badRequest('the objection has no text once markup is removed', [{ in: 'body', path: 'text', message: '"text" is empty' }]);
  const [oRaw] = await trx('aid_objections')
    .insert({ case_id: c.id, text, contact_sealed: input.contact ? encryptPersonal(input.contact) : null, status: 'open', created_at: now })
    .returning('*');
  const o = decodeObjection(oRaw);
  await aidWorkflow.apply(trx, c, 'file_objection', 'public', { publicExtra: { objectionId: o.id } });
  return { id: o.id, caseNo, status: 'open', createdAt: iso(o.created_at) };
}

export async function resolveObjection(trx: Knex.Transaction, user: SessionUser, caseId: number, objectionId: number, input: { outcome: 'upheld' | 'dismissed'; note: string }) {
  const c = await lockCase(trx, user, { id: caseId });
  // Maker-checker first: whoever created, reviewed or approved the case does not judge an objection to it.
  const refusal = await aidWorkflow.check(trx, c, 'dismiss_objection', user);
  if (refusal) throw refusal;
  const oRaw = await trx('aid_objections').where({ id: objectionId, case_id: caseId }).forUpdate().first();
  if (!oRaw) throw notFound(`objection ${objectionId} of case ${c.case_no}`);
  const o = decodeObjection(oRaw);
  if (o.status !== 'open') throw invalidState(`the objection was already ${o.status}`).zh(`该异议已处理（${o.status === 'upheld' ? '成立' : '不成立'}）`);
  await trx('aid_objections').where({ id: o.id }).update({ status: input.outcome, resolved_by: user.id, resolved_at: clock.now(), resolution_note: input.note });
  const step = { note: input.note, publicExtra: { objectionId: o.id, outcome: input.outcome } };
  if (input.outcome === 'upheld') {
    if (c.status === 'paid') await aidWorkflow.apply(trx, c, 'open_recovery', user, { ...step, patch: { recovery_note: input.note } });
    else if (c.status === 'in_notice' || c.status === 'payable') await aidWorkflow.apply(trx, c, 'uphold_objection', user, step);
    else await aidWorkflow.apply(trx, c, 'note_upheld_objection', user, step);
    return;
  }
  const after = await aidWorkflow.apply(trx, c, 'dismiss_objection', user, step);
  await becomePayable(trx, after, 'notice ended; objections dismissed', 'if_cleared');
}

/**
 * The scheduled sweep: cases whose notice ended with no open or upheld objection become payable. One
 * instance at a time (advisory lock); disbursement checks the same rule itself, so a late sweep is harmless.
 */
export async function sweepNoticePeriods(ctx: { db: Knex }) {
  return ctx.db.transaction(async (trx) => {
    const { rows } = await trx.raw('SELECT pg_try_advisory_xact_lock(7303) AS got');
    if (!rows[0].got) return 0;
    const due = await trx('aid_cases as c')
      .where('c.status', 'in_notice')
      .where('c.notice_end', '<=', clock.now())
      .whereNotExists(trx('aid_objections as o').whereRaw('o.case_id = c.id').whereIn('o.status', ['open', 'upheld']))
      .orderBy('c.id')
      .limit(500)
      .forUpdate()
      .skipLocked()
      .select('c.*');
    for (const c of due) await becomePayable(trx, decodeCase(c), 'notice ended without objection', 'must');
    return due.length;
  });
}

function caseView(c: AidCaseRow) {
  return {
    id: c.id,
    ...publicFacts(c),
    householdId: c.household_id,
    fund: c.fund,
    description: c.description,
    requestedAmount: money(c.requested_amount),
    recommendedAmount: amountOrNull(c.recommended_amount),
    attachments: c.attachments,
    noticeStart: iso(c.notice_start),
    noticeEnd: iso(c.notice_end),
    paidBeforeNotice: c.paid_before_notice,
    paidDate: c.paid_date,
    paymentRef: c.payment_ref,
    recoveryNote: c.recovery_note,
    createdAt: iso(c.created_at),
    updatedAt: iso(c.updated_at),
  };
}

export async function getCase(db: Db, user: SessionUser, id: number, settings: TierLimits) {
  const raw = await db('aid_cases').where({ id }).first();
  const c = raw ? decodeCase(raw) : undefined;
  if (!c || !canSeeDistrict(user, c.district)) throw notFound(`aid case ${id}`);
  // One after another: db may be the request's transaction, a single connection.
  const events = (await db('aid_case_events').where({ case_id: id }).orderBy('id')).map(decodeEvent);
  const approvals = (await db('aid_approvals').where({ case_id: id }).orderBy('at')).map(decodeApproval);
  const objections = (await db('aid_objections').where({ case_id: id }).orderBy('id')).map(decodeObjection);
  const year = shanghaiDate().slice(0, 4);
  const paid = await aidPaidByHousehold(db, [c.household_id], `${year}-01-01`, `${year}-12-31`);
  const amountForTier = c.approved_amount ?? c.recommended_amount ?? c.requested_amount;
  const tier = tierFor(amountForTier, settings);
  return {
    ...caseView(c),
    tier,
    approvalsNeeded: approvalsNeeded(tier),
    // The limits that pick the tier, so a page can say who may approve which amount.
    tierLimits: { district: money(settings.districtLimit), foundation: money(settings.foundationLimit) },
    approvals: approvals.map((a) => ({ approver: a.approver, amount: money(a.amount), at: iso(a.at) })),
    householdAidThisYear: money(paid.get(c.household_id) ?? '0'),
    timeline: events.map((e) => ({ action: e.action, actor: e.actor, at: iso(e.at), note: e.note, amount: amountOrNull(e.amount), fromStatus: e.from_status, toStatus: e.to_status })),
    objections: objections.map((o) => ({ id: o.id, status: o.status, text: o.text, createdAt: iso(o.created_at), outcome: o.status === 'open' ? null : o.status, note: o.resolution_note, resolvedAt: iso(o.resolved_at) })),
  };
}

export interface CaseQuery extends SortedListQuery {
  status?: string;
  district?: string;
  reason?: string;
  fund?: string;
  householdId?: number;
  q?: string;
  minAmount?: string;
  maxAmount?: string;
  from?: string;
  to?: string;
}

/** GET /aid-cases?sort=: amount is the approved amount, or the requested one before approval. */
export const CASE_SORTS: SortSpec = {
  id: { expr: 'id', type: 'integer' },
  createdAt: { expr: 'created_at', type: 'timestamptz' },
  caseNo: { expr: 'case_no', type: 'text' },
  district: { expr: 'district', type: 'text' },
  reason: { expr: 'reason', type: 'text' },
  status: { expr: 'status', type: 'text' },
  fund: { expr: 'fund', type: 'text' },
  amount: { expr: 'COALESCE(approved_amount, requested_amount)', type: 'numeric' },
  requestedAmount: { expr: 'requested_amount', type: 'numeric' },
};

export async function listCases(db: Db, user: SessionUser, q: CaseQuery) {
  const scope = districtScope(user);
  if (scope && q.district && q.district !== scope) throw forbidden(`you see only district ${scope}`).zh(`只能查看本区（${scope}）的案件`);
  const query = db('aid_cases').select('aid_cases.*');
  if (scope ?? q.district) query.where('district', scope ?? q.district);
  if (q.status) query.where('status', q.status);
  if (q.reason) query.where('reason', q.reason);
  if (q.fund) query.where('fund', q.fund);
  if (q.householdId) query.where('household_id', q.householdId);
  if (q.q) query.whereRaw(`case_no ILIKE ? ESCAPE '\\'`, [`%${q.q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`]);
  if (q.minAmount) query.whereRaw('COALESCE(approved_amount, requested_amount) >= ?::numeric', [q.minAmount]);
  if (q.maxAmount) query.whereRaw('COALESCE(approved_amount, requested_amount) <= ?::numeric', [q.maxAmount]);
  // Dates of creation are Asia/Shanghai calendar days.
  if (q.from) query.whereRaw(`created_at >= (?::date)::timestamp AT TIME ZONE 'Asia/Shanghai'`, [q.from]);
  if (q.to) query.whereRaw(`created_at < (?::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'`, [q.to]);
  const page = await sortedPage(db, query, { spec: CASE_SORTS, sort: q.sort, cursor: q.cursor, limit: q.limit, withTotal: q.withTotal });
  return { ...page, items: page.items.map((r: Record<string, unknown>) => caseView(decodeCase(r))) };
}

/** Public notice board: cases in notice now (and urgent paid cases whose after-payment notice runs). */
/**
 * The instants the public board changes with no audit row (a notice period ends; a paid-before-notice case is
 * never swept): the last one passed and the next to come, for its validator and lifetime (src/http/conditional.ts).
 */
export async function noticeBoardTimeline(db: Db): Promise<{ last: Date | null; next: Date | null }> {
  const now = clock.now();
  const row = await db('aid_cases')
    .where((w) => w.where('status', 'in_notice').orWhere((p) => p.where('status', 'paid').where('paid_before_notice', true)))
    .first<{ last: Date | null; next: Date | null }>(db.raw('max(notice_end) FILTER (WHERE notice_end <= ?) AS last, min(notice_end) FILTER (WHERE notice_end > ?) AS next', [now, now]));
  return { last: row?.last ?? null, next: row?.next ?? null };
}

export async function listPublicNotices(db: Db, q: { limit: number; cursor?: string }) {
  const now = clock.now();
  const query = db('aid_cases')
    .where('notice_end', '>', now)
    .where((w) => w.where('status', 'in_notice').orWhere((p) => p.where('status', 'paid').where('paid_before_notice', true)))
    .orderBy('id')
    .limit(q.limit + 1);
  if (q.cursor) query.where('id', '>', Number(q.cursor));
  const rows = (await query).map(decodeCase);
  const items = rows.slice(0, q.limit).map((c) => ({
    id: c.id,
    caseNo: c.case_no,
    maskedName: c.masked_name,
    district: c.district,
    reason: c.reason,
    approvedAmount: money(c.approved_amount ?? '0'),
    noticeStart: iso(c.notice_start),
    noticeEnd: iso(c.notice_end),
    urgent: c.urgent,
    paidBeforeNotice: c.paid_before_notice,
    status: c.status,
  }));
  return { items, nextCursor: rows.length > q.limit ? String(rows[q.limit - 1].id) : null };
}

export interface Disclosure {
  caseNo: string;
  maskedName: string;
  district: string;
  reason: AidReason;
  approvedAmount: string;
  paidAt: string;
  fund: string;
  urgent: boolean;
  noticeStart: string | null;
  noticeEnd: string | null;
  paidBeforeNotice: boolean;
  recoveryOpened: boolean;
  /** Last change of the case (paidCaseDisclosures only: 360Giving dateModified). */
  updatedAt?: string;
}

const disclosureOf = (c: AidCaseRow): Disclosure => ({
  caseNo: c.case_no,
  maskedName: c.masked_name,
  district: c.district,
  reason: c.reason,
  approvedAmount: money(c.approved_amount ?? '0'),
  paidAt: c.paid_date ?? '',
  fund: c.fund,
  urgent: c.urgent,
  noticeStart: iso(c.notice_start),
  noticeEnd: iso(c.notice_end),
  paidBeforeNotice: c.paid_before_notice,
  recoveryOpened: c.recovery_note !== null,
});

function paidQuery(db: Db, q: { from?: string; to?: string; fund?: string }) {
  const query = db('aid_cases').where('status', 'paid');
  if (q.from) query.where('paid_date', '>=', q.from);
  if (q.to) query.where('paid_date', '<=', q.to);
  if (q.fund) query.where('fund', q.fund);
  return query;
}

export async function listDisclosures(db: Db, q: { from?: string; to?: string; fund?: string; limit: number; cursor?: string }) {
  const query = paidQuery(db, q).orderBy('id').limit(q.limit + 1);
  if (q.cursor) query.where('id', '>', Number(q.cursor));
  const rows = (await query).map(decodeCase);
  return { items: rows.slice(0, q.limit).map(disclosureOf), nextCursor: rows.length > q.limit ? String(rows[q.limit - 1].id) : null };
}

/** Paid cases in batches (keyset paging), for reports that must not hold 100k cases in memory. */
export async function* paidCaseDisclosures(db: Db, q: { from?: string; to?: string; fund?: string }, batchSize = 1000): AsyncIterable<Disclosure[]> {
  let after = 0;
  for (;;) {
    const rows = (await paidQuery(db, q).where('id', '>', after).orderBy('id').limit(batchSize)).map(decodeCase);
    if (!rows.length) return;
    yield rows.map((c) => ({ ...disclosureOf(c), updatedAt: iso(c.updated_at)! }));
    after = rows[rows.length - 1]!.id;
    if (rows.length < batchSize) return;
  }
}


/** The join row of listObjections: an objection with its case's facts. */
type ObjectionListRow = Pick<AidObjectionRow, 'id' | 'status' | 'text' | 'created_at' | 'resolution_note' | 'resolved_at' | 'case_id'> &
  Pick<AidCaseRow, 'case_no' | 'masked_name' | 'district' | 'reason' | 'approved_amount' | 'notice_end'> & { case_status: AidCaseRow['status'] };

/** Objections across the cases a user may see (the approvers' work list), oldest first. */
export async function listObjections(db: Db, user: SessionUser, q: { status?: 'open' | 'upheld' | 'dismissed'; limit: number; cursor?: string }) {
  const scope = districtScope(user);
  const query = db('aid_objections as o')
    .join('aid_cases as c', 'c.id', 'o.case_id')
    .where('o.status', q.status ?? 'open')
    .orderBy('o.id')
    .limit(q.limit + 1)
    .select('o.id', 'o.status', 'o.text', 'o.created_at', 'o.resolution_note', 'o.resolved_at', 'c.id as case_id', 'c.case_no', 'c.masked_name', 'c.district', 'c.reason', 'c.status as case_status', 'c.approved_amount', 'c.notice_end');
  if (scope) query.where('c.district', scope);
  if (q.cursor) query.where('o.id', '>', Number(q.cursor));
  const rows: ObjectionListRow[] = await query;
  const items = rows.slice(0, q.limit).map((o) => ({
    id: o.id, status: o.status, text: o.text, createdAt: iso(o.created_at), note: o.resolution_note, resolvedAt: iso(o.resolved_at),
    caseId: o.case_id, caseNo: o.case_no, maskedName: o.masked_name, district: o.district, reason: o.reason, caseStatus: o.case_status,
    approvedAmount: amountOrNull(o.approved_amount), noticeEnd: iso(o.notice_end),
  }));
  return { items, nextCursor: rows.length > q.limit ? String(items[items.length - 1]!.id) : null };
}

// ---------------------------------------------------------------------------------------------- for the documents domain

/** A case's district, file and tier (by the approved, else recommended, else requested amount); undefined when there is none. */
export async function caseScope(db: Db, id: number, limits: TierLimits): Promise<{ id: number; district: string; householdId: number; tier: ReturnType<typeof tierFor> } | undefined> {
  if (!Number.isSafeInteger(id) || id < 1 || id > 2147483647) return undefined;
  const raw = await db('aid_cases').where({ id }).first();
  if (!raw) return undefined;
  const c = decodeCase(raw);
  return { id: c.id, district: c.district, householdId: c.household_id, tier: tierFor(c.approved_amount ?? c.recommended_amount ?? c.requested_amount, limits) };
}

/** Whether a file has a case above the district tier: the cases foundation approvers decide. */
export async function householdHasCaseAboveDistrictTier(db: Db, householdId: number, limits: TierLimits): Promise<boolean> {
  const row = await db('aid_cases').where({ household_id: householdId })
    .whereRaw('COALESCE(approved_amount, recommended_amount, requested_amount) > ?::numeric', [limits.districtLimit]).first('id');
  return !!row;
}
