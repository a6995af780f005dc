import type { Knex } from 'knex';
import type { Db } from '../platform/db';
import { clock, shanghaiDate } from '../platform/clock';
import { conflict, forbidden, invalidState, invariant, notFound, unprocessable, badRequest } from '../platform/errors';
import { Decimal, money } from '../platform/money';
import { maskName } from '../platform/masking';
import { sortedPage, type SortedListQuery, type SortSpec } from '../platform/list-sort';
import { encryptPersonal } from '../platform/personal-data';
import { appendAudit } from '../audit';
import { canSeeDistrict, districtScope, isFoundationApprover, type SessionUser } from '../auth';
import { fundBalance, getFund, postJournalEntry, aidPaidByHousehold, type Fund } from '../ledger';
import { createApplicantHousehold, getHouseholdSummary, markHouseholdAssisted } from '../households';
import { ACTION_FROM, approvalsNeeded, approverFitsTier, caseNumber, fundInScope, plainText, tierFor, type AidReason, type AidStatus, type TierLimits } from './model';

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

/** What the public may know of a case (DESIGN §5): masked name, district, reason, amounts, dates. */
function publicFacts(c: any) {
  return {
    caseNo: c.case_no,
    maskedName: c.masked_name,
    district: c.district,
    reason: c.reason,
    urgent: c.urgent,
    status: c.status,
    approvedAmount: amountOrNull(c.approved_amount),
  };
}

async function lockCase(trx: Knex.Transaction, user: SessionUser | undefined, where: { id: number } | { case_no: string }) {
  const c = await trx('aid_cases').where(where).forUpdate().first();
  if (!c) throw notFound('aid case');
  if (user && !canSeeDistrict(user, c.district)) throw forbidden(`case ${c.case_no} belongs to district ${c.district}`).zh(`案件 ${c.case_no} 属于 ${c.district} 区，不在您的范围内`);
  return c;
}

// The Chinese of states and actions, for the refusals people read (messageZh).
const STATUS_ZH: Record<string, string> = {
  draft: '草稿', submitted: '已提交', reviewed: '已复核', approved: '已批准', in_notice: '公示中', payable: '待支付', paid: '已支付',
  rejected: '已驳回', withdrawn: '已撤回', cancelled: '已取消',
};
const ACTION_ZH: Record<string, string> = { submit: '提交', review: '复核', approve: '审批', reject: '驳回', withdraw: '撤回', disburse: '支付' };

function assertFrom(c: any, action: string) {
  const from = ACTION_FROM[action]!;
  if (!from.includes(c.status)) {
    throw invalidState(`cannot ${action} a case that is ${c.status}`, { caseNo: c.case_no, status: c.status, allowedFrom: from })
      .zh(`案件 ${c.case_no} 当前为「${STATUS_ZH[c.status] ?? c.status}」，不能${ACTION_ZH[action] ?? action}`);
  }
}

/** Moves a case (or records a step that keeps its state), with its timeline row and its audit row. */
async function recordStep(
  trx: Knex.Transaction,
  c: any,
  step: { action: string; to: AidStatus; actor: SessionUser | 'public' | 'system'; note?: string | null; amount?: string | null; patch?: Record<string, unknown>; publicExtra?: Record<string, unknown> },
) {
  const now = clock.now();
  const actorName = typeof step.actor === 'string' ? step.actor : step.actor.username;
  const [updated] = await trx('aid_cases')
    .where({ id: c.id })
    .update({ ...step.patch, status: step.to, updated_at: now })
    .returning('*');
  await trx('aid_case_events').insert({
    case_id: c.id,
    action: step.action,
    from_status: c.status,
    to_status: step.to,
    actor_id: typeof step.actor === 'string' ? null : step.actor.id,
    actor: actorName,
    amount: step.amount ?? null,
    note: step.note ?? null,
    at: now,
  });
  await appendAudit(trx, {
    actor: actorName,
    action: `aid.${step.action}`,
    subject: `aid-case:${c.case_no}`,
    publicPayload: { ...publicFacts(updated), ...(step.amount ? { amount: money(step.amount) } : {}), ...step.publicExtra },
    privatePayload: { caseId: c.id, householdId: c.household_id, fromStatus: c.status, toStatus: step.to, note: step.note ?? null },
  });
  return updated;
}

