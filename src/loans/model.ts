// The loans domain's words as types, its pure rules (tiers, allocation order) and the row decoders: the one
// place raw rows of the loan tables are read.
import type { WorkflowEventRow } from '../workflow/tiers';
import { type Raw, str, strOrNull, numOrNull, date, known } from '../platform/rows';
import { METHODS, type Method } from './schedule';

export const LOAN_STATUSES = ['submitted', 'reviewed', 'approved', 'refused', 'withdrawn', 'active', 'closed', 'written_off'] as const;
export type LoanStatus = (typeof LOAN_STATUSES)[number];
export const STATUS_ZH: Record<LoanStatus, string> = {
  submitted: '已申请', reviewed: '已审查', approved: '已批准', refused: '未获批准', withdrawn: '已撤回', active: '还款中', closed: '已结清', written_off: '已核销',
};

export const PILOT_KINDS = ['district', 'enterprise_group', 'institution'] as const;
export type PilotKind = (typeof PILOT_KINDS)[number];
export const PILOT_KIND_ZH: Record<PilotKind, string> = { district: '区工会', enterprise_group: '企业集团工会', institution: '系统（事业单位）工会' };

/** Reasons for a refusal (拒贷原因): one or more, with a note. */
export const REFUSAL_REASONS = ['not_eligible', 'plan_not_viable', 'insufficient_guarantee', 'over_quota', 'incomplete_documents', 'other'] as const;
export const REFUSAL_REASON_ZH: Record<(typeof REFUSAL_REASONS)[number], string> = {
  not_eligible: '不符合申请条件', plan_not_viable: '创业计划不可行', insufficient_guarantee: '担保不足', over_quota: '超出试点单位额度', incomplete_documents: '材料不全', other: '其他',
};

export const COMPONENTS = ['penalty', 'interest', 'principal'] as const;
export type Component = (typeof COMPONENTS)[number];
export const DEFAULT_ALLOCATION_ORDER: readonly Component[] = ['penalty', 'interest', 'principal'];

/** "penalty,interest,principal" → the order; null unless it names each of the three exactly once. */
export function parseAllocationOrder(text: string): Component[] | null {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length !== 3 || new Set(parts).size !== 3 || !parts.every((p) => (COMPONENTS as readonly string[]).includes(p))) return null;
  return parts as Component[];
}

// ─────────────────────────────── approval tiers ───────────────────────────────

export { tierFor as loanTier, type ApprovalTier as LoanTier, type TierLimits as LoanTierLimits } from '../workflow/tiers';

// ─────────────────────────────── rows ───────────────────────────────

export interface Guarantor {
  maskedName: string;
  nameSealed: string;
  idNumberSealed: string;
  relation: string | null;
}

export interface LoanDocument {
  fileName: string;
  sha256: string;
  note?: string;
}

export interface LoanRow {
  id: number;
  loan_no: string;
  year: number;
  pilot_unit_id: number;
  product_id: number;
  district: string | null;
  fund: string;
  status: LoanStatus;
  masked_name: string;
  name_enc: string;
  id_number_enc: string;
  phone_enc: string | null;
  household_id: number | null;
  union_org: string;
  member_no: string | null;
  business_plan: string;
  documents: LoanDocument[];
  guarantors: Guarantor[];
  requested_amount: string;
  requested_term: number;
  recommended_amount: string | null;
  approved_amount: string | null;
  refusal_reasons: string[] | null;
  applied_date: string;
  approved_date: string | null;
  restructured_date: string | null;
  disbursed_date: string | null;
  disbursement_entry: string | null;
  schedule_version: number;
  principal_outstanding: string;
  penalty_accrued: string;
  penalty_paid: string;
  written_off: string;
  closed_date: string | null;
  created_by: number;
  created_at: Date;
  updated_at: Date;
}

const json = <T>(v: unknown, fallback: T): T => (v === null || v === undefined ? fallback : ((typeof v === 'string' ? JSON.parse(v) : v) as T));


