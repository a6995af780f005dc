// The campaign workflow, declared once (src/workflow): the service picks a transition and applies it; the state
// table in src/campaigns/CONTEXT.md is generated from here (npm run docs:workflows).
import type { Knex } from 'knex';
import { clock } from '../platform/clock';
import { invalidState, unprocessable } from '../platform/errors';
import { money } from '../platform/money';
import { amountTierGuard, defineWorkflow, secondApproverGuard, type Guard, type MakerChecker } from '../workflow';
import { CAMPAIGN_STATUSES, KIND_ZH, decodeCampaign, type CampaignRow, type CampaignStatus, type CampaignTierLimits } from './model';

export const STATUS_ZH: Record<CampaignStatus, string> = {
  draft: '草稿', built: '名单已生成', submitted: '已提交审批', in_notice: '公示中', payable: '待支付', paying: '支付中', paid: '已支付', cancelled: '已取消',
};

export const publicFacts = (c: CampaignRow) => ({
  campaignId: c.id, name: c.name, kind: c.kind, kindZh: KIND_ZH[c.kind], year: c.year, district: c.district, status: c.status,
});

export interface ApproveInput {
  total: string;
  limits: CampaignTierLimits;
}

export async function openObjections(trx: Knex.Transaction, campaignId: number) {
  return trx('campaign_objections').where({ campaign_id: campaignId, status: 'open' }).count<{ n: string }[]>('* as n').then((r) => Number(r[0]!.n));
}

const approvalTier = amountTierGuard<CampaignRow, ApproveInput>({
  describe: 'the roll total picks the tier (district ≤ CAMPAIGN_DISTRICT_LIMIT for a district campaign, foundation ≤ CAMPAIGN_FOUNDATION_LIMIT, else two distinct foundation approvers)',
  amount: (i) => i.total,
  noun: { en: 'a roll total', zh: '名单总额' },
  districtApprover: 'an approver of the campaign’s district',
  code: 'forbidden',
  zhDistrictLimit: '区级上限',
  details: (_c, i, tier) => ({ tier, total: money(i.total), limits: { district: money(i.limits.districtLimit), foundation: money(i.limits.foundationLimit) } }),
});

const secondApproval = secondApproverGuard<CampaignRow, ApproveInput>({
  describe: 'a second approval is by another approver and confirms the same total',
  prior: async (trx, c) => (await trx('campaign_approvals').where({ campaign_id: c.id }).orderBy('at').select('approver_id', 'total')).map((a: { approver_id: number; total: string }) => ({ approverId: Number(a.approver_id), approved: money(a.total) })),
  approving: (i) => money(i.total),
  already: { en: 'you have already approved this roll: a second, different foundation approver is needed', zh: '您已审批过该名单：还需另一位基金会审批人审批' },
  mismatch: (first, i) => unprocessable('amount_mismatch', 'the roll total changed since the first approval', { firstTotal: first, total: money(i.total) }).zh('名单总额与第一位审批人审批时不同'),
});

/** Payable once the notice has ended with no open objection. */
const noticeCleared: Guard<CampaignRow, unknown> = {
  name: 'notice_cleared',
  describe: 'the notice has ended with no open objection',
  check: async (trx, c) => {
    if (c.status !== 'in_notice') return null;
    const open = await openObjections(trx, c.id);
    if (c.notice_end && c.notice_end <= clock.now() && open === 0) return null;
    return invalidState(open ? 'an objection to this roll is open' : 'the public notice of this roll has not ended', { noticeEnd: c.notice_end?.toISOString() ?? null, openObjections: open })
      .zh(open ? `该名单有 ${open} 条异议待处理，不能支付` : '名单公示期尚未结束，不能支付');
  },
};

const MAKERS = ['created', 'roll_built', 'line_reviewed', 'submitted'] as const;
const approveMakerChecker: MakerChecker<CampaignRow> = {
  earlier: MAKERS,
  message: (_c, step) => ({
    en: 'maker-checker: whoever created, built, reviewed or submitted a roll can never approve it',
    zh: step === 'line_reviewed' ? '您复核过该名单的明细，不能审批该名单（经办与审批分离）' : '您是该名单的经办人，不能审批该名单（经办与审批分离）',
  }),
};
const objectionMakerChecker: MakerChecker<CampaignRow> = {
  earlier: [...MAKERS, 'approval_recorded', 'approved'],
  message: () => ({ en: 'maker-checker: whoever made, reviewed or approved a roll cannot resolve an objection to it', zh: '经办、复核或审批该名单的人不得处理对该名单的异议' }),
};
const approveGuards = [approvalTier, secondApproval] as Guard<CampaignRow, ApproveInput>[];
const MAKER_ROLES = ['officer', 'admin'] as const;
const PAYING = ['payable', 'paying', 'paid'] as const;

