// The aid case workflow, declared once: the service applies these transitions (src/workflow) and the state
// table in src/aid/CONTEXT.md is generated from here (npm run docs:workflows; test/workflow keeps it true).
import type { Knex } from 'knex';
import { clock } from '../platform/clock';
import { forbidden, invalidState, invariant, unprocessable } from '../platform/errors';
import { Decimal, money } from '../platform/money';
import { getFund, type Fund } from '../ledger';
import { amountTierGuard, defineWorkflow, secondApproverGuard, type Guard, type MakerChecker } from '../workflow';
import { AID_STATUSES, decodeApproval, decodeCase, fundInScope, type AidCaseRow, type AidStatus, type TierLimits } from './model';

export const STATUS_ZH: Record<AidStatus, string> = {
  draft: '草稿', submitted: '已提交', reviewed: '已复核', approved: '已批准', in_notice: '公示中', payable: '待支付', paid: '已支付',
  rejected: '已驳回', withdrawn: '已撤回', cancelled: '已取消',
};

/** What the public may know of a case: masked name, district, reason, amounts, dates. */
export const publicFacts = (c: AidCaseRow) => ({
  caseNo: c.case_no,
  maskedName: c.masked_name,
  district: c.district,
  reason: c.reason,
  urgent: c.urgent,
  status: c.status,
  approvedAmount: c.approved_amount === null ? null : money(c.approved_amount),
});

/** The fund-scope refusal (422 fund_out_of_scope), or null: checked on create, at approval and at disbursement. */
export function fundScopeRefusal(fund: Fund, district: string, caseNo?: string) {
  if (fundInScope(fund, district)) return null;
  return unprocessable(
    'fund_out_of_scope',
    `基金 ${fund.code} 不属于 ${district} 区，也不是基金会本级基金 · fund ${fund.code} is neither a fund of district ${district} nor a foundation-level fund`,
    { fund: fund.code, fundDistrict: fund.district, caseDistrict: district, ...(caseNo ? { caseNo } : {}) },
  ).zh(`基金 ${fund.code} 不属于 ${district} 区，也不是基金会本级基金`);
}

async function caseFund(trx: Knex.Transaction, c: AidCaseRow) {
  const fund = await getFund(trx, c.fund);
  invariant(fund, 'the fund of a case exists');
  return fund;
}

export async function openObjections(trx: Knex.Transaction, caseId: number) {
  return trx('aid_objections').where({ case_id: caseId }).whereIn('status', ['open', 'upheld']).count<{ n: string }[]>('* as n').then((r) => Number(r[0]!.n));
}

export interface ApproveInput {
  approvedAmount: string;
  limits: TierLimits;
}

const fundScope: Guard<AidCaseRow, unknown> = {
  name: 'fund_out_of_scope',
  describe: 'the fund is of the case’s district or foundation-level',
  check: async (trx, c) => fundScopeRefusal(await caseFund(trx, c), c.district, c.case_no),
};

const notAboveRequest = (word: { en: string; zh: string }, amountOf: (input: never) => string): Guard<AidCaseRow, never> => ({
  name: 'amount_exceeds_request',
  describe: `the ${word.en} amount is at most the requested one`,
  check: (_trx, c, input) => {
    const amount = amountOf(input);
    return new Decimal(amount).gt(c.requested_amount)
      ? unprocessable('amount_exceeds_request', `the ${word.en} amount is above the requested amount`, { requestedAmount: money(c.requested_amount) })
          .zh(`${word.zh}金额 ${money(amount)} 元超过申请金额 ${money(c.requested_amount)} 元`)
      : null;
  },
});

/** Tiers by approved amount; the refusal keeps the code 403 forbidden the API has always answered with. */
const approvalTier = amountTierGuard<AidCaseRow, ApproveInput>({
  describe: 'the approved amount picks the tier (district ≤ district limit, foundation ≤ foundation limit, else two foundation approvers), refused as 403 forbidden',
  amount: (i) => i.approvedAmount,
  noun: { en: 'an amount', zh: '批准金额' },
  districtApprover: 'an approver of the district',
  code: 'forbidden',
  zhDistrictLimit: '区级审批上限',
  details: (_c, i, tier) => ({ tier, limits: { district: i.limits.districtLimit, foundation: i.limits.foundationLimit } }),
});

