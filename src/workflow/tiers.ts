// Approval tiers by amount, shared by every workflow that approves money (aid cases, campaign rolls, loans):
// up to the district limit a district approver of that district (or a foundation approver), up to the
// foundation limit one foundation approver, above it two distinct foundation approvers.
import Decimal from 'decimal.js';
import type { SessionUser } from '../auth';
import type { Knex } from 'knex';
import { conflict, forbidden, type AppError } from '../platform/errors';
import { money } from '../platform/money';
import type { Bilingual, Guard } from './index';

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

/**
 * The tier guard of a workflow that approves money: the amount picks the tier, the approver must fit it. Each
 * workflow names what is approved and the details of its refusal; the rule and the wording are one.
 */
export function amountTierGuard<R extends { district: string | null }, I extends { limits: TierLimits }>(g: {
  describe: string;
  amount: (input: I) => Decimal.Value;
  /** What is approved, in the refusal: {en: 'an amount', zh: '批准金额'} … */
  noun: { en: string; zh: string };
  /** Who of the row's district may approve, in English: 'an approver of the district' … */
  districtApprover: string;
  /** The refusal's code (403 either way). */
  code: string;
  /** How the Chinese refusal names the district limit, or null to leave the limits out. */
  zhDistrictLimit: string | null;
  details: (row: R, input: I, tier: ApprovalTier) => Record<string, unknown>;
}): Guard<R, I> {
  return {
    name: 'tier',
    describe: g.describe,
    check: (_trx, row, input, actor) => {
      const amount = money(g.amount(input));
      const t = tierFor(amount, input.limits);
      if (typeof actor !== 'string' && approverFitsTier(actor, t, row.district)) return null;
      const who = t === 'district' ? '本区或基金会的审批人' : t === 'foundation' ? '基金会审批人' : '两位不同的基金会审批人';
      const limits = g.zhDistrictLimit === null ? '' : `（${g.zhDistrictLimit} ${money(input.limits.districtLimit)} 元，基金会一人审批上限 ${money(input.limits.foundationLimit)} 元）`;
      return forbidden(`${g.noun.en} of ${amount} needs ${t === 'district' ? `${g.districtApprover} or the foundation` : 'a foundation approver'}`, g.code, g.details(row, input, t))
        .zh(`${g.noun.zh} ${amount} 元须由${who}审批${limits}`);
    },
  };
}

/**
 * The guard of the second of two approvals, shared like the tiers: the second approver is another person (409
 * already_approved) and confirms what the first approved (the domain's own 422 amount_mismatch). Each workflow
 * reads its own approvals table and words its refusals.
 */
export function secondApproverGuard<R, I>(g: {
  describe: string;
  /** The approvals recorded so far for the row, earliest first: who, and what they approved as comparable text. */
  prior: (trx: Knex.Transaction, row: R) => Promise<{ approverId: number; approved: string }[]>;
  /** What this approval approves, in prior's terms; null when there is nothing to confirm. */
  approving: (input: I) => string | null;
  already: Bilingual;
  mismatch: (first: string, input: I) => AppError;
}): Guard<R, I> {
  return {
    name: 'already_approved / amount_mismatch',
    describe: g.describe,
    check: async (trx, row, input, actor) => {
      const prior = await g.prior(trx, row);
      if (typeof actor !== 'string' && prior.some((p) => p.approverId === actor.id)) return conflict('already_approved', g.already.en).zh(g.already.zh);
      const approving = g.approving(input);
      return prior[0] && approving !== null && prior[0].approved !== approving ? g.mismatch(prior[0].approved, input) : null;
    },
  };
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
