import { ZH_FINANCE } from './i18n-finance';
import { ZH_PEOPLE } from './i18n-people';
import { ZH_DOCUMENTS } from './i18n-documents';
import { ZH_LOANS } from './i18n-loans';
import { ZH_REGISTRY } from './i18n-registry';
import { ZH_CAMPAIGNS } from './i18n-campaigns';

/** Chinese first; English is the key itself, so a missing translation shows English rather than nothing. */
export type Lang = 'zh' | 'en';

const ZH_CORE: Record<string, string> = {
  'Warmth Foundation': '温暖基金会',
  'Relief ledger': '帮扶台账',
  'Skip to content': '跳到正文',
  'Log in': '登录', 'Log out': '退出', Username: '用户名', Password: '密码',
  'Wrong username or password': '用户名或密码错误',
  'Too many failed logins: try again later': '登录失败次数过多，请稍后再试',
  Dashboard: '工作台', Households: '困难职工家庭', 'Aid cases': '救助案件', 'Target tracker': '解困目标',
  Funds: '基金', Journal: '记账凭证', 'Manual entry': '手工凭证', Donations: '捐赠', Allocations: '资金调拨',
  Payments: '支付', Periods: '会计期间', 'Bank reconciliation': '银行对账', Audit: '审计', Reports: '报表',
  'Notice board': '公示栏', Disclosures: '公开披露', 'Verify a report': '报表验真',
  'Public pages': '公开信息', 'Signed in as': '当前用户', Language: '语言',
  'Today': '今日待办', 'Waiting for review': '待复核', 'Waiting for approval': '待审批', 'Open objections': '待处理异议',
  'Payable cases': '待支付案件', 'Statements to reconcile': '待对账单', 'Target pace': '目标进度',
  'Nothing waiting.': '暂无待办。', Open: '打开', Search: '搜索', Filter: '筛选', Reset: '重置',
  'Export CSV': '导出 CSV', Next: '下一页', 'First page': '第一页', 'No records.': '暂无记录。',
  Status: '状态', Category: '困难类别', District: '区', 'All': '全部', Name: '姓名', 'Head of household': '户主',
  'ID number': '身份证号', Phone: '电话', Address: '地址', 'Union organisation': '所属工会', Members: '家庭成员',
  Relation: '关系', Age: '年龄', Health: '健康状况', 'Monthly income': '家庭月收入', 'Member count': '家庭人口',
  'Per-capita income': '人均月收入', Causes: '致困原因', Notes: '备注', 'New household': '新建档案',
  'Edit household': '编辑档案', Save: '保存', Cancel: '取消', 'Household file': '家庭档案',
  Assessments: '收入核查', 'Record an assessment': '录入收入核查', Date: '日期', 'Rigid expenses': '刚性支出',
  Evidence: '证明材料', History: '变更记录', 'Aid received': '已获救助', 'Mark exit': '标记脱困', 'Mark return': '标记返困',
  Reason: '原因', When: '时间', Who: '经办人', Event: '事件', 'Search name or ID number': '按姓名或身份证号搜索',
  'Add member': '添加成员', 'Open an aid case': '发起救助申请', 'Aid case': '救助案件', Fund: '基金', Description: '情况说明',
  'Requested amount': '申请金额', 'Recommended amount': '建议金额', 'Approved amount': '批准金额', Urgent: '紧急',
  Timeline: '流程记录', Submit: '提交', Review: '复核', Approve: '批准', Reject: '驳回', Withdraw: '撤回', Pay: '支付',
  Note: '意见', 'Case no.': '案件编号', Amount: '金额', 'Approval rules': '审批规则', Tier: '审批层级',
  'Approvals needed': '所需审批人数', Approvals: '已审批', 'Maker-checker': '经办与审批分离',
  'The creator and the reviewer of a case can never approve it.': '案件的经办人和复核人不得审批该案件。',
  Objections: '异议', 'Resolve': '处理', Upheld: '成立', Dismissed: '不成立', Outcome: '处理结果',
  'Notice': '公示', 'Notice ends': '公示截止', 'Notice starts': '公示开始', 'File an objection': '提出异议',
  'Your objection (text only)': '异议内容（仅文字）', 'Contact (optional)': '联系方式（选填）',
  'Objection received. Thank you.': '异议已收到，谢谢。', 'Payment reference': '支付流水号',
  'Aid this year': '本年已获救助', Household: '家庭', 'Paid on': '支付日期',
  'Cases in public notice': '公示中的救助案件',
  'Names are masked; ID numbers, phones and addresses are never shown.': '姓名已脱敏，不公开身份证号、电话和地址。',
  'Paid aid': '已支付的救助', From: '自', To: '至',
  'Paste a SHA-256 or choose a PDF: the file is hashed in your browser and never uploaded.': '粘贴 SHA-256，或选择 PDF 文件：文件只在您的浏览器中计算摘要，不会上传。',
  'PDF file': 'PDF 文件', Verify: '验证', 'Verified: this report was published by the foundation.': '验证通过：此报表由基金会发布。',
  'Not found: no report with this SHA-256 was published.': '未找到：没有以此 SHA-256 发布的报表。',
  Published: '发布时间', 'Audit head': '审计链头',
  Target: '目标', Exited: '已脱困', Remaining: '剩余', 'Days left': '剩余天数', 'Required per week': '每周需完成',
  'Current pace per week': '近 4 周每周完成', 'Projected year end': '预计年末完成', 'On track': '进度正常',
  'Behind': '进度落后', 'By month': '按月', 'By district': '按区', 'By category': '按类别',
  'Nearest to exit': '最接近脱困的家庭', Year: '年度', Progress: '进度',
  Balance: '余额', Cash: '现金', Bank: '银行存款', 'Aid payable': '应付救助款', Available: '可用余额',
  Account: '科目', Debit: '借方', Credit: '贷方', Memo: '摘要', 'Add line': '添加分录行', Post: '过账',
  'Totals per fund': '各基金借贷合计', Balanced: '已平衡', 'Not balanced': '未平衡', Number: '凭证号',
  Source: '来源', Lines: '分录', Donor: '捐赠人', Individual: '个人', Organization: '单位', Anonymous: '匿名',
  'Record a donation': '登记捐赠', 'From fund': '调出基金', 'To fund': '调入基金', Purpose: '用途',
  'Record an allocation': '登记调拨', Period: '期间', Close: '结账', Closed: '已结账', 'Open period': '未结账',
  'Upload a bank statement': '上传银行对账单', Format: '格式', Content: '文件内容', 'Opening balance': '期初余额',
  'Closing balance': '期末余额', Upload: '上传', 'Auto-match': '自动匹配', Match: '匹配', Unmatch: '取消匹配',
  Difference: '差额', 'Statement lines': '对账单明细', 'Ledger lines': '账簿明细', 'Matched total': '已匹配合计',
  'Ledger balance': '账面余额', 'Close reconciliation': '完成对账', Statement: '对账单',
  'Verify the audit chain': '验证审计链', 'Chain intact': '审计链完整', 'Chain broken at': '审计链断裂于',
  Length: '长度', 'Audit log': '审计日志', Action: '操作', Subject: '对象', Time: '时间', Actor: '操作人',
  Download: '下载', 'Fund statement': '基金收支报表', 'Aid disclosure': '救助公开披露',
  'Exit progress': '解困进度报告', 'Audit attestation': '审计证明',
  'This part of the service is not available yet.': '该功能暂未开放。',
  'You do not have access to this page.': '您无权访问此页面。', 'Page not found': '页面不存在',
  Error: '错误', Saved: '已保存', Back: '返回', Yes: '是', No: '否', Total: '合计', Created: '创建时间',
  'Please correct the marked fields.': '请修改标出的字段。', 'Choose…': '请选择…', Details: '详情',
  'Every field marked * is required.': '标 * 的为必填项。', Role: '角色', Menu: '菜单',
  'Reconciliation closed': '对账已完成', 'Statement id': '对账单编号', 'Open a statement': '打开对账单',
  Preview: '预览', Import: '导入', 'Detect automatically': '自动识别', 'Import profile': '导入配置',
  'Statement file': '对账单文件', 'A spreadsheet is sent as it is; CSV and XML text show here.': '电子表格按原文件上传；CSV 和 XML 的文本显示在此。',
  'Bank (detected)': '识别的银行', Encoding: '编码', 'Header row': '表头行', Order: '排列顺序', 'Bank account': '银行账号',
  Currency: '币种', 'Line count': '明细笔数', 'information lines': '提示行（金额为 0）', Problems: '问题', Line: '行',
  'No problems found.': '未发现问题。', 'Column header': '列标题', Meaning: '含义', Columns: '识别的列',
  'First rows of the file': '文件前几行', 'First lines': '前 20 笔明细', Counterparty: '对方户名',
  Previous: '上一页', 'Export Excel': '导出 Excel', Pages: '分页', 'click to sort': '点击排序',
  'sorted ascending; click for descending': '已升序，点击改为降序', 'sorted descending; click for ascending': '已降序，点击改为升序',
};