const approverFitsFund: Guard<AidCaseRow, ApproveInput> = {
  name: 'fund_of_district',
  describe: 'a district approver approves only cases on a fund of their district',
  check: async (trx, c, _input, actor) => {
    if (typeof actor === 'string' || !actor.district) return null;
    const fund = await caseFund(trx, c);
    if (fund.district === actor.district) return null;
    return forbidden(`fund ${fund.code} is not a fund of your district (${actor.district}): a foundation approver must approve this case`, 'forbidden', { fund: fund.code, fundDistrict: fund.district })
      .zh(`基金 ${fund.code} 不是本区（${actor.district}）的基金：本案须由基金会审批人审批`);
  },
};

const secondApproval = secondApproverGuard<AidCaseRow, ApproveInput>({
  describe: 'a second approval is by another approver and confirms the first amount',
  prior: async (trx, c) => (await trx('aid_approvals').where({ case_id: c.id }).orderBy('at')).map(decodeApproval).map((a) => ({ approverId: a.approver_id, approved: money(a.amount) })),
  approving: (i) => money(i.approvedAmount),
  already: { en: 'you have already approved this case: a second, different foundation approver is needed', zh: '您已审批过本案：还需另一位基金会审批人审批' },
  mismatch: (first, i) => unprocessable('amount_mismatch', 'the second approval must confirm the amount of the first', { firstApprovedAmount: first })
    .zh(`第二位审批人须确认第一位审批的金额 ${first} 元（本次为 ${money(i.approvedAmount)} 元）`),
});

/** "Becomes payable": the notice has ended with no open or upheld objection (refusal 409 invalid_state). */
const noticeCleared: Guard<AidCaseRow, unknown> = {
  name: 'notice_cleared',
  describe: 'the notice has ended with no open or upheld objection',
  check: async (trx, c) => {
    if (c.status !== 'in_notice') return null;
    const open = await openObjections(trx, c.id);
    if (c.notice_end && c.notice_end <= clock.now() && open === 0) return null;
    return invalidState(open ? 'an objection to this case is open or upheld' : 'the public notice of this case has not ended', { noticeEnd: c.notice_end?.toISOString() ?? null, openObjections: open })
      .zh(open ? `本案有 ${open} 条异议待处理或已成立，不能支付` : '本案公示期尚未结束，不能支付');
  },
};

const approveMakerChecker: MakerChecker<AidCaseRow> = {
  earlier: ['created', 'reviewed'],
  message: (_c, step) => ({
    en: 'maker-checker: whoever created or reviewed a case can never approve it',
    zh: step === 'created' ? '您是本案经办人，不能审批本案（经办与审批分离）' : '您复核了本案，不能再审批本案（经办与审批分离）',
  }),
};
const approveGuards = [notAboveRequest({ en: 'approved', zh: '批准' }, (i: ApproveInput) => i.approvedAmount), fundScope, approvalTier, approverFitsFund, secondApproval] as Guard<AidCaseRow, ApproveInput>[];

const objectionMakerChecker: MakerChecker<AidCaseRow> = {
  earlier: ['created', 'reviewed', 'approval_recorded', 'approved'],
  message: () => ({ en: 'maker-checker: whoever created, reviewed or approved a case cannot resolve an objection to it', zh: '经办、复核或审批本案的人不得处理对本案的异议' }),
};
const ALL = AID_STATUSES;