async function nextCaseNo(trx: Knex.Transaction, district: string) {
  const year = Number(shanghaiDate().slice(0, 4));
  const [row] = await trx.raw(
    `INSERT INTO aid_case_counters (year, district, last) VALUES (?, ?, 1)
     ON CONFLICT (year, district) DO UPDATE SET last = aid_case_counters.last + 1 RETURNING last`,
    [year, district],
  ).then((r: any) => r.rows);
  return caseNumber(year, district, row.last);
}

/**
 * The fund belongs to the district: a case draws on a fund of its own district (the district fund and the
 * enterprise/institution funds under it) or on a foundation-level fund; anything else is 422 fund_out_of_scope.
 * Checked on create and again at approval and disbursement (cases made before the rule).
 */
function assertFundInScope(fund: Fund | undefined, district: string, caseNo?: string): asserts fund is Fund {
  invariant(fund, 'the fund of a case exists');
  if (!fundInScope(fund, district)) {
    throw unprocessable(
      'fund_out_of_scope',
      `基金 ${fund.code} 不属于 ${district} 区，也不是基金会本级基金 · fund ${fund.code} is neither a fund of district ${district} nor a foundation-level fund`,
      { fund: fund.code, fundDistrict: fund.district, caseDistrict: district, ...(caseNo ? { caseNo } : {}) },
    ).zh(`基金 ${fund.code} 不属于 ${district} 区，也不是基金会本级基金`);
  }
}

/** A district approver approves only cases of their district drawing on a fund of their district. */
function assertApproverFitsFund(user: SessionUser, fund: Fund) {
  if (user.district && fund.district !== user.district) {
    throw forbidden(`fund ${fund.code} is not a fund of your district (${user.district}): a foundation approver must approve this case`, 'forbidden', { fund: fund.code, fundDistrict: fund.district })
      .zh(`基金 ${fund.code} 不是本区（${user.district}）的基金：本案须由基金会审批人审批`);
  }
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
  const now = clock.now();
  const caseNo = await nextCaseNo(trx, household.district);
  const [c] = await trx('aid_cases')
    .insert({
      case_no: caseNo,
      household_id: householdId,
      masked_name: maskName(household.headName),
      district: household.district,
      fund: fund.code,
      reason: input.reason,
      description: input.description,
      requested_amount: input.requestedAmount,
      urgent: input.urgent,
      status: 'draft',
      attachments: JSON.stringify(input.attachments ?? []),
      created_by: user.id,
      created_at: now,
      updated_at: now,
    })
    .returning('*');
  await trx('aid_case_events').insert({ case_id: c.id, action: 'created', from_status: null, to_status: 'draft', actor_id: user.id, actor: user.username, amount: input.requestedAmount, at: now });
  await appendAudit(trx, {
    actor: user.username,
    action: 'aid.created',
    subject: `aid-case:${caseNo}`,
    publicPayload: { ...publicFacts(c), requestedAmount: money(input.requestedAmount) },
    privatePayload: { caseId: c.id, householdId, fund: fund.code, description: input.description },
  });
  return c.id as number;
}

export async function submitCase(trx: Knex.Transaction, user: SessionUser, id: number) {
  const c = await lockCase(trx, user, { id });
  assertFrom(c, 'submit');
  await recordStep(trx, c, { action: 'submitted', to: 'submitted', actor: user, amount: c.requested_amount });
}

export async function reviewCase(trx: Knex.Transaction, user: SessionUser, id: number, input: { recommendedAmount: string; note?: string }) {
  const c = await lockCase(trx, user, { id });
  assertFrom(c, 'review');
  if (c.created_by === user.id) throw forbidden('the creator of a case cannot review it', 'maker_checker').zh('您是本案经办人，不能复核本案（经办与审批分离）');
  if (new Decimal(input.recommendedAmount).gt(c.requested_amount)) {
    throw unprocessable('amount_exceeds_request', 'the recommended amount is above the requested amount', { requestedAmount: money(c.requested_amount) })
      .zh(`建议金额 ${money(input.recommendedAmount)} 元超过申请金额 ${money(c.requested_amount)} 元`);
  }
  await recordStep(trx, c, { action: 'reviewed', to: 'reviewed', actor: user, note: input.note, amount: input.recommendedAmount, patch: { recommended_amount: input.recommendedAmount, reviewed_by: user.id } });
}

