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
 * by a time (ignored). Returns YYYY-MM-DD or null.
 */
export function parseBankDate(raw: string): string | null {
  const s = raw.trim();
  let m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(s);
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
  if (h.periodFrom > h.periodTo) problems.add(null, 'periodFrom is after periodTo');
  let running = new Decimal(h.openingBalance);
  for (const l of lines) {
    if (l.date < h.periodFrom || l.date > h.periodTo) problems.add(l.lineNo, `date ${l.date} is outside the statement period ${h.periodFrom} to ${h.periodTo}`, 'date');
    running = running.plus(l.amount);
    if (l.balance !== null && !running.eq(l.balance)) {
      problems.add(l.lineNo, `the running balance ${l.balance} does not agree with opening balance + lines so far (${running.toFixed(2)})`, 'balance');
    }
  }
  const total = lines.reduce((acc, l) => acc.plus(l.amount), new Decimal(h.openingBalance));
  if (!total.eq(h.closingBalance)) {
    problems.add(null, `the closing balance ${new Decimal(h.closingBalance).toFixed(2)} does not agree with opening balance ${new Decimal(h.openingBalance).toFixed(2)} + lines (${total.toFixed(2)})`);
  }
  problems.throwIfAny();
}
