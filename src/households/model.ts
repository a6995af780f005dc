import { Decimal } from '../platform/money';
import { isCalendarDate } from '../platform/clock';
import { regionCodeProblem } from './id-regions';
import { type Raw, str, strOrNull, date, known } from '../platform/rows';

export const CATEGORIES = ['deep', 'relative', 'accidental'] as const;
export type Category = (typeof CATEGORIES)[number];

export const CAUSES = ['illness', 'disability', 'education', 'unemployment', 'single_parent', 'disaster', 'other'] as const;
export type Cause = (typeof CAUSES)[number];

export const STATUSES = ['registered', 'assisted', 'exited', 'returned', 'archived'] as const;
export type HouseholdStatus = (typeof STATUSES)[number];

/** The life cycle: which status each transition may start from. */
export const TRANSITIONS = {
  assist: ['registered'],
  exit: ['registered', 'assisted', 'returned'],
  return: ['exited'],
  archive: ['registered', 'assisted', 'exited', 'returned'],
} as const satisfies Record<string, readonly HouseholdStatus[]>;
export type Transition = keyof typeof TRANSITIONS;
export const TARGET_STATUS: Record<Transition, HouseholdStatus> = { assist: 'assisted', exit: 'exited', return: 'returned', archive: 'archived' };

/** An assessment counts for an exit when it is dated at most this many days before the exit date. */
export const EXIT_ASSESSMENT_WINDOW_DAYS = 90;
export const DEFAULT_TARGET = 500;

export interface Member {
  name: string;
  relation: string;
  age?: number;
  health?: string;
  workStatus?: string;
}

export interface HouseholdInput {
  headName: string;
  idNumber: string;
  phone?: string | null;
  district: string;
  unionOrg?: string | null;
  address?: string | null;
  members?: Member[];
  monthlyIncome: string;
  memberCount: number;
  category: Category;
  causes: Cause[];
  notes?: string | null;
}

export type HouseholdChange = Partial<HouseholdInput>;

export interface AssessmentInput {
  date: string;
  monthlyIncome: string;
  memberCount: number;
  rigidExpenses: string;
  evidence?: string;
}

export interface TransitionInput {
  date: string;
  reason: string;
  evidence?: string;
}

// GB 11643-1999: weights of the first 17 digits, and the check character for (sum mod 11).
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

export function idCheckChar(first17: string): string {
  let s = 0;
  for (let i = 0; i < 17; i++) s += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK[s % 11]!;
}

/**
 * Why an 18-digit resident ID number is not valid, or null when it is: format (17 digits and a digit or X),
 * a GB/T 2260 county-level region code, current or former (`id-regions.ts`), a real birth date
 * (1900-01-01 up to `today`) and the GB 11643 check character.
 */