export async function approveCase(trx: Knex.Transaction, user: SessionUser, id: number, input: { approvedAmount: string; note?: string }, settings: AidSettings) {
  const c = await lockCase(trx, user, { id });
  assertFrom(c, 'approve');
  if (c.created_by === user.id || c.reviewed_by === user.id) {
    throw forbidden('maker-checker: whoever created or reviewed a case can never approve it', 'maker_checker')
      .zh(c.created_by === user.id ? '您是本案经办人，不能审批本案（经办与审批分离）' : '您复核了本案，不能再审批本案（经办与审批分离）');
  }
  const amount = input.approvedAmount;
  if (new Decimal(amount).gt(c.requested_amount)) {
    throw unprocessable('amount_exceeds_request', 'the approved amount is above the requested amount', { requestedAmount: money(c.requested_amount) })
      .zh(`批准金额 ${money(amount)} 元超过申请金额 ${money(c.requested_amount)} 元`);
  }
  const fund = await getFund(trx, c.fund);
  assertFundInScope(fund, c.district, c.case_no);
  const tier = tierFor(amount, settings);
  if (!approverFitsTier(user, tier, c.district)) {
    throw forbidden(`an amount of ${money(amount)} needs ${tier === 'district' ? 'an approver of the district or the foundation' : 'a foundation approver'}`, 'forbidden', {
      tier,
      limits: { district: settings.districtLimit, foundation: settings.foundationLimit },
    }).zh(`批准金额 ${money(amount)} 元须由${tier === 'district' ? '本区或基金会的审批人' : tier === 'foundation' ? '基金会审批人' : '两位不同的基金会审批人'}审批（区级审批上限 ${money(settings.districtLimit)} 元，基金会一人审批上限 ${money(settings.foundationLimit)} 元）`);
  }
  assertApproverFitsFund(user, fund);
  const prior = await trx('aid_approvals').where({ case_id: c.id });
  if (prior.some((a: any) => a.approver_id === user.id)) throw conflict('already_approved', 'you have already approved this case: a second, different foundation approver is needed').zh('您已审批过本案：还需另一位基金会审批人审批');
  if (prior.length && !new Decimal(prior[0].amount).eq(amount)) {
    throw unprocessable('amount_mismatch', 'the second approval must confirm the amount of the first', { firstApprovedAmount: money(prior[0].amount) })
      .zh(`第二位审批人须确认第一位审批的金额 ${money(prior[0].amount)} 元（本次为 ${money(amount)} 元）`);
  }
  await trx('aid_approvals').insert({ case_id: c.id, approver_id: user.id, approver: user.username, amount, at: clock.now() });
  if (prior.length + 1 < approvalsNeeded(tier)) {
    await recordStep(trx, c, { action: 'approval_recorded', to: 'reviewed', actor: user, note: input.note, amount, publicExtra: { approvalsNeeded: approvalsNeeded(tier), approvals: prior.length + 1 } });
    return;
  }
  if (c.urgent && isFoundationApprover(user)) {
    // Urgent path: payable at once; the notice runs after payment and the disclosure says so.
    await recordStep(trx, c, { action: 'approved', to: 'payable', actor: user, note: input.note, amount, patch: { approved_amount: amount, paid_before_notice: true }, publicExtra: { noticeAfterPayment: true } });
    return;
  }
  const start = settings.seedNoticeStart ?? clock.now();
  const end = new Date(start.getTime() + settings.noticePeriodMs);
  await recordStep(trx, c, {
    action: 'approved',
    to: 'in_notice',
    actor: user,
    note: input.note,
    amount,
    patch: { approved_amount: amount, notice_start: start, notice_end: end },
    publicExtra: { noticeStart: start.toISOString(), noticeEnd: end.toISOString() },
  });
}

export async function rejectCase(trx: Knex.Transaction, user: SessionUser, id: number, input: { note: string }) {
  const c = await lockCase(trx, user, { id });
  assertFrom(c, 'reject');
  if (c.created_by === user.id) throw forbidden('the creator of a case cannot decide it', 'maker_checker').zh('您是本案经办人，不能驳回本案（经办与审批分离）');
  await recordStep(trx, c, { action: 'rejected', to: 'rejected', actor: user, note: input.note });
}

export async function withdrawCase(trx: Knex.Transaction, user: SessionUser, id: number, input: { note?: string }) {
  const c = await lockCase(trx, user, { id });
  assertFrom(c, 'withdraw');
  await recordStep(trx, c, { action: 'withdrawn', to: 'withdrawn', actor: user, note: input.note });
}

async function openObjections(trx: Db, caseId: number) {
  return trx('aid_objections').where({ case_id: caseId }).whereIn('status', ['open', 'upheld']).count<{ n: string }[]>('* as n').then((r) => Number(r[0]!.n));
}

/** A case in notice becomes payable once the notice has ended with no open or upheld objection. */
async function noticeCleared(trx: Db, c: any) {
  return c.status === 'in_notice' && new Date(c.notice_end) <= clock.now() && (await openObjections(trx, c.id)) === 0;
}

