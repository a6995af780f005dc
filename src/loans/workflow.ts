// The loan workflow, declared once (src/workflow): an application is made, reviewed, approved by tier
// (maker-checker), refused or withdrawn; finance disburses it; repayments are recorded on the active loan;
// write-off and restructuring need two different approvers. The state table in CONTEXT.md is generated from here.
import { unprocessable } from '../platform/errors';
import { Decimal, money } from '../platform/money';
import { amountTierGuard, defineWorkflow, secondApproverGuard, type Guard, type MakerChecker } from '../workflow';
import { LOAN_STATUSES, STATUS_ZH, decodeLoan, type LoanRow, type LoanStatus, type LoanTierLimits, type ProductRow } from './model';

export const publicFacts = (l: LoanRow) => ({
  loanNo: l.loan_no, year: l.year, district: l.district, status: l.status,
  requestedAmount: money(l.requested_amount), approvedAmount: l.approved_amount === null ? null : money(l.approved_amount),
});

export interface ApproveInput {
  approvedAmount: string;
  limits: LoanTierLimits;
  product: ProductRow;
  /** What the pilot unit has approved or lent this year besides this loan, and its quota. */
  unitCommitted: string;
  unitQuota: string;
}

const amountInRange: Guard<LoanRow, ApproveInput> = {
  name: 'amount_out_of_range / amount_exceeds_request',
  describe: 'the approved amount is within the product’s range and at most the requested amount',
  check: (_trx, l, i) => {
    const a = new Decimal(i.approvedAmount);
    if (a.gt(l.requested_amount)) {
      return unprocessable('amount_exceeds_request', `the approved amount ${money(a)} is above the requested ${money(l.requested_amount)}`, { requestedAmount: money(l.requested_amount) })
        .zh(`批准金额 ${money(a)} 元超过申请金额 ${money(l.requested_amount)} 元`);
    }
    if (a.lt(i.product.min_amount) || a.gt(i.product.max_amount)) {
      return unprocessable('amount_out_of_range', `product ${i.product.code} lends ${money(i.product.min_amount)} to ${money(i.product.max_amount)}`, { min: money(i.product.min_amount), max: money(i.product.max_amount) })
        .zh(`产品 ${i.product.name_zh} 的贷款金额为 ${money(i.product.min_amount)}–${money(i.product.max_amount)} 元`);
    }
    return null;
  },
};

const withinQuota: Guard<LoanRow, ApproveInput> = {
  name: 'over_quota',
  describe: 'the pilot unit’s approved and lent loans stay within its quota',
  check: (_trx, _l, i) => {
    const after = new Decimal(i.unitCommitted).plus(i.approvedAmount);
    return after.gt(i.unitQuota)
      ? unprocessable('over_quota', `the pilot unit's quota ${money(i.unitQuota)} would be exceeded (${money(after)})`, { quota: money(i.unitQuota), committed: money(i.unitCommitted) })
          .zh(`超出试点单位额度 ${money(i.unitQuota)} 元（已批准及发放 ${money(i.unitCommitted)} 元）`)
      : null;
  },
};

const approvalTier = amountTierGuard<LoanRow, ApproveInput>({
  describe: 'the approved amount picks the tier (district ≤ LOAN_DISTRICT_LIMIT, foundation ≤ LOAN_FOUNDATION_LIMIT, else two foundation approvers)',
  amount: (i) => i.approvedAmount,
  noun: { en: 'a loan', zh: '批准金额' },
  districtApprover: 'an approver of its district',
  code: 'tier',
  zhDistrictLimit: null,
  details: (_l, i, tier) => ({ tier, limits: i.limits }),
});

/** A step two approvers take: the second is another person and confirms the first's amount (or terms). */
export const secondApprover = (step: 'approve' | 'write_off' | 'restructure', keyOf: (i: never) => string | null): Guard<LoanRow, never> =>
  secondApproverGuard<LoanRow, never>({
    describe: 'the second approver is another person and confirms what the first approved',
    prior: async (trx, l) =>
      (await trx('loan_approvals').where({ loan_id: l.id, step, round: l.schedule_version }).orderBy('at').select('approver_id', 'amount', 'terms'))
        .map((p: { approver_id: number; amount: string | null; terms: unknown }) => ({ approverId: Number(p.approver_id), approved: String(p.amount ?? JSON.stringify(p.terms)) })),
    approving: keyOf,
    already: { en: 'you have already approved this: a second, different approver is needed', zh: '您已审批过：还需另一位审批人审批' },
    mismatch: (first) => unprocessable('amount_mismatch', 'the second approval must confirm what the first approved', { first }).zh(`第二位审批人须确认第一位审批的内容（${first}）`),
  });

