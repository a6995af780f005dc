import { html, type Html } from './html';

/** Chinese of the people pages' English keys (merged into i18n.ts). */
export const ZH_PEOPLE: Record<string, string> = {
  // households
  'Latest assessment': '最近收入核查', 'Assessed on': '核查日期', 'At intake': '建档时', 'not assessed yet': '尚未核查',
  'Per-capita income (latest assessment)': '人均月收入（最近核查）', 'Monthly income (latest assessment)': '家庭月收入（最近核查）',
  'Per-capita income at intake': '建档时人均月收入', 'Monthly income at intake': '建档时家庭月收入',
  System: '系统', Public: '公众', 'Changed fields': '修改的字段', Threshold: '脱困标准',
  // cases
  'Choose a household': '选择家庭', 'Search by name or ID number (your district)': '按姓名或身份证号搜索（本区）',
  'Type a name or an ID number, then search.': '输入姓名或身份证号后搜索。', 'Choose this household': '选择此家庭',
  'Another household': '更换家庭', 'Choose a household first.': '请先选择家庭。', 'Funds this case may use': '本案可用的基金',
  'Only the funds of the household’s district and the foundation fund.': '只列出该家庭所在区的基金和基金会本级基金。',
  'No household found.': '未找到家庭。', Results: '搜索结果',
  'Minimum amount': '最低金额', 'Maximum amount': '最高金额', 'Created from': '创建日期自', 'Created to': '创建日期至',
  'Why you cannot act here': '您不能在此操作的原因', 'Recovery note': '追回说明',
  'You created this case: you cannot review it.': '您是本案经办人，不能复核',
  'You created this case: you cannot approve it.': '您是本案经办人，不能审批',
  'You created this case: you cannot reject it.': '您是本案经办人，不能驳回',
  'You reviewed this case: you cannot approve it.': '您复核了本案，不能审批',
  'You have already approved this case: a second, different foundation approver is needed.': '您已审批过本案，还需另一位基金会审批人审批',
  'This case is not in your district.': '本案不属于您所在的区',
  'The amount is above the district approvers’ limit: a foundation approver must approve it.': '金额超过区级审批上限，须由基金会审批人审批',
  'The case draws on a fund that is not your district’s: a foundation approver must approve it.': '本案使用的不是本区基金，须由基金会审批人审批',
  'You created, reviewed or approved this case: you cannot resolve objections to it.': '您经办、复核或审批了本案，不能处理对本案的异议',
  'District approvers approve up to': '区级审批人可批准不超过', 'one foundation approver up to': '基金会一位审批人可批准不超过',
  'above that, two foundation approvers': '超过此额须两位基金会审批人',
  // objections
  'Objections to handle': '待处理的异议', 'Case status': '案件状态', 'Filed': '提出时间', 'Open the case to resolve': '打开案件处理',
  // targets
  'Gap to threshold': '距脱困标准差额', Quota: '指标', 'Edit target and quotas': '编辑年度目标和各区指标',
  'Year target (exits)': '年度目标（脱困户数）', 'District quotas': '各区指标', 'Leave empty for no quota.': '留空表示不设指标。',
  'Target saved': '目标已保存',
  // audit
  'All actions': '全部操作', 'e.g. aid-case:2026-CY-0001 or household:12': '例如 aid-case:2026-CY-0001 或 household:12',
  'Not public': '不公开', 'Private details': '内部详情', Hash: '哈希',
  // verify
  'Report kind': '报表类型', Parameters: '参数', 'File size (bytes)': '文件大小（字节）', Pages: '页数', 'Audit head seq': '审计链头序号',
  'Audit head hash': '审计链头哈希', 'Generated at': '生成时间', 'Published seq': '发布序号', 'Published at': '发布时间',
  'SHA-256 must be 64 hexadecimal characters.': 'SHA-256 须为 64 位十六进制字符。',
  // disclosures
  'Disclosure PDFs (whole months, quarters or years)': '公开披露 PDF（整月、整季或整年）', 'This year': '本年', 'This quarter': '本季度',
  'Last month': '上月', 'The PDF of the year': '全年 PDF', 'Quarter': '季度', 'Month': '月份',
  // users
  Users: '用户管理', 'New user': '新建用户', Enabled: '启用', Disabled: '已停用', Disable: '停用', Enable: '启用',
  'Display name': '显示名称', Roles: '角色', 'Change roles and district': '修改角色和区', 'Reset password': '重置密码',
  'New password': '新密码', 'Incompatible roles': '不相容职务',
  'One user may never hold two of these together: admin and finance, admin and approver, finance and approver.': '同一用户不得兼任：管理员与财务、管理员与审批人、财务与审批人。',
  'Officers need a district; an approver with a district is a district approver.': '帮扶专干须选择所在区；选择了区的审批人为区级审批人。',
  'None (city-wide)': '无（全市）', 'At least 8 characters.': '至少 8 个字符。', 'User': '用户', 'State': '状态',
  'Disabling ends the user’s sessions at once.': '停用后该用户的登录立即失效。', 'Password reset': '密码已重置', 'User created': '用户已创建',
};

