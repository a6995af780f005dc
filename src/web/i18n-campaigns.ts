// The console's words for relief campaigns (两节送温暖; src/web/pages/campaigns*.ts). English is the key, as in i18n.ts.
export const ZH_CAMPAIGNS: Record<string, string> = {
  'Relief campaigns': '送温暖活动', 'Relief campaign': '送温暖活动', 'New campaign': '新建活动', 'Campaign kind': '活动类型',
  'Campaign name': '活动名称', 'Amount rules': '金额规则', 'Base amount per category': '各困难类别基本金额',
  'Add-on per member beyond the head': '户主以外每名成员加发', 'Add-on per cause': '按致困原因加发', 'Cap per household': '每户封顶',
  Eligibility: '纳入条件', 'Household statuses': '档案状态', 'All districts the funds reach': '基金可覆盖的全部区',
  'Not exited this year': '本年度未脱困', 'District quotas (households)': '各区名额（户）', 'No quota': '不限',
  'Funds the campaign draws on': '资金来源（基金）', 'Only your district’s funds and the foundation fund.': '只能选择本区基金或基金会本级基金。',
  'A category without a base amount is not on the roll.': '未填基本金额的困难类别不纳入名单。',
  'Leave empty for no add-on.': '不加发的请留空。', 'Create the campaign': '创建活动',
  Roll: '名单', 'Roll lines': '名单明细', 'Lines on the roll': '名单户数', 'Roll total': '名单总额', 'Included': '在册',
  Excluded: '已剔除', Removed: '已移出', 'Build the roll': '生成名单', 'Recompute the roll': '重算名单',
  'Preview the changes': '预览变化（不保存）', 'What changed': '名单变化', 'Preview: nothing was saved.': '预览：尚未保存。',
  'The roll was built.': '名单已生成。', Added: '新增', 'Amount changed': '金额变化', 'Rule': '计算规则', 'Line no.': '行号',
  'Save this roll': '按此生成名单', 'Review by district': '分区复核', 'Review': '复核', Exclude: '剔除', Include: '纳入', Adjust: '调整金额',
  'Reason (required)': '原因（必填）', 'Adjusted amount': '调整后金额', 'Review note': '复核说明', 'Reviewed by': '复核人',
  'You review the lines of your district only.': '您只能复核本区的明细。', 'Submit for approval': '提交审批', 'Send back': '退回修改',
  'Cancel the campaign': '取消活动', 'Approve the roll': '审批名单',
  'Whoever created, built, reviewed a line of or submitted the roll can never approve it.': '编制、生成、复核明细或提交名单的人不得审批该名单。',
  'You created, built, reviewed or submitted this roll: you cannot approve it.': '您参与了该名单的编制、生成、复核或提交，不能审批。',
  'You have already approved this roll: a second, different foundation approver is needed.': '您已审批过该名单：还需另一位基金会审批人审批。',
  'The roll total is above the district approvers’ limit: a foundation approver must approve it.': '名单总额超过区级审批上限，须由基金会审批人审批。',
  'This campaign is not of your district: a foundation approver must approve it.': '该活动不是本区活动，须由基金会审批人审批。',
  'You made, reviewed or approved this roll: you cannot resolve objections to it.': '您参与了该名单的编制、复核或审批，不能处理对它的异议。',
  'A city-wide roll is built and submitted by city-level staff.': '全市活动的名单由市级经办人生成和提交。',
  'Pay the roll': '发放慰问金', 'Payment date': '记账日期',
  'One ledger entry per household, through the batch path; the fund’s available amount is checked first.': '每户一张记账凭证，批量记账；先核对基金可用余额。',
  'Households without a bank account are left for cash.': '无银行账户的家庭留待现金发放。',
  'Bank file': '代发文件', 'Download the bank file (CSV, GBK)': '下载代发文件（CSV，GBK 编码）', 'Download the bank file (Excel)': '下载代发文件（Excel）',
  'Upload the bank’s result file': '上传银行代发结果文件', 'Result file (CSV or Excel)': '结果文件（CSV 或 Excel）',
  'Columns 附言 and 状态 (成功 / 失败), optional 失败原因 and 金额.': '列：附言、状态（成功/失败），可选：失败原因、金额。',
  'Result imported': '代发结果已导入', Confirmed: '银行确认成功', Returned: '退回', Skipped: '跳过（已处理）',
  'Lines returned by the bank': '银行退回的明细', 'Pay again with the next payment run, or in cash.': '可在下次发放时重新转账，或现金发放。',
  'Pay in cash': '现金发放', 'Payment state': '发放状态', 'Paid lines': '已发放户数', 'Paid amount': '已发放金额',
  'Progress': '进度', 'Campaign progress': '活动进度', 'Lines by state': '明细状态', 'Household count': '户数',
  'Disclosure PDF': '名单公示报告（PDF）', 'Campaign rolls in public notice': '公示中的送温暖名单', 'Open the roll': '查看名单',
  'Object to this line': '对此行提出异议', 'Objection to line': '对名单行提出异议', 'Campaigns this year': '本年度送温暖活动',
  'Waiting for you': '待您处理', 'Timeline': '流程记录', 'Notice period': '公示期', 'Approved total': '批准总额',
  'Payment result': '发放结果', 'Paid now': '本次发放户数', 'Amount paid now': '本次发放金额', 'Without a bank account': '无银行账户（待现金）',
  'Open objections first: the roll cannot be paid while one is open.': '异议处理完毕前不能发放。', 'Lines of the roll': '名单明细',
  'Choose a file.': '请选择文件。', 'Roll built at': '名单生成时间',
  'Nothing changed.': '没有变化。', 'Back to the campaign': '返回活动',
};

