// Approval tiers by amount, shared by every workflow that approves money (aid cases, campaign rolls, loans):
// up to the district limit a district approver of that district (or a foundation approver), up to the
// foundation limit one foundation approver, above it two distinct foundation approvers.
import Decimal from 'decimal.js';
import type { SessionUser } from '../auth';

export type ApprovalTier = 'district' | 'foundation' | 'two_foundation';

export interface TierLimits {
  districtLimit: string;
  foundationLimit: string;
}

/** The amount picks the tier. */
export function tierFor(amount: Decimal.Value, limits: TierLimits): ApprovalTier {
  const a = new Decimal(amount);
  if (a.lte(limits.districtLimit)) return 'district';
  if (a.lte(limits.foundationLimit)) return 'foundation';
  return 'two_foundation';
}

export const approvalsNeeded = (tier: ApprovalTier) => (tier === 'two_foundation' ? 2 : 1);

/** May this approver approve at this tier for a row of this district (null: city-wide)? */
export function approverFitsTier(user: SessionUser, tier: ApprovalTier, district: string | null) {
  if (!user.roles.includes('approver')) return false;
  if (!user.district) return true; // foundation approver: every tier, every district
  return tier === 'district' && district !== null && user.district === district;
}

/** The timeline row every workflow keeps (its own table adds the row's id column). */
export interface WorkflowEventRow {
  id: number;
  action: string;
  from_status: string | null;
  to_status: string;
  actor: string;
  amount: string | null;
  note: string | null;
  at: Date;
}