/** Steps of an aid case's timeline (aid_case_events.action). */
export const AID_EVENT: Record<string, [string, string]> = {
  created: ['创建', 'created'], submitted: ['提交', 'submitted'], reviewed: ['复核', 'reviewed'],
  approval_recorded: ['记录审批（尚需另一位审批人）', 'approval recorded (another approver needed)'], approved: ['批准', 'approved'],
  payable: ['转为待支付', 'became payable'], paid: ['支付', 'paid'], rejected: ['驳回', 'rejected'], withdrawn: ['撤回', 'withdrawn'],
  objection_filed: ['收到异议', 'objection filed'], objection_upheld: ['异议成立', 'objection upheld'],
  objection_dismissed: ['异议不成立', 'objection dismissed'], recovery_opened: ['启动追回', 'recovery opened'], cancelled: ['取消', 'cancelled'],
};

/** Kinds of a household file's history (household_events.kind). */
export const HH_EVENT: Record<string, [string, string]> = {
  created: ['建档', 'created'], updated: ['修改档案', 'updated'], assessed: ['收入核查', 'assessed'], transition: ['状态变更', 'status changed'],
};

/** Fields of a household file, as its change history names them. */
export const HH_FIELD: Record<string, [string, string]> = {
  headName: ['户主', 'head of household'], district: ['区', 'district'], unionOrg: ['所属工会', 'union organisation'],
  memberCount: ['家庭人口', 'member count'], category: ['困难类别', 'category'], notes: ['备注', 'notes'],
  monthlyIncome: ['家庭月收入', 'monthly income'], causes: ['致困原因', 'causes'], members: ['家庭成员', 'members'],
  idNumber: ['身份证号', 'ID number'], phone: ['电话', 'phone'], address: ['地址', 'address'],
};

/** Relations typed as codes by programs (people usually type Chinese, which is shown as it is). */
export const RELATION: Record<string, [string, string]> = {
  self: ['本人', 'self'], spouse: ['配偶', 'spouse'], child: ['子女', 'child'], son: ['儿子', 'son'], daughter: ['女儿', 'daughter'],
  parent: ['父母', 'parent'], father: ['父亲', 'father'], mother: ['母亲', 'mother'], sibling: ['兄弟姐妹', 'sibling'],
  grandparent: ['祖父母', 'grandparent'], grandchild: ['孙子女', 'grandchild'], other: ['其他', 'other'],
};

export const ACTOR: Record<string, [string, string]> = { system: ['系统', 'system'], public: ['公众', 'public'] };

/** Audit actions (audit_log.action). */
export const AUDIT_ACTION: Record<string, [string, string]> = {
  'auth.login': ['登录', 'login'], 'auth.logout': ['退出', 'logout'],
  'user.created': ['创建用户', 'user created'], 'user.updated': ['修改用户', 'user updated'], 'user.disabled': ['停用用户', 'user disabled'], 'user.enabled': ['启用用户', 'user enabled'],
  'household.created': ['建档', 'household created'], 'household.updated': ['修改档案', 'household updated'], 'household.assessed': ['收入核查', 'household assessed'],
  'household.assisted': ['标记已救助', 'household assisted'], 'household.exited': ['标记脱困', 'household exited'], 'household.returned': ['标记返困', 'household returned'],
  'household.archived': ['档案归档', 'household archived'], 'target.set': ['设置年度目标', 'target set'],
  'aid.created': ['创建救助案件', 'aid case created'], 'aid.submitted': ['提交救助案件', 'aid case submitted'], 'aid.reviewed': ['复核救助案件', 'aid case reviewed'],
  'aid.approval_recorded': ['记录审批', 'approval recorded'], 'aid.approved': ['批准救助案件', 'aid case approved'], 'aid.payable': ['转为待支付', 'aid case payable'],
  'aid.paid': ['支付救助款', 'aid paid'], 'aid.rejected': ['驳回救助案件', 'aid case rejected'], 'aid.withdrawn': ['撤回救助案件', 'aid case withdrawn'],
  'aid.objection_filed': ['收到异议', 'objection filed'], 'aid.objection_upheld': ['异议成立', 'objection upheld'], 'aid.objection_dismissed': ['异议不成立', 'objection dismissed'],
  'aid.recovery_opened': ['启动追回', 'recovery opened'], 'aid.cancelled': ['取消救助案件', 'aid case cancelled'],
  'ledger.posted': ['过账', 'entry posted'], 'ledger.reversed': ['冲销凭证', 'entry reversed'], 'ledger.donation_received': ['收到捐赠', 'donation received'],
  'ledger.allocated': ['资金调拨', 'allocation'], 'ledger.fund_created': ['创建基金', 'fund created'], 'ledger.fund_bank_account_set': ['设置基金银行账号', 'fund bank account set'],
  'ledger.period_closed': ['会计期间结账', 'period closed'],
  'reconciliation.statement_imported': ['导入对账单', 'statement imported'], 'reconciliation.statement_deleted': ['删除对账单', 'statement deleted'],
  'reconciliation.auto_matched': ['自动匹配', 'auto-matched'], 'reconciliation.matched': ['手工匹配', 'matched'], 'reconciliation.unmatched': ['取消匹配', 'unmatched'],
  'reconciliation.closed': ['完成对账', 'reconciliation closed'], 'reconciliation.profile_created': ['创建导入配置', 'import profile created'],
  'reconciliation.profile_updated': ['修改导入配置', 'import profile updated'], 'reconciliation.profile_deleted': ['删除导入配置', 'import profile deleted'],
  'report.published': ['发布报表', 'report published'],
};