export async function disburseCase(trx: Knex.Transaction, user: SessionUser, id: number, input: { paymentRef: string; date: string }, settings: AidSettings) {
  let c = await lockCase(trx, user, { id });
  assertFrom(c, 'disburse');
  assertFundInScope(await getFund(trx, c.fund), c.district, c.case_no);
  if (c.status === 'in_notice') {
    if (!(await noticeCleared(trx, c))) {
      const open = await openObjections(trx, c.id);
      throw invalidState(open ? 'an objection to this case is open or upheld' : 'the public notice of this case has not ended', { noticeEnd: iso(c.notice_end), openObjections: open })
        .zh(open ? `本案有 ${open} 条异议待处理或已成立，不能支付` : '本案公示期尚未结束，不能支付');
    }
    c = await recordStep(trx, c, { action: 'payable', to: 'payable', actor: 'system', note: 'notice ended without objection' });
  }
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
  const notice = c.paid_before_notice ? { notice_start: now, notice_end: new Date(now.getTime() + settings.noticePeriodMs) } : {};
  await markHouseholdAssisted(trx, user.username, c.household_id, input.date, `aid case ${c.case_no} paid`);
  await recordStep(trx, c, {
    action: 'paid',
    to: 'paid',
    actor: user,
    amount,
    note: `payment ${input.paymentRef}`,
    patch: { paid_date: input.date, payment_ref: input.paymentRef, ...notice },
    publicExtra: { paidDate: input.date, entries: [commitment.number, payment.number], ...(c.paid_before_notice ? { noticeAfterPayment: true, noticeEnd: notice.notice_end!.toISOString() } : {}) },
  });
}

export async function fileObjection(trx: Knex.Transaction, caseNo: string, input: { text: string; contact?: string }) {
  const c = await trx('aid_cases').where({ case_no: caseNo }).forUpdate().first();
  const now = clock.now();
  const inNotice = c && c.notice_end && new Date(c.notice_end) > now && (c.status === 'in_notice' || (c.status === 'paid' && c.paid_before_notice));
  if (!c || !inNotice) throw notFound(`case ${caseNo} in public notice`);
  const text = plainText(input.text);
  if (!text) throw badRequest('the objection has no text once markup is removed', [{ in: 'body', path: 'text', message: '"text" is empty' }]);
  const [o] = await trx('aid_objections')
    .insert({ case_id: c.id, text, contact_sealed: input.contact ? encryptPersonal(input.contact) : null, status: 'open', created_at: now })
    .returning('*');
  await recordStep(trx, c, { action: 'objection_filed', to: c.status, actor: 'public', publicExtra: { objectionId: o.id } });
  return { id: o.id as number, caseNo, status: 'open', createdAt: iso(o.created_at) };
}

export async function resolveObjection(trx: Knex.Transaction, user: SessionUser, caseId: number, objectionId: number, input: { outcome: 'upheld' | 'dismissed'; note: string }) {
  const c = await lockCase(trx, user, { id: caseId });
  // Maker-checker: whoever created, reviewed or approved the case does not judge an objection to it.
  const approvers = await trx('aid_approvals').where({ case_id: c.id }).pluck('approver_id');
  if (c.created_by === user.id || c.reviewed_by === user.id || approvers.includes(user.id)) {
    throw forbidden('maker-checker: whoever created, reviewed or approved a case cannot resolve an objection to it', 'maker_checker')
      .zh('经办、复核或审批本案的人不得处理对本案的异议');
  }
  const o = await trx('aid_objections').where({ id: objectionId, case_id: caseId }).forUpdate().first();
  if (!o) throw notFound(`objection ${objectionId} of case ${c.case_no}`);
  if (o.status !== 'open') throw invalidState(`the objection was already ${o.status}`).zh(`该异议已处理（${o.status === 'upheld' ? '成立' : '不成立'}）`);
  await trx('aid_objections').where({ id: o.id }).update({ status: input.outcome, resolved_by: user.id, resolved_at: clock.now(), resolution_note: input.note });
  const extra = { objectionId: o.id, outcome: input.outcome };
  if (input.outcome === 'upheld') {
    if (c.status === 'paid') {
      await recordStep(trx, c, { action: 'recovery_opened', to: 'paid', actor: user, note: input.note, patch: { recovery_note: input.note }, publicExtra: extra });
    } else if (['in_notice', 'payable'].includes(c.status)) {
      await recordStep(trx, c, { action: 'cancelled', to: 'cancelled', actor: user, note: input.note, publicExtra: extra });
    } else {
      await recordStep(trx, c, { action: 'objection_upheld', to: c.status, actor: user, note: input.note, publicExtra: extra });
    }
    return;
  }
  const after = await recordStep(trx, c, { action: 'objection_dismissed', to: c.status, actor: user, note: input.note, publicExtra: extra });
  if (await noticeCleared(trx, after)) await recordStep(trx, after, { action: 'payable', to: 'payable', actor: 'system', note: 'notice ended; objections dismissed' });
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
    for (const c of due) await recordStep(trx, c, { action: 'payable', to: 'payable', actor: 'system', note: 'notice ended without objection' });
    return due.length;
  });
}

