import { Decimal } from '../platform/money';
import type { SessionUser } from '../auth';

export const AID_REASONS = ['illness', 'accident', 'disaster', 'education', 'hardship', 'other'] as const;
export type AidReason = (typeof AID_REASONS)[number];

export const AID_STATUSES = ['draft', 'submitted', 'reviewed', 'approved', 'in_notice', 'payable', 'paid', 'rejected', 'withdrawn', 'cancelled'] as const;
export type AidStatus = (typeof AID_STATUSES)[number];

export const REASON_ZH: Record<AidReason, string> = {
  illness: '疾病', accident: '意外', disaster: '灾害', education: '助学', hardship: '生活困难', other: '其他',
};

/** The states each action may start from; anything else is 409 invalid_state. */
export const ACTION_FROM: Record<string, readonly AidStatus[]> = {
  submit: ['draft'],
  review: ['submitted'],
  approve: ['reviewed'],
  reject: ['submitted', 'reviewed'],
  withdraw: ['draft', 'submitted', 'reviewed'],
  disburse: ['payable', 'in_notice'],
};

export type ApprovalTier = 'district' | 'foundation' | 'two_foundation';

export interface TierLimits {
  districtLimit: string;
  foundationLimit: string;
}

/** DESIGN §4: the approved amount picks the tier. */
export function tierFor(amount: Decimal.Value, limits: TierLimits): ApprovalTier {
  const a = new Decimal(amount);
  if (a.lte(limits.districtLimit)) return 'district';
  if (a.lte(limits.foundationLimit)) return 'foundation';
  return 'two_foundation';
}

export const approvalsNeeded = (tier: ApprovalTier) => (tier === 'two_foundation' ? 2 : 1);

/** May this approver approve at this tier for a case of this district? */
export function approverFitsTier(user: SessionUser, tier: ApprovalTier, district: string) {
  if (!user.roles.includes('approver')) return false;
  if (!user.district) return true; // foundation approver: every tier, every district
  return tier === 'district' && user.district === district;
}

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