export const campaignWorkflow = defineWorkflow<CampaignStatus, CampaignRow>({
  name: 'campaign',
  states: CAMPAIGN_STATUSES,
  statesZh: STATUS_ZH,
  table: 'campaigns',
  timeline: { table: 'campaign_events', key: 'campaign_id' },
  auditPrefix: 'campaign',
  subject: (c) => `campaign:${c.id}`,
  refer: (c) => ({ en: 'campaign', zh: `活动「${c.name}」`, details: { campaignId: c.id } }),
  decode: decodeCampaign,
  publicFacts,
  privateFacts: (c) => ({ funds: c.funds }),
  creation: { to: 'draft', records: 'created', by: MAKER_ROLES, zh: '新建活动' },
  transitions: {
    build: { from: ['draft', 'built'], to: 'built', records: 'roll_built', by: MAKER_ROLES, districtScoped: true, zh: '生成/重算名单' },
    review_line: { from: ['built'], to: 'same', records: 'line_reviewed', by: MAKER_ROLES, zh: '复核名单明细（本区）' },
    submit: { from: ['built'], to: 'submitted', records: 'submitted', by: MAKER_ROLES, districtScoped: true, zh: '提交审批' },
    send_back: { from: ['submitted'], to: 'built', records: 'sent_back', by: ['approver'], districtScoped: true, zh: '退回修改' },
    cancel: { from: ['draft', 'built', 'submitted'], to: 'cancelled', records: 'cancelled', by: [...MAKER_ROLES, 'approver'], districtScoped: true, zh: '取消活动' },
    record_approval: { from: ['submitted'], to: 'same', records: 'approval_recorded', verb: 'approve', verbZh: '审批', by: ['approver'], districtScoped: true, zh: '审批（两人审批的第一人）', makerChecker: approveMakerChecker, guards: approveGuards },
    approve: { from: ['submitted'], to: 'in_notice', records: 'approved', verb: 'approve', verbZh: '审批', by: ['approver'], districtScoped: true, zh: '审批（公示开始）', makerChecker: approveMakerChecker, guards: approveGuards },
    file_objection: { from: ['in_notice'], to: 'same', records: 'objection_filed', by: 'public', zh: '提出异议' },
    dismiss_objection: { from: ['in_notice', 'payable'], to: 'same', records: 'objection_dismissed', by: ['approver'], districtScoped: true, zh: '异议不成立', makerChecker: objectionMakerChecker },
    uphold_objection: { from: ['in_notice', 'payable'], to: 'same', records: 'objection_upheld', by: ['approver'], districtScoped: true, zh: '异议成立（移出名单）', makerChecker: objectionMakerChecker },
    payable: { from: ['in_notice'], to: 'payable', records: 'payable', by: 'system', zh: '公示期满转待支付', guards: [noticeCleared] },
    // 'paying' from the first chunk marked, in its transaction: a run stopped later leaves the state true.
    record_lines_paid: { from: PAYING, to: 'paying', records: 'lines_paid', by: ['finance'], zh: '批量记账支付（一批）' },
    pay_part: { from: PAYING, to: 'paying', records: 'payment_partial', by: ['finance'], zh: '支付（部分明细未付）' },
    pay: { from: PAYING, to: 'paid', records: 'paid', by: ['finance'], zh: '支付完成' },
    export_bank_file: { from: ['paying', 'paid'], to: 'same', records: 'bank_file_exported', by: ['finance'], zh: '导出代发文件' },
    import_bank_result: { from: ['paying', 'paid'], to: 'same', records: 'bank_result_imported', by: ['finance'], zh: '导入银行代发结果' },
    pay_cash: { from: ['paying', 'paid'], to: 'same', records: 'cash_paid', by: ['finance'], zh: '现金发放（未转账成功的明细）' },
  },
});
