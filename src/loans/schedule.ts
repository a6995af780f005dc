// The repayment schedule (还款计划), pure: the same figures as Apache Fineract for the same product
// (monthly periods, period rate = annual / 12, interest on the outstanding principal rounded to 0.01 each
// period, the last instalment takes whatever principal is left). docs/loans.md, "Schedule".
import { Decimal, money } from '../platform/money';

export const METHODS = ['equal_instalment', 'equal_principal', 'bullet'] as const;
export type Method = (typeof METHODS)[number];
export const METHOD_ZH: Record<Method, string> = { equal_instalment: '等额本息', equal_principal: '等额本金', bullet: '到期一次还本付息' };

export interface ScheduleInput {
  principal: Decimal.Value;
  /** Annual rate in percent, e.g. "12" or "4.35"; 0 for an interest-free loan. */
  annualRatePercent: Decimal.Value;
  termMonths: number;
  method: Method;
  /** Fineract's "grace on principal payment": the first g instalments pay interest only. */
  graceMonths: number;
  /** The fund's share of the interest (贴息), 0–100 %. */
  subsidyPercent: Decimal.Value;
  /** The disbursement date: instalment k falls due k months later. */
  startDate: string;
}

export interface Instalment {
  no: number;
  dueDate: string;
  principal: string;
  /** The whole interest of the period (what Fineract shows). */
  interest: string;
  /** The fund's share of it (贴息), rounded per instalment. */
  subsidy: string;
  /** What the borrower pays of it: interest − subsidy. */
  borrowerInterest: string;
  /** principal + interest. */
  total: string;
  /** Principal outstanding after this instalment. */
  balance: string;
}

const cent = (d: Decimal) => d.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);

/** Day k months after a date, kept at the same day of month or the month's last day (Jan 31 + 1 → Feb 28/29). */
export function addMonths(date: string, k: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const total = y * 12 + (m - 1) + k;
  const ty = Math.floor(total / 12);
  const tm = total % 12;
  const last = new Date(Date.UTC(ty, tm + 1, 0)).getUTCDate();
  return `${String(ty).padStart(4, '0')}-${String(tm + 1).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

/** The level instalment of an annuity over n periods at rate r per period (r = 0: principal / n), to 0.01. */
export function levelInstalment(principal: Decimal.Value, r: Decimal.Value, n: number): Decimal {
  const p = new Decimal(principal);
  const rate = new Decimal(r);
  if (rate.isZero()) return cent(p.div(n));
  const f = rate.plus(1).pow(n);
  return cent(p.times(rate).times(f).div(f.minus(1)));
}

export function scheduleProblem(i: Pick<ScheduleInput, 'termMonths' | 'graceMonths' | 'method'>): string | null {
  if (!Number.isInteger(i.termMonths) || i.termMonths < 1 || i.termMonths > 360) return 'the term is 1 to 360 months';
  if (!Number.isInteger(i.graceMonths) || i.graceMonths < 0 || i.graceMonths >= i.termMonths) return 'grace months are 0 to term − 1';
  if (i.method === 'bullet' && i.graceMonths !== 0) return 'a bullet loan has no grace months (it repays everything at maturity)';
  return null;
}

/** The schedule of a loan, in exact decimals: every instalment to 0.01, the last one absorbs the rounding. */
export function buildSchedule(input: ScheduleInput): Instalment[] {
  const problem = scheduleProblem(input);
  if (problem) throw new Error(problem);
  const P = new Decimal(input.principal);
  const r = new Decimal(input.annualRatePercent).div(1200);
  const share = new Decimal(input.subsidyPercent).div(100);
  const n = input.termMonths;
  const g = input.graceMonths;
  const rows: { principal: Decimal; interest: Decimal }[] = [];
  if (input.method === 'bullet') {
    // One instalment at maturity: the principal and simple interest for the whole term.
    rows.push({ principal: P, interest: cent(P.times(r).times(n)) });
  } else {
    const amortising = n - g;
    const level = input.method === 'equal_instalment' ? levelInstalment(P, r, amortising) : cent(P.div(amortising));
    let balance = P;
    for (let k = 1; k <= n; k++) {
      const interest = cent(balance.times(r));
      let principal: Decimal;
      if (k <= g) principal = new Decimal(0);
      else if (k === n) principal = balance;
      else principal = Decimal.min(balance, input.method === 'equal_instalment' ? level.minus(interest) : level);
      rows.push({ principal, interest });
      balance = balance.minus(principal);
    }
  }
  let balance = P;
  return rows.map((row, i) => {
    balance = balance.minus(row.principal);
    const subsidy = cent(row.interest.times(share));
    const no = input.method === 'bullet' ? 1 : i + 1;
    return {
      no,
      dueDate: addMonths(input.startDate, input.method === 'bullet' ? n : no),
      principal: money(row.principal),
      interest: money(row.interest),
      subsidy: money(subsidy),
      borrowerInterest: money(row.interest.minus(subsidy)),
      total: money(row.principal.plus(row.interest)),
      balance: money(balance),
    };
  });
}

/** The schedule as CSV (UTF-8, header in Chinese and English). */
export function scheduleCsv(rows: readonly Instalment[]): string {
  const head = '期数 no,应还日期 due date,本金 principal,利息 interest,贴息 subsidy,借款人应付利息 borrower interest,本息合计 total,剩余本金 balance';
  return [head, ...rows.map((r) => [r.no, r.dueDate, r.principal, r.interest, r.subsidy, r.borrowerInterest, r.total, r.balance].join(','))].join('\r\n') + '\r\n';
}