/** Keys of audit payloads, for the details column. */
export const PAYLOAD_KEY: Record<string, [string, string]> = {
  caseNo: ['案件编号', 'case no.'], maskedName: ['姓名', 'name'], name: ['姓名', 'name'], district: ['区', 'district'], reason: ['原因', 'reason'],
  urgent: ['紧急', 'urgent'], status: ['状态', 'status'], approvedAmount: ['批准金额', 'approved amount'], requestedAmount: ['申请金额', 'requested amount'],
  amount: ['金额', 'amount'], noticeStart: ['公示开始', 'notice start'], noticeEnd: ['公示截止', 'notice end'], paidDate: ['支付日期', 'paid date'],
  entries: ['凭证', 'entries'], householdId: ['家庭档案', 'household'], category: ['困难类别', 'category'], date: ['日期', 'date'], from: ['原状态', 'from'],
  changedFields: ['修改的字段', 'changed fields'], year: ['年度', 'year'], target: ['目标', 'target'], quotas: ['各区指标', 'quotas'],
  kind: ['类型', 'kind'], params: ['参数', 'parameters'], headSeq: ['审计链头序号', 'audit head seq'], sha256: ['SHA-256', 'SHA-256'],
  objectionId: ['异议', 'objection'], outcome: ['处理结果', 'outcome'], approvalsNeeded: ['所需审批人数', 'approvals needed'], approvals: ['已审批', 'approvals'],
  noticeAfterPayment: ['支付后公示', 'notice after payment'], username: ['用户名', 'username'], roles: ['角色', 'roles'], disabled: ['停用', 'disabled'],
  fund: ['基金', 'fund'], number: ['凭证号', 'number'], source: ['来源', 'source'], description: ['摘要', 'description'], total: ['合计', 'total'],
  to: ['新状态', 'to'], fromStatus: ['原状态', 'from'], toStatus: ['新状态', 'to'], note: ['意见', 'note'], caseId: ['案件', 'case'],
  displayName: ['显示名称', 'display name'], before: ['变更前', 'before'], after: ['变更后', 'after'], changed: ['修改项', 'changed'],
  passwordReset: ['重置密码', 'password reset'], headName: ['户主', 'head of household'], memberCount: ['家庭人口', 'member count'],
  members: ['家庭成员', 'members'], monthlyIncome: ['家庭月收入', 'monthly income'], unionOrg: ['所属工会', 'union organisation'],
  causes: ['致困原因', 'causes'], notes: ['备注', 'notes'], assessmentId: ['核查', 'assessment'], evidence: ['证明材料', 'evidence'],
  perCapitaIncome: ['人均月收入', 'per-capita income'], rigidExpenses: ['刚性支出', 'rigid expenses'], changes: ['修改', 'changes'],
  field: ['字段', 'field'], old: ['原值', 'old'], new: ['新值', 'new'], threshold: ['脱困标准', 'threshold'],
  assessmentDate: ['核查日期', 'assessment date'], code: ['代码', 'code'], nameZh: ['中文名称', 'Chinese name'], nameEn: ['英文名称', 'English name'],
  parentCode: ['上级基金', 'parent fund'], restricted: ['限定性', 'restricted'], bankAccount: ['银行账号', 'bank account'], lines: ['分录', 'lines'],
  account: ['科目', 'account'], debit: ['借方', 'debit'], credit: ['贷方', 'credit'], memo: ['摘要', 'memo'], donor: ['捐赠人', 'donor'],
  donorKind: ['捐赠人类型', 'donor type'], anonymous: ['匿名', 'anonymous'], purpose: ['用途', 'purpose'], sourceRef: ['来源编号', 'source ref.'],
  restriction: ['限定性', 'restriction'], reference: ['流水号', 'reference'], bytes: ['字节数', 'bytes'], pages: ['页数', 'pages'],
  periodFrom: ['期间起', 'period from'], periodTo: ['期间止', 'period to'], openingBalance: ['期初余额', 'opening balance'],
  closingBalance: ['期末余额', 'closing balance'], statementClosingBalance: ['对账单期末余额', 'statement closing balance'],
  ledgerBalance: ['账面余额', 'ledger balance'], difference: ['差额', 'difference'], lineCount: ['明细笔数', 'line count'], format: ['格式', 'format'],
  matched: ['已匹配', 'matched'], ambiguous: ['无法唯一匹配', 'ambiguous'], matchIds: ['匹配编号', 'match ids'], statementLineIds: ['对账单明细', 'statement lines'],
  ledgerLineIds: ['账簿明细', 'ledger lines'], bankItemsBookedLater: ['银行已记、账簿后记', 'bank items booked later'],
  ledgerItemsNotInBank: ['账簿已记、银行未达', 'ledger items not in bank'], closedAt: ['完成时间', 'closed at'], closedBy: ['完成人', 'closed by'],
  entryId: ['凭证', 'entry'], fingerprint: ['文件指纹', 'fingerprint'], fromFund: ['调出基金', 'from fund'], toFund: ['调入基金', 'to fund'],
  period: ['期间', 'period'], previous: ['原值', 'previous'], profileId: ['导入配置', 'import profile'], reverses: ['冲销的凭证', 'reverses'],
  reversesId: ['冲销的凭证', 'reverses'], rule: ['规则', 'rule'], statementId: ['对账单', 'statement'], actor: ['操作人', 'actor'],
  paymentRef: ['支付流水号', 'payment ref.'], text: ['内容', 'text'], contact: ['联系方式', 'contact'], id: ['编号', 'id'], reversalOf: ['冲销的凭证', 'reverses'],
};