export function idNumberProblem(id: string, today?: string): string | null {
  if (!/^\d{17}[\dX]$/.test(id)) return 'must be 18 characters: 17 digits and a check digit or X';
  const region = regionCodeProblem(id.slice(0, 6));
  if (region) return region;
  const birth = `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
  if (!isCalendarDate(birth) || birth < '1900-01-01' || (today && birth > today)) return `has an impossible birth date (${birth})`;
  if (idCheckChar(id.slice(0, 17)) !== id[17]) return 'has a wrong check digit (GB 11643)';
  return null;
}

/** Normalises what people type: spaces dropped, a lower-case x check character upper-cased. */
export const normalizeIdNumber = (id: string) => id.replace(/\s+/g, '').toUpperCase();

/**
 * Per-capita monthly income: household income / member count, rounded DOWN to the fen. Rounding down keeps
 * the exit rule exact: the shown figure is ≥ the threshold exactly when the true quotient is.
 */
export function perCapita(monthlyIncome: Decimal.Value, memberCount: number): Decimal {
  return new Decimal(monthlyIncome).div(memberCount).toDecimalPlaces(2, Decimal.ROUND_DOWN);
}

// Rows as the code sees them: each table's row type, decoded once from what the driver returns
// (NUMERIC → string, DATE → 'YYYY-MM-DD' string, text[] → string[], jsonb → parsed, timestamptz → Date).


/** households: identifiers sealed (`*_enc`), members as stored (openMembers reads them). */
export interface HouseholdRow {
  id: number;
  head_name: string;
  id_number_enc: string;
  id_number_hash: string;
  phone_enc: string | null;
  address_enc: string | null;
  district: string;
  union_org: string | null;
  members: unknown;
  monthly_income: string;
  member_count: number;
  category: Category;
  causes: Cause[];
  notes: string | null;
  status: HouseholdStatus;
  status_date: string;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

export const decodeHousehold = (r: Raw): HouseholdRow => ({
  id: Number(r.id), head_name: str(r.head_name), id_number_enc: str(r.id_number_enc), id_number_hash: str(r.id_number_hash),
  phone_enc: strOrNull(r.phone_enc), address_enc: strOrNull(r.address_enc), district: str(r.district), union_org: strOrNull(r.union_org),
  members: r.members ?? [], monthly_income: str(r.monthly_income), member_count: Number(r.member_count),
  category: known(CATEGORIES, r.category, 'household category'),
  causes: (Array.isArray(r.causes) ? r.causes : []).map((c) => known(CAUSES, c, 'household cause')),
  notes: strOrNull(r.notes), status: known(STATUSES, r.status, 'household status'), status_date: str(r.status_date),
  created_by: str(r.created_by), created_at: date(r.created_at), updated_at: date(r.updated_at),
});

export interface AssessmentRow {
  id: number;
  household_id: number;
  date: string;
  monthly_income: string;
  member_count: number;
  rigid_expenses: string;
  per_capita_income: string;
  evidence: string | null;
  created_by: string;
  created_at: Date;
}

export const decodeAssessment = (r: Raw): AssessmentRow => ({
  id: Number(r.id), household_id: Number(r.household_id), date: str(r.date), monthly_income: str(r.monthly_income),
  member_count: Number(r.member_count), rigid_expenses: str(r.rigid_expenses), per_capita_income: str(r.per_capita_income),
  evidence: strOrNull(r.evidence), created_by: str(r.created_by), created_at: date(r.created_at),
});

export interface HouseholdEventRow {
  id: number;
  household_id: number;
  /** created | updated | assessed | transition */
  kind: string;
  from_status: HouseholdStatus | null;
  to_status: HouseholdStatus | null;
  date: string | null;
  actor: string;
  at: Date;
  reason: string | null;
  evidence: string | null;
  changes: unknown;
}

export const decodeHouseholdEvent = (r: Raw): HouseholdEventRow => ({
  id: Number(r.id), household_id: Number(r.household_id), kind: str(r.kind),
  from_status: r.from_status == null ? null : known(STATUSES, r.from_status, 'household status'),
  to_status: r.to_status == null ? null : known(STATUSES, r.to_status, 'household status'),
  date: strOrNull(r.date), actor: str(r.actor), at: date(r.at), reason: strOrNull(r.reason), evidence: strOrNull(r.evidence), changes: r.changes ?? null,
});

/** A row of the exit-candidates query (targets.ts): the file, its latest per-capita income and threshold. */
export interface ExitCandidateRow {
  id: number;
  head_name: string;
  district: string;
  category: Category;
  status: HouseholdStatus;
  assessment_date: string | null;
  per_capita: string;
  threshold: string;
}

export const decodeExitCandidate = (r: Raw): ExitCandidateRow => ({
  id: Number(r.id), head_name: str(r.head_name), district: str(r.district), category: known(CATEGORIES, r.category, 'household category'),
  status: known(STATUSES, r.status, 'household status'), assessment_date: strOrNull(r.assessment_date), per_capita: str(r.per_capita), threshold: str(r.threshold),
});