export const CAMPAIGN_KIND: Record<string, [string, string]> = {
  new_year_spring: ['元旦春节送温暖', 'New Year and Spring Festival'], autumn_school: ['金秋助学', 'autumn school support'],
  summer_cooling: ['夏送清凉', 'summer cooling'], other: ['其他', 'other'],
};
export const CAMPAIGN_STATUS: Record<string, [string, string]> = {
  draft: ['草稿', 'draft'], built: ['名单已生成', 'roll built'], submitted: ['已提交审批', 'submitted'], in_notice: ['公示中', 'in notice'],
  payable: ['待支付', 'payable'], paying: ['支付中', 'being paid'], paid: ['已支付', 'paid'], cancelled: ['已取消', 'cancelled'],
};
export const LINE_STATUS: Record<string, [string, string]> = { included: ['在册', 'included'], excluded: ['已剔除', 'excluded'], removed: ['已移出（异议成立）', 'removed'] };
export const PAY_STATE: Record<string, [string, string]> = {
  unpaid: ['待发放', 'unpaid'], paid: ['已记账待银行确认', 'posted, bank pending'], confirmed: ['已发放', 'confirmed'], returned: ['银行退回', 'returned'],
};
export const CAMPAIGN_EVENT: Record<string, [string, string]> = {
  created: ['新建活动', 'created'], roll_built: ['生成/重算名单', 'roll built'], line_reviewed: ['复核明细', 'line reviewed'], submitted: ['提交审批', 'submitted'],
  sent_back: ['退回修改', 'sent back'], cancelled: ['取消活动', 'cancelled'], approval_recorded: ['审批（第一人）', 'first approval'], approved: ['审批通过，公示开始', 'approved'],
  objection_filed: ['提出异议', 'objection filed'], objection_upheld: ['异议成立', 'objection upheld'], objection_dismissed: ['异议不成立', 'objection dismissed'],
  payable: ['公示期满转待支付', 'payable'], lines_paid: ['批量记账（一批）', 'lines paid'], payment_partial: ['部分发放', 'partly paid'], paid: ['发放完成', 'paid'],
  bank_file_exported: ['导出代发文件', 'bank file exported'], bank_result_imported: ['导入代发结果', 'bank result imported'], cash_paid: ['现金发放', 'paid in cash'],
};
export const REVIEW_ACTION: Record<string, [string, string]> = { exclude: ['剔除', 'exclude'], include: ['纳入', 'include'], adjust: ['调整金额', 'adjust'] };

/** The notes the campaign service writes itself (English, for logs) in Chinese; a person's own words stay as typed. */
export function campaignNote(lang: 'zh' | 'en', note: string | null | undefined): { text: string; system: boolean } {
  const n = note ?? '';
  if (lang === 'en' || !n) return { text: n, system: true };
  const rules: [RegExp, (m: RegExpExecArray) => string][] = [
    [/^lines (\d+), added (\d+), removed (\d+), amount changed (\d+)$/, (m) => `名单 ${m[1]} 户，新增 ${m[2]}，移出 ${m[3]}，金额变化 ${m[4]}`],
    [/^line (\d+) (exclude|include|adjust): ([\s\S]*)$/, (m) => `第 ${m[1]} 行${REVIEW_ACTION[m[2]!]![0]}：${m[3]}`],
    [/^lines (\d+)–(\d+)$/, (m) => `第 ${m[1]}–${m[2]} 行`],
    [/^(\d+) lines paid, (\d+) open$/, (m) => `本次发放 ${m[1]} 户，未发放 ${m[2]} 户`],
    [/^confirmed (\d+), returned (\d+), skipped (\d+)$/, (m) => `确认 ${m[1]}，退回 ${m[2]}，跳过 ${m[3]}`],
    [/^(csv|xlsx) (\d+) lines sha256 ([0-9a-f]{64})$/, (m) => `${m[1]!.toUpperCase()} ${m[2]} 行，SHA-256 ${m[3]}`],
    [/^(\d+) transfers returned by the bank$/, (m) => `银行退回 ${m[1]} 笔`],
    [/^notice ended without objection$/, () => '公示期满，无异议'],
    [/^notice ended; objections resolved$/, () => '公示期满，异议已处理'],
    [/^notice ended$/, () => '公示期满'],
  ];
  for (const [re, f] of rules) {
    const m = re.exec(n);
    if (m) return { text: f(m), system: true };
  }
  return { text: n, system: false };
}