// Each area keeps its own words (one file each), so pages of different areas can grow without colliding.
const ZH: Record<string, string> = { ...ZH_CORE, ...ZH_FINANCE, ...ZH_PEOPLE, ...ZH_CAMPAIGNS, ...ZH_DOCUMENTS, ...ZH_REGISTRY, ...ZH_LOANS };

export function translate(lang: Lang, key: string): string {
  return lang === 'zh' ? (ZH[key] ?? key) : key;
}

let EN: Map<string, string> | undefined;
/** The English key of a Chinese text (the Excel header's second row); '' when it has none. */
export function englishOf(zh: string): string {
  EN ??= new Map(Object.entries(ZH).map(([en, z]) => [z, en]));
  return EN.get(zh) ?? (/^[\x20-\x7e]*$/.test(zh) ? zh : '');
}

export const STATUS: Record<string, [string, string]> = {
  registered: ['在档', 'registered'], assisted: ['已救助', 'assisted'], exited: ['已脱困', 'exited'], returned: ['返困', 'returned'],
  archived: ['已归档', 'archived'], draft: ['草稿', 'draft'], submitted: ['已提交', 'submitted'], reviewed: ['已复核', 'reviewed'],
  approved: ['已批准', 'approved'], in_notice: ['公示中', 'in notice'], payable: ['待支付', 'payable'], paid: ['已支付', 'paid'],
  rejected: ['已驳回', 'rejected'], withdrawn: ['已撤回', 'withdrawn'], cancelled: ['已取消', 'cancelled'], open: ['待处理', 'open'],
  upheld: ['成立', 'upheld'], dismissed: ['不成立', 'dismissed'],
};
export const CATEGORY: Record<string, [string, string]> = { deep: ['深度困难', 'deep'], relative: ['相对困难', 'relative'], accidental: ['意外致困', 'accidental'] };
export const CAUSE: Record<string, [string, string]> = {
  illness: ['疾病', 'illness'], disability: ['残疾', 'disability'], education: ['子女就学', 'education'], unemployment: ['失业', 'unemployment'],
  single_parent: ['单亲', 'single parent'], disaster: ['灾害', 'disaster'], other: ['其他', 'other'],
};
export const AID_REASON: Record<string, [string, string]> = {
  illness: ['疾病', 'illness'], accident: ['意外', 'accident'], disaster: ['灾害', 'disaster'], education: ['助学', 'education'],
  hardship: ['生活困难', 'hardship'], other: ['其他', 'other'],
};
export const DISTRICT: Record<string, [string, string]> = {
  DC: ['东城', 'Dongcheng'], XC: ['西城', 'Xicheng'], CY: ['朝阳', 'Chaoyang'], HD: ['海淀', 'Haidian'], FT: ['丰台', 'Fengtai'],
  SJS: ['石景山', 'Shijingshan'], MTG: ['门头沟', 'Mentougou'], FS: ['房山', 'Fangshan'], TZ: ['通州', 'Tongzhou'], SY: ['顺义', 'Shunyi'],
  CP: ['昌平', 'Changping'], DX: ['大兴', 'Daxing'], HR: ['怀柔', 'Huairou'], PG: ['平谷', 'Pinggu'], MY: ['密云', 'Miyun'], YQ: ['延庆', 'Yanqing'],
};
export const ROLE: Record<string, [string, string]> = {
  admin: ['管理员', 'admin'], officer: ['帮扶专干', 'relief officer'], approver: ['审批人', 'approver'], finance: ['财务', 'finance'], auditor: ['审计', 'auditor'],
};
export const TIER: Record<string, [string, string]> = {
  district: ['区级审批（一人）', 'district approver (one)'], foundation: ['基金会审批（一人）', 'foundation approver (one)'],
  two_foundation: ['基金会审批（两人）', 'two distinct foundation approvers'],
};

/** What a column of a bank statement file means (the preview of an upload). */
export const COLUMN_MEANING: Record<string, [string, string]> = {
  date: ['日期', 'date'], time: ['时间', 'time'], amount: ['金额（带符号）', 'amount (signed)'], in: ['收入（贷方）', 'in (credit)'],
  out: ['支出（借方）', 'out (debit)'], direction: ['借贷方向', 'direction'], balance: ['余额', 'balance'], counterparty: ['对方户名', 'counterparty'],
  counterpartyAccount: ['对方账号', 'counterparty account'], description: ['摘要', 'description'], reference: ['流水号', 'reference'],
  currency: ['币种', 'currency'], ignored: ['不读取', 'not read'],
};
export const ORDER: Record<string, [string, string]> = { oldest_first: ['由早到晚', 'oldest first'], newest_first: ['由晚到早', 'newest first'] };

export const label = (lang: Lang, table: Record<string, [string, string]>, code: string | null | undefined) =>
  code == null ? '' : (table[code]?.[lang === 'zh' ? 0 : 1] ?? code);
