// Arrears, pure: days past due, ageing buckets, the daily penalty (docs/loans.md, "Arrears and penalty").
import { Decimal } from '../platform/money';

const DAY_MS = 86_400_000;
/** Days from a to b (calendar dates, UTC arithmetic: no time zone or daylight saving can shift a day). */
export const daysBetween = (a: string, b: string) => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);

export interface DueItem {
  dueDate: string;
  /** What the borrower still owes of it (principal + borrower interest, unpaid and not waived). */
  outstanding: Decimal.Value;
}

/**
 * Days past due as of a date: the age of the oldest instalment still owed whose due date has passed. An
 * instalment due on D is 1 day past due on D + 1; paid on D it never was.
 */
export function daysPastDue(items: readonly DueItem[], asOf: string): number {
  let oldest: string | null = null;
  for (const i of items) if (i.dueDate < asOf && new Decimal(i.outstanding).gt(0) && (oldest === null || i.dueDate < oldest)) oldest = i.dueDate;
  return oldest === null ? 0 : daysBetween(oldest, asOf);
}

/** The amount past due as of a date: what is owed of the instalments due before it. */
export function overdueAmount(items: readonly DueItem[], asOf: string): Decimal {
  return items.filter((i) => i.dueDate < asOf).reduce((s, i) => s.plus(Decimal.max(0, i.outstanding)), new Decimal(0));
}

export const BUCKETS = ['current', '1-30', '31-60', '61-90', 'over_90'] as const;
export type Bucket = (typeof BUCKETS)[number];
export const BUCKET_ZH: Record<Bucket, string> = { current: '未逾期', '1-30': '逾期1–30天', '31-60': '逾期31–60天', '61-90': '逾期61–90天', over_90: '逾期90天以上' };

export function bucketOf(dpd: number): Bucket {
  if (dpd <= 0) return 'current';
  if (dpd <= 30) return '1-30';
  if (dpd <= 60) return '31-60';
  if (dpd <= 90) return '61-90';
  return 'over_90';
}

/** One day's penalty (罚息) on the overdue amount at an annual penalty rate in percent, /365, to 0.01. */
export const dailyPenalty = (overdue: Decimal.Value, penaltyRatePercent: Decimal.Value) =>
  new Decimal(overdue).times(penaltyRatePercent).div(36500).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
