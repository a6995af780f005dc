import { type Raw, str, strOrNull, numOrNull, date, dateOrNull, known } from '../platform/rows';

export const AID_REASONS = ['illness', 'accident', 'disaster', 'education', 'hardship', 'other'] as const;
export type AidReason = (typeof AID_REASONS)[number];

export const AID_STATUSES = ['draft', 'submitted', 'reviewed', 'approved', 'in_notice', 'payable', 'paid', 'rejected', 'withdrawn', 'cancelled'] as const;
export type AidStatus = (typeof AID_STATUSES)[number];

export const REASON_ZH: Record<AidReason, string> = {
  illness: '疾病', accident: '意外', disaster: '灾害', education: '助学', hardship: '生活困难', other: '其他',
};

export { tierFor, approvalsNeeded, approverFitsTier, type ApprovalTier, type TierLimits } from '../workflow/tiers';

/**
 * The fund belongs to the district: a fund of the case's district (the district fund and the enterprise /
 * institution funds under it carry its district) or a foundation-level fund (kind foundation, no district).
 */
/**
 * Foundation level means the foundation fund itself: a city-wide enterprise-group or institution fund hung
 * directly under it has no district but belongs to that group's union, so no district's case draws on it.
 */
export const fundInScope = (fund: { kind: string; district: string | null }, caseDistrict: string) =>
  fund.district === caseDistrict || (fund.kind === 'foundation' && !fund.district);

/** Case numbers are YYYY-DIST-NNNN, counted per year and district. */
export const caseNumber = (year: number, district: string, n: number) => `${year}-${district}-${String(n).padStart(4, '0')}`;

/** Objections are text only: tags and control characters go, white space is folded. */
export function plainText(input: string) {
  return input
    .replace(/<[^>]*>?/g, ' ')
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
    .replace(/[ \t]+/g, ' ')
    .trim();
}

// Rows as the code sees them: each table's row type, decoded once from what the driver returns
// (NUMERIC → string, DATE → 'YYYY-MM-DD' string, timestamptz → Date; src/platform/db.ts).

export interface AidAttachment {
  fileName: string;
  sha256: string;
  note?: string;
}

export interface AidCaseRow {
  id: number;
  case_no: string;
  household_id: number;
  masked_name: string;
  district: string;
  fund: string;
  reason: AidReason;
  description: string;
  requested_amount: string;
  recommended_amount: string | null;
  approved_amount: string | null;
  urgent: boolean;
  status: AidStatus;
  attachments: AidAttachment[];
  created_by: number;
  reviewed_by: number | null;
  notice_start: Date | null;
  notice_end: Date | null;
  paid_before_notice: boolean;
  paid_date: string | null;
  payment_ref: string | null;
  recovery_note: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface AidEventRow {
  id: number;
  case_id: number;
  action: string;
  from_status: AidStatus | null;
  to_status: AidStatus;
  actor_id: number | null;
  actor: string;
  amount: string | null;
  note: string | null;
  at: Date;
}

export interface AidApprovalRow {
  case_id: number;
  approver_id: number;
  approver: string;
  amount: string;
  at: Date;
}

export type ObjectionStatus = 'open' | 'upheld' | 'dismissed';

export interface AidObjectionRow {
  id: number;
  case_id: number;
  text: string;
  contact_sealed: string | null;
  status: ObjectionStatus;
  created_at: Date;
  resolved_by: number | null;
  resolved_at: Date | null;
  resolution_note: string | null;
}



export function decodeCase(r: Raw): AidCaseRow {
  return {
    id: Number(r.id), case_no: str(r.case_no), household_id: Number(r.household_id), masked_name: str(r.masked_name),
    district: str(r.district), fund: str(r.fund), reason: known(AID_REASONS, r.reason, 'aid reason'), description: str(r.description),
    requested_amount: str(r.requested_amount), recommended_amount: strOrNull(r.recommended_amount), approved_amount: strOrNull(r.approved_amount),
    urgent: Boolean(r.urgent), status: known(AID_STATUSES, r.status, 'aid status'),
    attachments: (typeof r.attachments === 'string' ? JSON.parse(r.attachments) : r.attachments ?? []) as AidAttachment[],
    created_by: Number(r.created_by), reviewed_by: numOrNull(r.reviewed_by), notice_start: dateOrNull(r.notice_start), notice_end: dateOrNull(r.notice_end),
    paid_before_notice: Boolean(r.paid_before_notice), paid_date: strOrNull(r.paid_date), payment_ref: strOrNull(r.payment_ref),
    recovery_note: strOrNull(r.recovery_note), created_at: date(r.created_at), updated_at: date(r.updated_at),
  };
}

export const decodeEvent = (r: Raw): AidEventRow => ({
  id: Number(r.id), case_id: Number(r.case_id), action: str(r.action),
  from_status: r.from_status === null ? null : known(AID_STATUSES, r.from_status, 'aid status'), to_status: known(AID_STATUSES, r.to_status, 'aid status'),
  actor_id: numOrNull(r.actor_id), actor: str(r.actor), amount: strOrNull(r.amount), note: strOrNull(r.note), at: date(r.at),
});

export const decodeApproval = (r: Raw): AidApprovalRow => ({
  case_id: Number(r.case_id), approver_id: Number(r.approver_id), approver: str(r.approver), amount: str(r.amount), at: date(r.at),
});

export const decodeObjection = (r: Raw): AidObjectionRow => ({
  id: Number(r.id), case_id: Number(r.case_id), text: str(r.text), contact_sealed: strOrNull(r.contact_sealed),
  status: known(['open', 'upheld', 'dismissed'] as const, r.status, 'objection status'), created_at: date(r.created_at),
  resolved_by: numOrNull(r.resolved_by), resolved_at: dateOrNull(r.resolved_at), resolution_note: strOrNull(r.resolution_note),
});