function caseView(c: any) {
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
  const c = await db('aid_cases').where({ id }).first();
  if (!c || !canSeeDistrict(user, c.district)) throw notFound(`aid case ${id}`);
  // One after another: db may be the request's transaction, a single connection.
  const events = await db('aid_case_events').where({ case_id: id }).orderBy('id');
  const approvals = await db('aid_approvals').where({ case_id: id }).orderBy('at');
  const objections = await db('aid_objections').where({ case_id: id }).orderBy('id');
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
    approvals: approvals.map((a: any) => ({ approver: a.approver, amount: money(a.amount), at: iso(a.at) })),
    householdAidThisYear: money(paid.get(c.household_id) ?? '0'),
    timeline: events.map((e: any) => ({ action: e.action, actor: e.actor, at: iso(e.at), note: e.note, amount: amountOrNull(e.amount), fromStatus: e.from_status, toStatus: e.to_status })),
    objections: objections.map((o: any) => ({ id: o.id, status: o.status, text: o.text, createdAt: iso(o.created_at), outcome: o.status === 'open' ? null : o.status, note: o.resolution_note, resolvedAt: iso(o.resolved_at) })),
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
  return { ...page, items: page.items.map(caseView) };
}

/** Public notice board: cases in notice now (and urgent paid cases whose after-payment notice runs). */
export async function listPublicNotices(db: Db, q: { limit: number; cursor?: string }) {
  const now = clock.now();
  const query = db('aid_cases')
    .where('notice_end', '>', now)
    .where((w) => w.where('status', 'in_notice').orWhere((p) => p.where('status', 'paid').where('paid_before_notice', true)))
    .orderBy('id')
    .limit(q.limit + 1);
  if (q.cursor) query.where('id', '>', Number(q.cursor));
  const rows = await query;
  const items = rows.slice(0, q.limit).map((c: any) => ({
    id: c.id,
    caseNo: c.case_no,
    maskedName: c.masked_name,
    district: c.district,
    reason: c.reason,
    approvedAmount: money(c.approved_amount),
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

const disclosureOf = (c: any): Disclosure => ({
  caseNo: c.case_no,
  maskedName: c.masked_name,
  district: c.district,
  reason: c.reason,
  approvedAmount: money(c.approved_amount),
  paidAt: c.paid_date,
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
  const rows = await query;
  return { items: rows.slice(0, q.limit).map(disclosureOf), nextCursor: rows.length > q.limit ? String(rows[q.limit - 1].id) : null };
}

/** Paid cases in batches (keyset paging), for reports that must not hold 100k cases in memory. */
export async function* paidCaseDisclosures(db: Db, q: { from?: string; to?: string; fund?: string }, batchSize = 1000): AsyncIterable<Disclosure[]> {
  let after = 0;
  for (;;) {
    const rows = await paidQuery(db, q).where('id', '>', after).orderBy('id').limit(batchSize);
    if (!rows.length) return;
    yield rows.map((c: any) => ({ ...disclosureOf(c), updatedAt: iso(c.updated_at)! }));
    after = rows[rows.length - 1].id;
    if (rows.length < batchSize) return;
  }
}


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
  const rows = await query;
  const items = rows.slice(0, q.limit).map((o: any) => ({
    id: o.id, status: o.status, text: o.text, createdAt: iso(o.created_at), note: o.resolution_note, resolvedAt: iso(o.resolved_at),
    caseId: o.case_id, caseNo: o.case_no, maskedName: o.masked_name, district: o.district, reason: o.reason, caseStatus: o.case_status,
    approvedAmount: amountOrNull(o.approved_amount), noticeEnd: iso(o.notice_end),
  }));
  return { items, nextCursor: rows.length > q.limit ? String(items[items.length - 1]!.id) : null };
}
