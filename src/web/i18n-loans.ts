/** Chinese of the start-up loan pages' English keys (merged into i18n.ts). */
export const ZH_LOANS: Record<string, string> = {
  'Start-up loans': '创业贷款', 'Loan applications': '贷款申请与贷款', 'New loan application': '受理贷款申请', 'Loan': '贷款',
  'Loan number': '贷款编号', Borrower: '借款职工', 'Pilot unit': '试点单位', Product: '贷款产品', 'Repayment method': '还款方式',
  'Annual rate': '年利率', 'Interest subsidy': '贴息比例', 'Penalty rate': '罚息年利率', 'Grace months': '宽限期（月）',
  'Term (months)': '期限（月）', 'Amount range': '金额范围', 'Principal outstanding': '本金余额', 'Penalty owed': '未还罚息',
  'Written off': '已核销', 'Disbursed on': '放款日期', 'Closed on': '结清日期', 'Days past due': '逾期天数', 'Ageing bucket': '账龄段',
  'Overdue amount': '逾期金额', 'Oldest due date': '最早逾期到期日', 'Union membership': '工会会员', 'Member number': '会员号',
  'Business plan': '创业计划', Guarantors: '担保人', Guarantor: '担保人', 'Household file (optional)': '关联家庭档案编号（选填）',
  'Borrower name': '借款人姓名', 'Borrower ID number': '借款人身份证号', 'Borrower phone': '借款人电话',
  'Guarantor name': '担保人姓名', 'Guarantor ID number': '担保人身份证号', 'Guarantor relation': '与借款人关系',
  'Arrears': '逾期贷款', 'Arrears by bucket': '按账龄段', Bucket: '账龄段', Loans: '笔数',
  'Loan approvals': '贷款审批', 'Applications to review': '待审查的申请', 'Applications to approve': '待审批的申请',
  'Over 90 days past due: write-off or restructuring to consider': '逾期 90 天以上：可考虑核销或重组',
  'Disbursement and repayments': '放款与还款', 'Approved, waiting for disbursement': '已批准，待放款', 'Active loans': '还款中的贷款',
  'Programme progress': '计划进度', 'Programme PDF': '计划进度 PDF', 'Loan statement PDF': '贷款对账单 PDF', 'Schedule CSV': '还款计划 CSV',
  Lent: '已发放', 'Share of the target': '完成率', 'Cumulative': '累计', 'Of target': '占目标', 'Of quota': '占额度', Kind: '类型', 'Loan quota': '额度',
  'Portfolio at risk': '风险贷款率', 'Repayment rate': '还款率', 'Fallen due': '到期应还', Repaid: '已还',
  'There is no loan programme for this year.': '本年尚未设立创业贷款计划。',
  'No pilot unit or product yet: an administrator sets them first.': '尚未设立试点单位或贷款产品，须由管理员先行设置。',
  'Repayment schedule': '还款计划', Instalment: '期次', 'Instalment due': '到期日', Principal: '本金', Interest: '利息', Subsidy: '贴息',
  'Borrower interest': '借款人利息', 'Paid principal': '已还本金', 'Paid interest': '已还利息', 'Waived interest': '减免利息', Owed: '未还',
  Repayments: '还款记录', Penalty: '罚息', 'Entry number': '凭证号', Reference: '流水号',
  'Not disbursed yet: no schedule.': '尚未放款，没有还款计划。',
  'Review the application': '审查', 'Approve the loan': '审批通过', 'Refuse the application': '不予批准', 'Withdraw the application': '撤回申请',
  'Disburse': '放款', 'Record a repayment': '登记还款', 'Write off': '核销', 'Restructure': '重组',
  'Refusal reasons': '拒贷原因', 'New term (months)': '新期限（月）', 'Pay off on this date': '当日提前结清金额',
  'Approvals so far': '已审批', 'Two different approvers must agree; the second one acts.': '须两位不同的审批人同意，第二位审批后生效。',
  'You took this application: you cannot review it.': '您受理了本申请，不能审查',
  'You took this application: you cannot approve or refuse it.': '您受理了本申请，不能审批或拒贷',
  'You reviewed this application: you cannot approve it.': '您审查了本申请，不能审批',
  'You have already approved: a second, different approver is needed.': '您已审批过，还需另一位审批人',
  'This loan is not in your district.': '本贷款不属于您所在的区',
  'The amount is above the district approvers’ limit: a foundation approver must approve it.': '金额超过区级审批上限，须由基金会审批人审批',
  'The officer who took an application and its reviewer never approve it.': '受理申请的经办人和审查人不得审批该申请。',
  'Loan tiers': '审批层级', 'Application saved': '申请已受理', 'Done': '已完成',
  'This field is required.': '此项必填。', 'Wrong ID number': '身份证号有误',
  'An amount such as 5000.00 (at most two decimals).': '金额格式如 5000.00（最多两位小数）。', 'A whole number of months.': '须为整数月数。',
  'Invalid value.': '填写有误。', 'The ID number must be 18 characters: 17 digits and a check digit or X.': '身份证号须为 18 位：17 位数字加校验码或 X。',
  'The check digit of the ID number is wrong (GB 11643).': '身份证号校验码错误（GB 11643）。', 'The birth date in the ID number is impossible.': '身份证号中的出生日期不成立。',
  'The region code of the ID number is unknown.': '身份证号的地区码不存在。', 'The term is outside the product’s range.': '期限超出该产品允许的范围。',
  'Not in the list.': '不在可选范围内。', 'Programme totals only: no borrower is shown.': '只显示计划汇总数，不显示任何借款人。',
  'Start-up loan programme': '职工创业贷款计划',
};