export function decodeLoan(r: Raw): LoanRow {
  return {
    id: Number(r.id), loan_no: str(r.loan_no), year: Number(r.year), pilot_unit_id: Number(r.pilot_unit_id), product_id: Number(r.product_id),
    district: strOrNull(r.district), fund: str(r.fund), status: known(LOAN_STATUSES, r.status, 'loan status'), masked_name: str(r.masked_name),
    name_enc: str(r.name_enc), id_number_enc: str(r.id_number_enc), phone_enc: strOrNull(r.phone_enc), household_id: numOrNull(r.household_id),
    union_org: str(r.union_org), member_no: strOrNull(r.member_no), business_plan: str(r.business_plan),
    documents: json<LoanDocument[]>(r.documents, []), guarantors: json<Guarantor[]>(r.guarantors, []),
    requested_amount: str(r.requested_amount), requested_term: Number(r.requested_term), recommended_amount: strOrNull(r.recommended_amount),
    approved_amount: strOrNull(r.approved_amount), refusal_reasons: json<string[] | null>(r.refusal_reasons, null),
    applied_date: str(r.applied_date), approved_date: strOrNull(r.approved_date), restructured_date: strOrNull(r.restructured_date),
    disbursed_date: strOrNull(r.disbursed_date), disbursement_entry: strOrNull(r.disbursement_entry), schedule_version: Number(r.schedule_version),
    principal_outstanding: str(r.principal_outstanding), penalty_accrued: str(r.penalty_accrued), penalty_paid: str(r.penalty_paid),
    written_off: str(r.written_off), closed_date: strOrNull(r.closed_date), created_by: Number(r.created_by),
    created_at: date(r.created_at), updated_at: date(r.updated_at),
  };
}

export interface ProductRow {
  id: number;
  code: string;
  name_zh: string;
  min_amount: string;
  max_amount: string;
  term_months: number;
  annual_rate: string;
  subsidy_percent: string;
  method: Method;
  grace_months: number;
  penalty_rate: string;
}

export const decodeProduct = (r: Raw): ProductRow => ({
  id: Number(r.id), code: str(r.code), name_zh: str(r.name_zh), min_amount: str(r.min_amount), max_amount: str(r.max_amount),
  term_months: Number(r.term_months), annual_rate: str(r.annual_rate), subsidy_percent: str(r.subsidy_percent),
  method: known(METHODS, r.method, 'repayment method'), grace_months: Number(r.grace_months), penalty_rate: str(r.penalty_rate),
});

export interface PilotUnitRow {
  id: number;
  year: number;
  code: string;
  name_zh: string;
  kind: PilotKind;
  district: string | null;
  quota: string;
  fund: string | null;
}

export const decodePilotUnit = (r: Raw): PilotUnitRow => ({
  id: Number(r.id), year: Number(r.year), code: str(r.code), name_zh: str(r.name_zh), kind: known(PILOT_KINDS, r.kind, 'pilot unit kind'),
  district: strOrNull(r.district), quota: str(r.quota), fund: strOrNull(r.fund),
});

export interface ProgrammeRow {
  year: number;
  target: string;
  fund: string;
}

export const decodeProgramme = (r: Raw): ProgrammeRow => ({ year: Number(r.year), target: str(r.target), fund: str(r.fund) });

export interface InstalmentRow {
  loan_id: number;
  version: number;
  no: number;
  due_date: string;
  principal: string;
  interest: string;
  subsidy: string;
  borrower_interest: string;
  paid_principal: string;
  paid_interest: string;
  waived_interest: string;
  subsidy_posted: boolean;
}

export const decodeInstalment = (r: Raw): InstalmentRow => ({
  loan_id: Number(r.loan_id), version: Number(r.version), no: Number(r.no), due_date: str(r.due_date), principal: str(r.principal),
  interest: str(r.interest), subsidy: str(r.subsidy), borrower_interest: str(r.borrower_interest), paid_principal: str(r.paid_principal),
  paid_interest: str(r.paid_interest), waived_interest: str(r.waived_interest), subsidy_posted: Boolean(r.subsidy_posted),
});

export interface RepaymentRow {
  id: number;
  loan_id: number;
  date: string;
  amount: string;
  penalty: string;
  interest: string;
  principal: string;
  subsidy: string;
  entry_number: string;
  statement_line_id: number | null;
  reference: string | null;
  created_by: string;
  created_at: Date;
}

export const decodeRepayment = (r: Raw): RepaymentRow => ({
  id: Number(r.id), loan_id: Number(r.loan_id), date: str(r.date), amount: str(r.amount), penalty: str(r.penalty), interest: str(r.interest),
  principal: str(r.principal), subsidy: str(r.subsidy), entry_number: str(r.entry_number), statement_line_id: numOrNull(r.statement_line_id),
  reference: strOrNull(r.reference), created_by: str(r.created_by), created_at: date(r.created_at),
});

export type LoanEventRow = WorkflowEventRow;

export const decodeLoanEvent = (r: Raw): LoanEventRow => ({
  id: Number(r.id), action: str(r.action), from_status: strOrNull(r.from_status), to_status: str(r.to_status), actor: str(r.actor),
  amount: strOrNull(r.amount), note: strOrNull(r.note), at: date(r.at),
});

export const loanNumber = (year: number, n: number) => `L${year}-${String(n).padStart(6, '0')}`;