/** Coded payload values that are not statuses, districts or reasons. */
export const PAYLOAD_VALUE: Record<string, [string, string]> = {
  individual: ['个人', 'individual'], organization: ['单位', 'organisation'], restricted: ['限定性', 'restricted'], unrestricted: ['非限定性', 'unrestricted'],
};

/** Report kinds (the verify page, the audit log). */
export const REPORT_KIND: Record<string, [string, string]> = {
  'aid-disclosure': ['救助公开披露', 'aid disclosure'], 'fund-statement': ['基金收支报表', 'fund statement'],
  'exit-progress': ['解困进度报告', 'exit progress'], 'audit-attestation': ['审计证明', 'audit attestation'],
  'campaign-disclosure': ['送温暖活动名单公示', 'campaign disclosure'],
  'loan-statement': ['创业贷款对账单', 'loan statement'], 'loan-programme': ['创业贷款计划进度', 'loan programme'],
};

/**
 * Notes and reasons the service writes itself (never typed by a person) are stored in English: the pages
 * show them by their stable wording. Anything else is a person's own note and is shown as typed.
 */
export function systemText(lang: 'zh' | 'en', text: string | null | undefined): string {
  if (text == null) return '';
  if (lang !== 'zh') return text;
  const fixed: Record<string, string> = {
    'notice ended without objection': '公示期满，无异议',
    'notice ended; objections dismissed': '公示期满，异议均不成立',
    'opened with an emergency-aid application': '随应急救助申请建档',
  };
  if (fixed[text]) return fixed[text]!;
  let m = /^payment (.+)$/.exec(text);
  if (m) return `支付流水号 ${m[1]}`;
  m = /^aid case (\S+) paid$/.exec(text);
  if (m) return `救助案件 ${m[1]} 已支付`;
  return text;
}

/** A person's username as the pages show it: system and public in words, names marked translate="no". */
export function actorCell(lang: 'zh' | 'en', actor: string | null | undefined): Html {
  if (actor == null) return html``;
  return ACTOR[actor] ? html`${ACTOR[actor]![lang === 'zh' ? 0 : 1]}` : html`<span translate="no">${actor}</span>`;
}
