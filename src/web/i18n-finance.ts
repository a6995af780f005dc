/** Chinese of the finance pages' English keys (merged into i18n.ts). */
export const ZH_FINANCE: Record<string, string> = {
  // funds and fund management
  'Fund code': '基金编号', 'Fund name': '基金名称', 'Fund management': '基金管理', 'Fund kind': '基金类型',
  'Chinese name': '中文名称', 'English name': '英文名称', 'Parent fund': '上级基金', Restricted: '限定性',
  'Create a fund': '新建基金', 'None (a foundation)': '无（基金会为顶级）', 'Same as the parent fund': '同上级基金',
  'Restricted fund (限定性)': '限定性基金',
  'A foundation has no parent; a district fund hangs under a foundation; enterprise-group and institution funds under a district or foundation fund. Code and kind cannot be changed later.':
    '基金会为顶级基金；区级基金挂在基金会下；企业集团和事业单位基金挂在区级基金或基金会下。编号和类型创建后不能修改。',
  'Upper-case letters and digits joined by "-", e.g. WF-CY': '大写字母和数字，用“-”连接，如 WF-CY',
  'Fund created': '基金已创建', 'Bank account saved': '银行账号已保存', '(none)': '（无）',
  'Journal entries of this fund': '本基金的记账凭证', 'Bank statements of this fund': '本基金的银行对账单',
  'Set the bank account': '设置银行账号',
  'Reconciliation uses it to pick this fund’s statement in a bank file with several accounts. Leave empty to clear it.':
    '银行文件含多个账户时，对账按此账号选出本基金的对账单。留空则清除。',
  // journal
  Summary: '摘要', 'Line note': '备注',
  'Search number or description': '按凭证号或摘要搜索', Reversed: '已冲销', 'Reversal of': '冲销凭证', Entry: '凭证',
  Posted: '已过账', 'Posted by': '制单', 'Donation recorded': '捐赠已登记', 'Allocation recorded': '调拨已登记',
  'reversal entry': '冲销凭证', 'Back to the journal': '返回凭证列表', 'Reverse this entry': '冲销本凭证', Reverse: '冲销',
  'A reversal posts a new entry with every debit and credit swapped, once only. In a closed month it is dated the first day of the first open month.':
    '冲销会生成一张借贷方向全部相反的新凭证，每张凭证只能冲销一次。若日期在已结账月份，冲销凭证记入第一个未结账月份的 1 日。',
  'Reversal date': '冲销日期', 'I have checked: reverse entry {number} (¥{amount})': '我已核对，确认冲销凭证 {number}（¥{amount}）',
  'Tick the box to confirm the reversal.': '请勾选确认冲销。', 'Nothing was reversed: please confirm.': '未冲销：请先确认。',
  // donations
  'Donor type': '捐赠人类型', 'Required unless anonymous': '匿名捐赠可不填', Restriction: '限定性',
  'As the fund is': '同基金设置', 'Restricted (限定性)': '限定性', 'Unrestricted (非限定性)': '非限定性',
  'What the donor gave it for, if restricted': '限定性捐赠的指定用途', 'Reference (bank slip or receipt no.)': '参考号（银行回单或收据号）',
  // periods
  'Closed by': '结账人', 'Not ended yet': '本月尚未结束', 'Close {month} first': '请先结账 {month}',
  '{month} is closed: it takes no more postings.': '{month} 已结账，不能再记入凭证。',
  'Months are closed one by one, oldest first, once they have ended.': '会计期间按月依次结账（从最早的月份开始），月份结束后才能结账。',
  'Close the month': '结账', 'This month cannot be closed now: only the first open month, once it has ended.': '现在不能结这个月：只能结第一个未结账且已结束的月份。',
  'Closing is final. After it:': '结账不可撤销。结账后：',
  'no entry, donation, allocation or payment can be dated in {month};': '凭证、捐赠、调拨和支付都不能再记入 {month}；',
  'a reversal of an entry of this month is dated the first day of the next open month;': '冲销本月凭证时，冲销凭证记入下一个未结账月份的 1 日；',
  'the month cannot be reopened.': '本月不能重新打开。', 'Entries in the month': '本月凭证数',
  'I have checked the entries and the bank reconciliation of {month} and close it': '我已核对 {month} 的凭证和银行对账，确认结账',
  'Tick the box to confirm.': '请勾选确认。', 'Nothing was closed: please confirm.': '未结账：请先确认。',
  // reconciliation
  'Statement no., fund, bank, account, date': '对账单号、基金、银行、账号、日期', Imported: '导入', Completed: '完成',
  'Statement imported: #{id} · {fund} · {from} – {to} · {n} lines': '对账单已导入：#{id} · {fund} · {from} – {to} · {n} 笔明细',
  'Auto-match: {n} lines matched': '自动匹配：{n} 笔已匹配', '{n} left for you (several candidates)': '{n} 笔有多个候选，需人工匹配',
  'Matched #{id}: {sn} statement lines ¥{sa} ↔ {ln} ledger lines ¥{la}': '已匹配 #{id}：{sn} 笔对账单明细 ¥{sa} ↔ {ln} 笔账簿明细 ¥{la}', Matched: '已匹配', 'Match undone': '已取消匹配',
  'A closed reconciliation cannot change.': '已完成的对账不能再修改。', 'Difference explained': '差额说明',
  'Statement closing balance': '对账单期末余额', 'Ledger balance (1002) at period end': '期末账面余额（1002 银行存款）',
  'Difference (statement − ledger)': '差额（对账单 − 账面）', 'In transit: in the ledger, not yet at the bank': '在途：账簿已记、银行未记',
  'At the bank, booked in the ledger later': '银行已记、账簿期后入账', 'At the bank, not in the ledger (to book or match)': '银行已记、账簿未记（待记账或匹配）',
  'Other (opening balance, a missing statement)': '其他（期初余额不符或缺少对账单）', 'Unexplained difference': '未解释差额',
  Actions: '操作',
  'Closing records that the statement agrees with the ledger. After it, no line of this statement can be matched or unmatched.':
    '完成对账即确认对账单与账簿相符。完成后，本对账单的明细不能再匹配或取消匹配。',
  'I have checked: the difference of ¥{amount} is fully explained; close the reconciliation of statement #{id}': '我已核对：差额 ¥{amount} 已全部解释，确认完成对账单 #{id} 的对账',
  'Cannot close yet: an unexplained difference of ¥{amount} remains. Match the lines, or book the missing items in the journal, first.': '暂不能完成对账：仍有未解释差额 ¥{amount}。请先匹配明细，或在记账凭证中补记缺少的项目。',
  'information line': '提示行', 'Match by hand': '手工匹配', 'Selected difference': '所选差额',
  'Nothing was closed: tick the box to confirm.': '未完成对账：请勾选确认。',
  // financial statements
  'Financial statements': '财务报表', 'Trial balance': '科目余额表', 'Statement of financial position': '资产负债表',
  'Statement of activities': '业务活动表', 'All funds (consolidated)': '全部基金（合并）', 'Include the funds below it': '含下级基金',
  Show: '查询', 'All funds, consolidated (transfers between funds eliminated)': '全部基金合并（基金间调拨已抵销）',
  'Fund {fund} and the funds below it (consolidated)': '基金 {fund} 及其下级基金（合并）', 'Fund {fund} alone': '基金 {fund}（单独）', 'Amounts in yuan (¥)': '金额单位：元',
  'Account code': '科目编码', 'Account name': '科目名称', 'Debit balance': '借方余额', 'Credit balance': '贷方余额', 'As of': '截至日期',
  'Debits equal credits.': '借贷平衡。', 'Debits and credits differ!': '借贷不平衡！',
  Assets: '资产', Liabilities: '负债', 'Net assets': '净资产', 'Total assets': '资产合计', 'Total liabilities': '负债合计',
  'Total net assets': '净资产合计', 'Total liabilities and net assets': '负债和净资产合计', 'Liabilities and net assets': '负债和净资产',
  Section: '项目', Income: '收入', Expenses: '费用', 'Total income': '收入合计', 'Total expenses': '费用合计', Surplus: '结余',
  'Surplus (income − expenses)': '本期结余（收入 − 费用）',
  'Transfers between the funds shown, eliminated: in ¥{in} · out ¥{out}': '所列基金之间的调拨已抵销：调入 ¥{in}，调出 ¥{out}', 'By fund (before elimination)': '分基金（抵销前）',
};

/** Where a journal entry came from. */
export const SOURCE: Record<string, [string, string]> = {
  manual: ['手工', 'manual'], donation: ['捐赠', 'donation'], allocation: ['调拨', 'allocation'], aid: ['救助', 'aid'],
  reversal: ['冲销', 'reversal'], closing: ['结转', 'closing'],
};
export const FUND_KIND: Record<string, [string, string]> = {
  foundation: ['基金会', 'foundation'], district: ['区级基金', 'district'], enterprise_group: ['企业集团基金', 'enterprise group'], institution: ['事业单位基金', 'institution'],
};
/** A bank statement's reconciliation. */
export const RECON_STATUS: Record<string, [string, string]> = { open: ['待对账', 'open'], closed: ['已完成', 'completed'] };
