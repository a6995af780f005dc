// The campaign's words as types, the pure rules (amount by category, add-ons, cap; quota ranking; tiers;
// line references) and the row decoders: the one place raw rows of the campaign tables are read.
import { Decimal, money } from '../platform/money';
import { type Raw, str, strOrNull, numOrNull, date, dateOrNull, known } from '../platform/rows';
import type { WorkflowEventRow } from '../workflow/tiers';
import type { Category, Cause, HouseholdStatus } from '../households';

export const KINDS = ['new_year_spring', 'autumn_school', 'summer_cooling', 'other'] as const;
export type CampaignKind = (typeof KINDS)[number];
export const KIND_ZH: Record<CampaignKind, string> = { new_year_spring: '元旦春节送温暖', autumn_school: '金秋助学', summer_cooling: '夏送清凉', other: '其他' };

export const CAMPAIGN_STATUSES = ['draft', 'built', 'submitted', 'in_notice', 'payable', 'paying', 'paid', 'cancelled'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export const LINE_STATUSES = ['included', 'excluded', 'removed'] as const;
export type LineStatus = (typeof LINE_STATUSES)[number];
export const PAY_STATES = ['unpaid', 'paid', 'confirmed', 'returned'] as const;
export type PayState = (typeof PAY_STATES)[number];

export const CATEGORY_ZH: Record<string, string> = { deep: '深度困难', relative: '相对困难', accidental: '意外致困' };
const CAUSE_ZH: Record<string, string> = { illness: '疾病', disability: '残疾', education: '助学', unemployment: '失业', single_parent: '单亲', disaster: '灾害', other: '其他' };

/** Amount rules: a base per category, optional add-ons per member beyond the head and per cause, a cap per household. */
export interface AmountRules {
  perCategory: Partial<Record<Category, string>>;
  perAdditionalMember?: string;
  perCause?: Partial<Record<Cause, string>>;
  cap: string;
}

export interface Eligibility {
  statuses: HouseholdStatus[];
  categories: Category[];
  districts: string[] | null;
  notExitedThisYear: boolean;
}

/** Per district: at most this many households on the roll (the rest are excluded, reason "over quota"). */
export type Quotas = Record<string, number>;

/** The amount a household gets by the rules, and the rule written out (Chinese, then the figures). */
export function amountFor(rules: AmountRules, h: { category: Category; memberCount: number; causes: readonly Cause[] }): { amount: string; rule: string } | null {
  const base = rules.perCategory[h.category];
  if (base === undefined) return null;
  let total = new Decimal(base);
  const parts = [`${CATEGORY_ZH[h.category] ?? h.category} ${money(base)}`];
  const extra = Math.max(0, h.memberCount - 1);
  if (rules.perAdditionalMember && extra > 0) {
    total = total.plus(new Decimal(rules.perAdditionalMember).times(extra));
    parts.push(`成员 ${extra}×${money(rules.perAdditionalMember)}`);
  }
  for (const c of h.causes) {
    const add = rules.perCause?.[c];
    if (add) {
      total = total.plus(add);
      parts.push(`${CAUSE_ZH[c] ?? c} ${money(add)}`);
    }
  }
  let rule = parts.join(' + ');
  if (total.gt(rules.cap)) {
    rule += ` = ${money(total)}，封顶 ${money(rules.cap)}`;
    total = new Decimal(rules.cap);
  }
  return { amount: money(total), rule: rule.slice(0, 300) };
}

/** Who gets in first when a district has more eligible files than its quota: deep, accidental, relative; then the lower per-capita income; then the older file. */
const CATEGORY_RANK: Record<string, number> = { deep: 0, accidental: 1, relative: 2 };
export function quotaOrder(a: { category: string; perCapita: Decimal; id: number }, b: { category: string; perCapita: Decimal; id: number }) {
  return (CATEGORY_RANK[a.category] ?? 9) - (CATEGORY_RANK[b.category] ?? 9) || a.perCapita.comparedTo(b.perCapita) || a.id - b.id;
}

export { tierFor, approvalsNeeded, type ApprovalTier as CampaignTier, type TierLimits as CampaignTierLimits } from '../workflow/tiers';

/** The line's reference on the bank file and in the ledger (附言): C<campaign>-<line no>. */
export const lineRef = (campaignId: number, lineNo: number) => `C${campaignId}-${lineNo}`;
export function parseLineRef(ref: string): { campaignId: number; lineNo: number } | null {
  const m = /^C(\d{1,9})-(\d{1,6})$/.exec(ref.trim());
  return m ? { campaignId: Number(m[1]), lineNo: Number(m[2]) } : null;
}

/** The fund that pays a line: the campaign's fund of the line's district, else its foundation-level fund; none is out of scope. */
export function fundFor(funds: readonly { code: string; kind: string; district: string | null }[], district: string): string | null {
  return funds.find((f) => f.district === district)?.code ?? funds.find((f) => f.kind === 'foundation' && !f.district)?.code ?? null;
}

// ---------------------------------------------------------------------------------------------- rows

export interface CampaignRow {
  id: number;
  name: string;
  kind: CampaignKind;
  year: number;
  district: string | null;
  funds: string[];
  rules: AmountRules;
  eligibility: Eligibility;
  quotas: Quotas;
  status: CampaignStatus;
  created_by: number;
  built_at: Date | null;
  notice_start: Date | null;
  notice_end: Date | null;
  approved_total: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface LineRow {
  id: number;
  campaign_id: number;
  line_no: number;
  household_id: number;
  masked_name: string;
  district: string;
  category: string;
  fund: string;
  rule_amount: string;
  amount: string;
  rule: string;
  status: LineStatus;
  review_note: string | null;
  reviewed_by: string | null;
  reviewed_at: Date | null;
  pay_state: PayState;
  pay_attempt: number;
  entry_id: number | null;
  entry_number: string | null;
  paid_date: string | null;
  pay_method: string | null;
  bank_reason: string | null;
}

export interface CampaignEventRow extends WorkflowEventRow {
  campaign_id: number;
}

export interface ObjectionRow {
  id: number;
  campaign_id: number;
  line_id: number;
  text: string;
  status: 'open' | 'upheld' | 'dismissed';
  created_at: Date;
  resolved_by: number | null;
  resolved_at: Date | null;
  resolution_note: string | null;
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

export const decodeCampaign = (r: Raw): CampaignRow => ({
  id: Number(r.id), name: str(r.name), kind: known(KINDS, r.kind, 'campaign kind'), year: Number(r.year), district: strOrNull(r.district),
  funds: (r.funds as string[]) ?? [], rules: json<AmountRules>(r.rules), eligibility: json<Eligibility>(r.eligibility), quotas: json<Quotas>(r.quotas ?? {}),
  status: known(CAMPAIGN_STATUSES, r.status, 'campaign status'), created_by: Number(r.created_by), built_at: dateOrNull(r.built_at),
  notice_start: dateOrNull(r.notice_start), notice_end: dateOrNull(r.notice_end), approved_total: strOrNull(r.approved_total),
  created_at: date(r.created_at), updated_at: date(r.updated_at),
});

export const decodeLine = (r: Raw): LineRow => ({
  id: Number(r.id), campaign_id: Number(r.campaign_id), line_no: Number(r.line_no), household_id: Number(r.household_id), masked_name: str(r.masked_name),
  district: str(r.district), category: str(r.category), fund: str(r.fund), rule_amount: str(r.rule_amount), amount: str(r.amount), rule: str(r.rule),
  status: known(LINE_STATUSES, r.status, 'line status'), review_note: strOrNull(r.review_note), reviewed_by: strOrNull(r.reviewed_by), reviewed_at: dateOrNull(r.reviewed_at),
  pay_state: known(PAY_STATES, r.pay_state, 'pay state'), pay_attempt: Number(r.pay_attempt), entry_id: numOrNull(r.entry_id), entry_number: strOrNull(r.entry_number),
  paid_date: strOrNull(r.paid_date), pay_method: strOrNull(r.pay_method), bank_reason: strOrNull(r.bank_reason),
});

export const decodeEvent = (r: Raw): CampaignEventRow => ({
  id: Number(r.id), campaign_id: Number(r.campaign_id), action: str(r.action), from_status: strOrNull(r.from_status), to_status: str(r.to_status),
  actor: str(r.actor), amount: strOrNull(r.amount), note: strOrNull(r.note), at: date(r.at),
});

export const decodeObjection = (r: Raw): ObjectionRow => ({
  id: Number(r.id), campaign_id: Number(r.campaign_id), line_id: Number(r.line_id), text: str(r.text),
  status: known(['open', 'upheld', 'dismissed'] as const, r.status, 'objection status'), created_at: date(r.created_at),
  resolved_by: numOrNull(r.resolved_by), resolved_at: dateOrNull(r.resolved_at), resolution_note: strOrNull(r.resolution_note),
});
