/**
 * An error meant for the client: it becomes `{"error": {code, message, messageZh, details}}` with its status.
 * `message` stays English for programs and logs; `messageZh` is what a person reads: the specific Chinese
 * sentence when the thrower gives one (`.zh('…')`), else the Chinese meaning of the code.
 */
export class AppError extends Error {
  messageZh?: string;
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** The Chinese sentence for people, with the same facts as the English message. */
  zh(text: string): this {
    this.messageZh = text;
    return this;
  }
}

/** The Chinese meaning of every error code the API answers with. */
export const ERROR_CODE_ZH: Record<string, string> = {
  validation_failed: '输入有误', unauthorized: '请先登录', forbidden: '无权执行此操作', maker_checker: '经办人、复核人或审批人不得处理本案',
  not_found: '未找到', invalid_state: '当前状态不允许此操作', insufficient_funds: '基金可用余额不足', period_closed: '会计期间已结账',
  idempotency_conflict: '重复提交的内容不一致', duplicate_household: '该身份证号已有在档家庭', exit_criteria_not_met: '不符合脱困条件',
  unbalanced_entry: '凭证借贷不平衡', already_approved: '您已审批过本案', amount_mismatch: '两位审批人的金额不一致',
  amount_exceeds_request: '金额超过申请金额', rate_limited: '操作过于频繁，请稍后再试', account_locked: '账户已暂时锁定',
  unreconciled_difference: '对账差额未解释，不能完成对账', reconciliation_closed: '对账已完成，不能修改', duplicate_statement: '对账单已导入过',
  statement_overlaps: '对账单期间与已导入的重叠', already_matched: '明细已匹配', match_amounts_differ: '匹配两边金额不等', unavailable: '系统暂时不可用，请重试',
  fund_out_of_scope: '基金不属于本区，也不是基金会本级基金', incompatible_roles: '不相容职务：同一用户不得兼任', future_date: '日期不能晚于今天',
  currency_mismatch: '对账单币种不是人民币', no_grants: '该期间没有已支付的救助', payload_too_large: '提交的内容过大',
  unsupported_media_type: '提交的内容须为 UTF-8 JSON', request_timeout: '请求超时', headers_too_large: '请求头过大', bad_request: '请求无效',
  internal_error: '系统内部错误，操作未执行', duplicate_fund: '基金代码已存在', invalid_match: '该明细不能匹配',
  exit_visit_required: '脱困前须有近期入户走访', import_has_problems: '导入文件有问题，未导入任何档案', document_erased: '证明材料已过保存期限并已销毁',
  duplicate_loan: '该职工已有未结清的贷款或在办申请', no_programme: '本年未设立创业贷款计划', amount_out_of_range: '金额超出贷款产品的范围',
  over_quota: '超出试点单位额度', overpayment: '还款金额超过提前结清金额', tier: '金额超出您的审批权限', duplicate_product: '贷款产品代码已存在',
};

/** What a person reads for an error: its own Chinese sentence, or the meaning of its code. */
export const messageZhOf = (code: string, own?: string) => own ?? ERROR_CODE_ZH[code] ?? null;

export const badRequest = (message: string, details?: unknown) => new AppError(400, 'validation_failed', message, details);
export const unauthorized = (message = 'a valid bearer token is required') => new AppError(401, 'unauthorized', message);
export const forbidden = (message = 'your role or district may not do this', code = 'forbidden', details?: unknown) =>
  new AppError(403, code, message, details);
export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found`);
export const conflict = (code: string, message: string, details?: unknown) => new AppError(409, code, message, details);
export const invalidState = (message: string, details?: unknown) => new AppError(409, 'invalid_state', message, details);
export const unprocessable = (code: string, message: string, details?: unknown) => new AppError(422, code, message, details);

/** Invariants of money: a broken one is a bug, never a client error, so it aborts the transaction loudly. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`invariant broken: ${message}`);
}