export const aidWorkflow = defineWorkflow<AidStatus, AidCaseRow>({
  name: 'aid',
  states: AID_STATUSES,
  statesZh: STATUS_ZH,
  table: 'aid_cases',
  timeline: { table: 'aid_case_events', key: 'case_id' },
  auditPrefix: 'aid',
  subject: (c) => `aid-case:${c.case_no}`,
  refer: (c) => ({ en: 'case', zh: `案件 ${c.case_no} `, details: { caseNo: c.case_no } }),
  decode: decodeCase,
  publicFacts,
  privateFacts: (c) => ({ caseId: c.id, householdId: c.household_id }),
  // The household, district and fund checks of a new case are on its input: createCase makes them first.
  creation: { to: 'draft', records: 'created', by: ['officer', 'admin'], zh: '新建' },
  transitions: {
    submit: { from: ['draft'], to: 'submitted', records: 'submitted', by: ['officer', 'admin'], districtScoped: true, zh: '提交' },
    review: {
      from: ['submitted'], to: 'reviewed', records: 'reviewed', by: ['officer', 'approver', 'admin'], districtScoped: true, zh: '复核',
      makerChecker: { earlier: ['created'], message: () => ({ en: 'the creator of a case cannot review it', zh: '您是本案经办人，不能复核本案（经办与审批分离）' }) },
      guards: [notAboveRequest({ en: 'recommended', zh: '建议' }, (i: { recommendedAmount: string }) => i.recommendedAmount)],
    },
    record_approval: { from: ['reviewed'], to: 'same', records: 'approval_recorded', verb: 'approve', verbZh: '审批', by: ['approver'], districtScoped: true, zh: '审批（两人审批的第一人）', makerChecker: approveMakerChecker, guards: approveGuards },
    approve: { from: ['reviewed'], to: 'in_notice', records: 'approved', verb: 'approve', verbZh: '审批', by: ['approver'], districtScoped: true, zh: '审批（公示开始）', makerChecker: approveMakerChecker, guards: approveGuards },
    approve_urgent: { from: ['reviewed'], to: 'payable', records: 'approved', verb: 'approve', verbZh: '审批', by: ['approver'], districtScoped: true, zh: '紧急审批（先付后公示，基金会审批人）', makerChecker: approveMakerChecker, guards: approveGuards },
    reject: {
      from: ['submitted', 'reviewed'], to: 'rejected', records: 'rejected', by: ['approver'], districtScoped: true, zh: '驳回',
      makerChecker: { earlier: ['created'], message: () => ({ en: 'the creator of a case cannot decide it', zh: '您是本案经办人，不能驳回本案（经办与审批分离）' }) },
    },
    withdraw: { from: ['draft', 'submitted', 'reviewed'], to: 'withdrawn', records: 'withdrawn', by: ['officer', 'admin'], districtScoped: true, zh: '撤回' },
    payable: { from: ['in_notice'], to: 'payable', records: 'payable', by: 'system', zh: '转为待支付', guards: [noticeCleared] },
    disburse: { from: ['payable', 'in_notice'], to: 'paid', records: 'paid', by: ['finance'], verbZh: '支付', zh: '支付（公示中的案件先经 payable）', guards: [fundScope, noticeCleared] },
    file_objection: { from: ['in_notice', 'paid'], to: 'same', records: 'objection_filed', by: 'public', zh: '提出异议' },
    dismiss_objection: { from: ALL, to: 'same', records: 'objection_dismissed', by: ['approver'], districtScoped: true, zh: '异议不成立', makerChecker: objectionMakerChecker },
    uphold_objection: { from: ['in_notice', 'payable'], to: 'cancelled', records: 'cancelled', by: ['approver'], districtScoped: true, zh: '异议成立（取消）', makerChecker: objectionMakerChecker },
    open_recovery: { from: ['paid'], to: 'same', records: 'recovery_opened', by: ['approver'], districtScoped: true, zh: '异议成立（已支付：追回）', makerChecker: objectionMakerChecker },
    note_upheld_objection: { from: ALL, to: 'same', records: 'objection_upheld', by: ['approver'], districtScoped: true, zh: '异议成立（其他状态：记录）', makerChecker: objectionMakerChecker },
  },
});
