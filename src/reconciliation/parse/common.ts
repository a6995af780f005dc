import { Decimal } from '../../platform/money';
import { isCalendarDate } from '../../platform/clock';
import {
  MAX_COUNTERPARTY, MAX_DESCRIPTION, MAX_REFERENCE, MAX_REPORTED_PROBLEMS, MAX_STATEMENT_LINES,
  StatementFileError, type ParsedStatementLine, type StatementProblem,
} from '../model';

/** Collects problems of one file, stops collecting after a few (the file is refused either way). */
export class Problems {
  readonly list: StatementProblem[] = [];
  add(line: number | null, problem: string, column?: string) {
    if (this.list.length < MAX_REPORTED_PROBLEMS) this.list.push(column ? { line, column, problem } : { line, problem });
  }
  get any() {
    return this.list.length > 0;
  }
  throwIfAny() {
    if (this.any) throw new StatementFileError(this.list);
  }
}

/**
 * A date as banks write it: 2026-10-01, 2026/10/1, 2026.10.01, 20261001, 2026年10月1日, optionally followed
 * by a time (ignored), and ISO 20022 dates and date-times with or without a zone (2017-04-01+02:00,
 * 2017-04-01T10:00:00+02:00, …Z). The date is the one written, in the bank's own time zone (never moved to
 * UTC: a booking at 00:30+08:00 is on that day). Returns YYYY-MM-DD or null.
 */
export function parseBankDate(raw: string): string | null {
  const s = raw.trim();
  let m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(s);
  if (!m) m = /^(\d{4})(\d{2})(\d{2})(?:[ T]?\d{2}:?\d{2}:?\d{2})?$/.exec(s);
  if (!m) return null;
  const date = `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}`;
  return isCalendarDate(date) && date >= '2000-01-01' && date <= '2099-12-31' ? date : null;
}

/**
 * An amount as banks write it: 1234.5, 1,234.50, ¥1234.50, +12.00, -12.00, (12.00) for negative, 12.00-
 * with a trailing sign. At most two decimals, at most 16 integer digits. Returns a Decimal or null.
 */
export function parseBankAmount(raw: string): Decimal | null {
  let s = raw.trim().replace(/^(¥|￥|RMB|CNY)\s*/i, '').replace(/\s+(元|CNY|RMB)$/i, '');
  let negative = false;
  if (/^\(.*\)$/.test(s)) {
    negative = true;
    s = s.slice(1, -1).trim();
  }
  if (/^[+-]/.test(s)) {
    negative = negative !== (s[0] === '-');
    s = s.slice(1).trim();
  } else if (/[+-]$/.test(s)) {
    negative = negative !== s.endsWith('-');
    s = s.slice(0, -1).trim();
  }
  if (!/^(\d{1,3}(,\d{3})+|\d{1,16})(\.\d{1,2})?$/.test(s)) return null;
  const d = new Decimal(s.replace(/,/g, ''));
  if (d.gt('9999999999999999.99')) return null;
  return negative ? d.negated() : d;
}