/** Loan statuses (the loans domain's STATUS_ZH; a test keeps them equal). */
export const LOAN_STATUS: Record<string, [string, string]> = {
  submitted: ['已申请', 'submitted'], reviewed: ['已审查', 'reviewed'], approved: ['已批准', 'approved'], refused: ['未获批准', 'refused'],
  withdrawn: ['已撤回', 'withdrawn'], active: ['还款中', 'active'], closed: ['已结清', 'closed'], written_off: ['已核销', 'written off'],
};
export const LOAN_METHOD: Record<string, [string, string]> = {
  equal_instalment: ['等额本息', 'equal instalments'], equal_principal: ['等额本金', 'equal principal'], bullet: ['到期一次还本付息', 'bullet'],
};
export const LOAN_BUCKET: Record<string, [string, string]> = {
  current: ['未逾期', 'current'], '1-30': ['逾期1–30天', '1–30 days'], '31-60': ['逾期31–60天', '31–60 days'], '61-90': ['逾期61–90天', '61–90 days'], over_90: ['逾期90天以上', 'over 90 days'],
};
export const PILOT_KIND: Record<string, [string, string]> = {
  district: ['区工会', 'district union'], enterprise_group: ['企业集团工会', 'enterprise-group union'], institution: ['系统（事业单位）工会', 'institution union'],
};
export const REFUSAL_REASON: Record<string, [string, string]> = {
  not_eligible: ['不符合申请条件', 'not eligible'], plan_not_viable: ['创业计划不可行', 'plan not viable'], insufficient_guarantee: ['担保不足', 'insufficient guarantee'],
  over_quota: ['超出试点单位额度', 'over quota'], incomplete_documents: ['材料不全', 'incomplete documents'], other: ['其他', 'other'],
};
export const LOAN_TIER: Record<string, [string, string]> = {
  district: ['区级审批（一人）', 'district approver (one)'], foundation: ['基金会审批（一人）', 'foundation approver (one)'],
  two_foundation: ['基金会审批（两人）', 'two distinct foundation approvers'],
};
/** Steps of a loan's timeline (loan_events.action). */
export const LOAN_EVENT: Record<string, [string, string]> = {
  created: ['受理申请', 'application taken'], reviewed: ['审查', 'reviewed'], approval_recorded: ['记录审批（尚需另一位审批人）', 'approval recorded (another approver needed)'],
  approved: ['审批通过', 'approved'], refused: ['不予批准', 'refused'], withdrawn: ['撤回', 'withdrawn'], disbursed: ['放款', 'disbursed'],
  repaid: ['还款', 'repaid'], settled: ['还款结清', 'settled'], write_off_approval_recorded: ['记录核销审批（尚需另一位审批人）', 'write-off approval recorded'],
  written_off: ['核销', 'written off'], restructure_approval_recorded: ['记录重组审批（尚需另一位审批人）', 'restructuring approval recorded'],
  restructured: ['重组（新还款计划）', 'restructured'],
};

/**
 * A field message of the API (joi's English, or the ID-number check's) as a sentence in Chinese: the page
 * shows Chinese at the field, the API's English stays in the banner beside the code's meaning.
 */
export function fieldMessageKey(message: string): string {
  if (/is required|is not allowed to be empty/.test(message)) return 'This field is required.';
  if (/must be 18 characters/.test(message)) return 'The ID number must be 18 characters: 17 digits and a check digit or X.';
  if (/check digit/.test(message)) return 'The check digit of the ID number is wrong (GB 11643).';
  if (/birth date/.test(message)) return 'The birth date in the ID number is impossible.';
  if (/region|area code/.test(message)) return 'The region code of the ID number is unknown.';
  if (/amount|decimal|fails to match the required pattern/.test(message)) return 'An amount such as 5000.00 (at most two decimals).';
  if (/must be a number|must be an integer/.test(message)) return 'A whole number of months.';
  if (/^must be \d+ to \d+$/.test(message)) return 'The term is outside the product’s range.';
  if (/no such|must be one of/.test(message)) return 'Not in the list.';
  return 'Invalid value.';
}