const notCreator = (what: string): MakerChecker<LoanRow> => ({
  earlier: ['created'],
  message: () => ({ en: `the officer who took the application cannot ${what} it`, zh: `您是本贷款申请的经办人，不能${what === 'review' ? '审查' : '审批'}（经办与审批分离）` }),
});
const approveMakerChecker: MakerChecker<LoanRow> = {
  earlier: ['created', 'reviewed'],
  message: (_l, step) => ({ en: 'maker-checker: whoever took or reviewed an application never approves it', zh: step === 'created' ? '您是本贷款申请的经办人，不能审批（经办与审批分离）' : '您审查了本贷款申请，不能再审批（经办与审批分离）' }),
};
const approveGuards = [amountInRange, approvalTier, withinQuota, secondApprover('approve', (i: ApproveInput) => money(i.approvedAmount))] as Guard<LoanRow, ApproveInput>[];
const writeOffGuards = [secondApprover('write_off', () => null)];
const restructureGuards = [secondApprover('restructure', (i: { termMonths: number }) => JSON.stringify({ termMonths: i.termMonths }))];

export const loanWorkflow = defineWorkflow<LoanStatus, LoanRow>({
  name: 'loan',
  states: LOAN_STATUSES,
  statesZh: STATUS_ZH,
  table: 'loans',
  timeline: { table: 'loan_events', key: 'loan_id' },
  auditPrefix: 'loan',
  subject: (l) => `loan:${l.loan_no}`,
  refer: (l) => ({ en: 'loan', zh: `贷款 ${l.loan_no} `, details: { loanNo: l.loan_no } }),
  decode: decodeLoan,
  publicFacts,
  privateFacts: (l) => ({ loanId: l.id, householdId: l.household_id, pilotUnitId: l.pilot_unit_id }),
  creation: { to: 'submitted', records: 'created', by: ['officer', 'admin'], zh: '受理申请' },
  transitions: {
    review: { from: ['submitted'], to: 'reviewed', records: 'reviewed', by: ['officer', 'approver', 'admin'], districtScoped: true, zh: '审查', makerChecker: notCreator('review') },
    record_approval: { from: ['reviewed'], to: 'same', records: 'approval_recorded', verb: 'approve', verbZh: '审批', by: ['approver'], districtScoped: true, zh: '审批（两人审批的第一人）', makerChecker: approveMakerChecker, guards: approveGuards },
    approve: { from: ['reviewed'], to: 'approved', records: 'approved', verb: 'approve', verbZh: '审批', by: ['approver'], districtScoped: true, zh: '审批通过', makerChecker: approveMakerChecker, guards: approveGuards },
    refuse: { from: ['submitted', 'reviewed'], to: 'refused', records: 'refused', by: ['approver'], districtScoped: true, zh: '不予批准', makerChecker: notCreator('refuse') },
    withdraw: { from: ['submitted', 'reviewed', 'approved'], to: 'withdrawn', records: 'withdrawn', by: ['officer', 'admin'], districtScoped: true, zh: '撤回' },
    disburse: { from: ['approved'], to: 'active', records: 'disbursed', by: ['finance'], zh: '放款' },
    repay: { from: ['active'], to: 'same', records: 'repaid', by: ['finance'], zh: '还款' },
    settle: { from: ['active'], to: 'closed', records: 'settled', by: ['finance'], zh: '还款结清' },
    record_write_off_approval: { from: ['active'], to: 'same', records: 'write_off_approval_recorded', verb: 'write off', verbZh: '核销', by: ['approver'], zh: '核销（两人审批的第一人）', makerChecker: notCreator('write off'), guards: writeOffGuards },
    write_off: { from: ['active'], to: 'written_off', records: 'written_off', verb: 'write off', verbZh: '核销', by: ['approver'], zh: '核销', makerChecker: notCreator('write off'), guards: writeOffGuards },
    record_restructure_approval: { from: ['active'], to: 'same', records: 'restructure_approval_recorded', verb: 'restructure', verbZh: '重组', by: ['approver'], zh: '重组（两人审批的第一人）', makerChecker: notCreator('restructure'), guards: restructureGuards },
    restructure: { from: ['active'], to: 'same', records: 'restructured', verb: 'restructure', verbZh: '重组', by: ['approver'], zh: '重组（新还款计划）', makerChecker: notCreator('restructure'), guards: restructureGuards },
  },
});

