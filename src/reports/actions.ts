// The Chinese name of every audit action the services append (`action: '…'` in src/**, the aid and household
// actions built from their steps, and the seeds'), shown beside the code in the audit attestation.
// test/reports/pages.test.ts checks that every action in a real audit log has a name here.

export const ACTION_ZH: Record<string, string> = {
  // aid: `aid.${step}` (src/aid/service.ts recordStep)
  'aid.created': '救助申请创建',
  'aid.submitted': '救助申请提交',
  'aid.reviewed': '救助申请复核',
  'aid.approval_recorded': '审批意见登记（待第二审批人）',
  'aid.approved': '救助审批通过',
  'aid.rejected': '救助申请驳回',
  'aid.withdrawn': '救助申请撤回',
  'aid.payable': '公示期满转待支付',
  'aid.paid': '救助款支付',
  'aid.objection_filed': '公示异议提出',
  'aid.objection_upheld': '异议成立',
  'aid.objection_dismissed': '异议不成立',
  'aid.cancelled': '异议成立撤销案件',
  'aid.recovery_opened': '先付后示案件启动追回',
  // auth
  'auth.login': '登录',
  'auth.logout': '退出登录',
  'user.created': '创建用户',
  'user.updated': '用户角色或所属区变更',
  'user.disabled': '停用用户',
  'user.enabled': '启用用户',
  // households: created, updated, assessed, and `household.${status}` for each transition
  'household.created': '困难职工建档',
  'household.updated': '档案信息修改',
  'household.assessed': '家庭收入核定',
  'household.assisted': '档案转为已帮扶',
  'household.exited': '解困脱困',
  'household.returned': '返困',
  'household.archived': '档案归档',
  'target.set': '设定年度目标与区配额',
  // ledger
  'ledger.fund_created': '设立基金',
  'ledger.fund_bank_account_set': '设置基金银行账户',
  'ledger.posted': '记账凭证过账',
  'ledger.reversed': '红字冲销凭证',
  'ledger.donation_received': '接受捐赠',
  'ledger.allocated': '基金间调拨',
  'ledger.period_closed': '月末结账',
  // reconciliation
  'reconciliation.statement_imported': '导入银行对账单',
  'reconciliation.statement_deleted': '删除银行对账单',
  'reconciliation.auto_matched': '自动匹配',
  'reconciliation.matched': '手工匹配',
  'reconciliation.unmatched': '取消匹配',
  'reconciliation.closed': '完成对账',
  'reconciliation.profile_created': '新建对账单导入模板',
  'reconciliation.profile_updated': '修改对账单导入模板',
  'reconciliation.profile_deleted': '删除对账单导入模板',
  // reports
  'report.published': '发布报告',
};

/** "记账凭证过账 ledger.posted"; an action without a name yet shows its code alone. */
export const actionLabel = (code: string) => (ACTION_ZH[code] ? `${ACTION_ZH[code]} ${code}` : code);
