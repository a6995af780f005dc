// One account statement as a multi-statement format (camt.053, MT940) gives it, before it is picked for a
// fund and checked against what the import declares. Pure shapes and helpers: no parser, no database.
import type { ParsedStatementLine, StatementProblem } from '../model';

export interface FileStatement {
  /** 1-based position in the file (Stmt block, or MT940 :20: block). */
  no: number;
  /** Stmt/Id or :20:. */
  id: string | null;
  /** Acct/Id/IBAN or Acct/Id/Othr/Id, or :25:, as written. */
  account: string | null;
  /** The statement's currency (Acct/Ccy, else the balances'), when the file says. */
  currency: string | null;
  /** Every currency the statement states, with the first file line (or entry) naming it. */
  currencies: { currency: string; line: number | null }[];
  /** Booked opening (OPBD/PRCD, :60F:) and closing (CLBD, :62F:) balances, signed, when printed. */
  openingBalance: string | null;
  closingBalance: string | null;
  /** The period the statement covers: stated (FrToDt) or from its closing balance date and its lines. */
  periodFrom: string | null;
  periodTo: string | null;
  lines: ParsedStatementLine[];
  /** What is wrong with this statement: it is refused only if it is the one imported. */
  problems: StatementProblem[];
  /** Where the statement starts in the file (for messages). */
  fileLine: number | null;
}

/**
 * The period of a statement that does not state one: up to the closing balance's date (else the last line),
 * from the first line (else that same day). A stated bound wins.
 */
export function derivePeriod(stated: { from: string | null; to: string | null }, closingDate: string | null, lines: ParsedStatementLine[]) {
  let min: string | null = null, max: string | null = null;
  for (const l of lines) {
    if (min === null || l.date < min) min = l.date;
    if (max === null || l.date > max) max = l.date;
  }
  const to = stated.to ?? closingDate ?? max;
  let from = stated.from ?? (min !== null && to !== null && min < to ? min : to);
  if (from !== null && to !== null && from > to) from = to;
  return { periodFrom: from, periodTo: to };
}

/** Account numbers compared as banks vary in printing them: case, spaces and hyphens do not count. */
export const normalizeAccount = (s: string) => s.toUpperCase().replace(/[\s-]+/g, '');

/**
 * Does the account a file names belong to the fund's bank account? Equal once normalised, or the file's
 * account ends in "/<account>" (MT940 :25: "BANKCODE/ACCOUNT") or carries a currency suffix ("…CNY").
 */
export function accountMatches(fileAccount: string | null, fundAccount: string | null | undefined): boolean {
  if (!fileAccount || !fundAccount) return false;
  const f = normalizeAccount(fileAccount), a = normalizeAccount(fundAccount);
  if (a === '') return false;
  if (f === a) return true;
  const tail = f.includes('/') ? f.slice(f.lastIndexOf('/') + 1) : f;
  return tail === a || tail.replace(/[A-Z]{3}$/, '') === a || f.replace(/[A-Z]{3}$/, '') === a;
}
