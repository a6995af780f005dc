/** Chinese of the documents' and home visits' English keys (merged into i18n.ts). */
export const ZH_DOCUMENTS: Record<string, string> = {
  // documents
  'Supporting documents': '证明材料', 'Attach a document': '上传证明材料', Title: '名称', File: '文件', 'Attach to': '归属',
  'PDF, JPEG, PNG or HEIC, at most 20 MB; on a phone this takes a photo.': 'PDF、JPEG、PNG 或 HEIC，不超过 20 MB；手机上可直接拍照。',
  'Open PDF': '打开 PDF', 'Open file': '打开文件', Size: '大小', Uploaded: '上传时间',
  'Withdrawal reason': '撤回原因', Withdrawn: '已撤回', Erased: '已销毁', 'No documents yet.': '暂无证明材料。',
  'Every view of a document is recorded in the audit log.': '每次查看证明材料都会记入审计日志。',
  'This household file': '本档案', Visit: '走访', Assessment: '收入核查', Exit: '脱困',
  'The upload was refused': '上传未成功', 'Back to the household file': '返回家庭档案',
  // visits
  'Home visits': '入户走访', 'Record a visit': '录入走访', 'Visit date': '走访日期', Visitors: '走访人员',
  'Names, separated by commas': '姓名，用逗号分隔', Housing: '住房', Employment: '就业', Needs: '需求', 'Finding note': '说明', 'Visit summary': '走访小结',
  'Follow-up actions': '跟进事项', 'Follow-up action': '跟进事项', 'Due date': '期限', Done: '已完成', 'Mark done': '标记完成',
  Overdue: '已逾期', 'Not visited yet.': '尚未走访。', 'Health details are shown only to the district and the foundation.': '健康情况仅本区及基金会可见。',
  'Households not visited recently': '久未走访的家庭', 'Last visit': '最近走访', 'never': '从未', 'days': '天',
  'Not set': '未填写',
};

export const HOUSING: Record<string, [string, string]> = {
  stable: ['住房稳定', 'stable'], crowded: ['拥挤', 'crowded'], poor_repair: ['破旧待修', 'poor repair'], unsafe: ['存在安全隐患', 'unsafe'], no_home: ['无固定住所', 'no home'],
};
export const HEALTH: Record<string, [string, string]> = {
  good: ['健康', 'good'], chronic_illness: ['慢性病', 'chronic illness'], serious_illness: ['重大疾病', 'serious illness'], disability: ['残疾', 'disability'], needs_care: ['需要照护', 'needs care'],
};
export const EMPLOYMENT: Record<string, [string, string]> = {
  employed: ['在岗', 'employed'], underemployed: ['不充分就业', 'underemployed'], unemployed: ['失业', 'unemployed'], unable_to_work: ['无劳动能力', 'unable to work'], retired: ['退休', 'retired'], student: ['在校', 'student'],
};
export const NEED: Record<string, [string, string]> = {
  living: ['生活', 'living'], medical: ['医疗', 'medical'], education: ['教育', 'education'], housing: ['住房', 'housing'], employment: ['就业', 'employment'],
  care: ['照护', 'care'], legal: ['法律', 'legal'], other: ['其他', 'other'],
};
export const OWNER_KIND: Record<string, [string, string]> = {
  household: ['本档案', 'this household file'], assessment: ['收入核查', 'assessment'], aid_case: ['救助案件', 'aid case'], exit: ['脱困', 'exit'], visit: ['走访', 'visit'],
};
