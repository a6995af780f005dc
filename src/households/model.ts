import { Decimal } from '../platform/money';
import { isCalendarDate } from '../platform/clock';
import { regionCodeProblem } from './id-regions';

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