/** Text fields: control characters out, whitespace folded, over-long values are a problem of the file. */
export function cleanText(raw: string | undefined | null, max: number, what: string, line: number, problems: Problems): string {
  const s = (raw ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  if (s.length > max) problems.add(line, `${what} is longer than ${max} characters`, what);
  return s.slice(0, max);
}

export const LIMITS = { description: MAX_DESCRIPTION, reference: MAX_REFERENCE, counterparty: MAX_COUNTERPARTY };

export interface StatementHeader {
  periodFrom: string;
  periodTo: string;
  openingBalance: string;
  closingBalance: string;
}

/**
 * The checks every format shares: the number of lines, dates inside the period, the running balance when
 * the file prints one (opening + lines so far), and the closing balance (opening + all lines).
 */
export function checkStatementLines(lines: ParsedStatementLine[], h: StatementHeader, problems: Problems) {
  if (lines.length > MAX_STATEMENT_LINES) {
    problems.add(null, `the statement has ${lines.length} lines; at most ${MAX_STATEMENT_LINES} are taken in one import`);
    problems.throwIfAny();
  }
  collectLineProblems(lines, h, problems);
  problems.throwIfAny();
}

/**
 * The same checks, collecting instead of throwing, for what is known (a preview may declare no period or
 * balances): lines oldest first. Without an opening balance the running balance is checked from the first
 * printed one (each balance = the one before + the line).
 */
export function collectLineProblems(lines: ParsedStatementLine[], h: Partial<StatementHeader>, problems: Problems) {
  if (lines.length > MAX_STATEMENT_LINES) problems.add(null, `the statement has ${lines.length} lines; at most ${MAX_STATEMENT_LINES} are taken in one import`);
  if (h.periodFrom && h.periodTo && h.periodFrom > h.periodTo) problems.add(null, 'periodFrom is after periodTo');
  let opening: Decimal | null = h.openingBalance !== undefined ? new Decimal(h.openingBalance) : null;
  if (opening === null) {
    // The opening the first printed balance implies.
    let before = new Decimal(0);
    for (const l of lines) {
      before = before.plus(l.amount);
      if (l.balance !== null) {
        opening = new Decimal(l.balance).minus(before);
        break;
      }
    }
  }
  let running = opening ?? new Decimal(0);
  for (const l of lines) {
    if (h.periodFrom && h.periodTo && (l.date < h.periodFrom || l.date > h.periodTo)) problems.add(l.lineNo, `date ${l.date} is outside the statement period ${h.periodFrom} to ${h.periodTo}`, 'date');
    else if (h.periodFrom && !h.periodTo && l.date < h.periodFrom) problems.add(l.lineNo, `date ${l.date} is before the statement period starts (${h.periodFrom})`, 'date');
    else if (h.periodTo && !h.periodFrom && l.date > h.periodTo) problems.add(l.lineNo, `date ${l.date} is after the statement period ends (${h.periodTo})`, 'date');
    running = running.plus(l.amount);
    if (opening !== null && l.balance !== null && !running.eq(l.balance)) {
      problems.add(l.lineNo, `the running balance ${l.balance} does not agree with opening balance + lines so far (${running.toFixed(2)})`, 'balance');
    }
  }
  if (h.openingBalance !== undefined && h.closingBalance !== undefined) {
    const total = lines.reduce((acc, l) => acc.plus(l.amount), new Decimal(h.openingBalance));
    if (!total.eq(h.closingBalance)) {
      problems.add(null, `the closing balance ${new Decimal(h.closingBalance).toFixed(2)} does not agree with opening balance ${new Decimal(h.openingBalance).toFixed(2)} + lines (${total.toFixed(2)})`);
    }
  }
}

/** The currency every fund keeps its books in. */
export const FUND_CURRENCY = 'CNY';
const CNY_NAMES = new Set(['CNY', 'RMB', '156', '人民币', '人民币元']);

/** A statement in another currency than the fund's: becomes 422 currency_mismatch; nothing is stored. */
export class StatementCurrencyError extends Error {
  constructor(readonly currency: string, readonly expected = FUND_CURRENCY, readonly line: number | null = null) {
    super(`the statement is in ${currency}, the fund keeps its books in ${expected}${line !== null ? ` (line ${line})` : ''}`);
  }
}

/**
 * Any format that states a currency calls this with it (camt.053 Acct/Ccy and Amt/@Ccy, MT940 balances, a
 * CSV/XLS preamble 币种 line): CNY, RMB, 156 or 人民币 pass; anything else throws StatementCurrencyError.
 * An absent currency (null, empty) passes: most files never say.
 */
export function assertStatementCurrency(currency: string | null | undefined, line: number | null = null) {
  const c = (currency ?? '').trim().toUpperCase();
  if (c === '' || CNY_NAMES.has(c)) return;
  throw new StatementCurrencyError(c.slice(0, 20), FUND_CURRENCY, line);
}
