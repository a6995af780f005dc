import type { BankLine } from '../ledger';
// Words, limits and shapes of the reconciliation domain (see CONTEXT.md).

/** Most lines one statement may carry. */
export const MAX_STATEMENT_LINES = 50_000;
export const MAX_DESCRIPTION = 500;
export const MAX_REFERENCE = 100;
export const MAX_COUNTERPARTY = 200;
/** Largest file accepted (characters of text, or bytes once base64 is decoded). */
export const MAX_FILE_CHARS = 20_000_000;
/** Most lines of either side in one manual match. */
export const MAX_MATCH_LINES = 200;
/** Problems reported for one bad file (the first is named in the message). */
export const MAX_REPORTED_PROBLEMS = 20;

export type StatementFormat = 'csv' | 'camt053';

/** One line of a bank statement as read from the file; amount is signed: + into the account, - out. */
export interface ParsedStatementLine {
  /** Where it was in the file: the CSV line number (1-based, header included) or the CAMT entry number. */
  lineNo: number;
  date: string;
  amount: string;
  description: string;
  reference: string | null;
  counterparty: string | null;
  /** The running balance the bank printed after this line, when the file has one. */
  balance: string | null;
}

export interface StatementProblem {
  line: number | null;
  column?: string;
  problem: string;
}

/** A file that cannot be taken: becomes a 400 naming the line and the problem; nothing is stored. */
export class StatementFileError extends Error {
  constructor(readonly problems: StatementProblem[]) {
    const p = problems[0]!;
    super(p.line === null ? p.problem : `line ${p.line}${p.column ? ` (${p.column})` : ''}: ${p.problem}`);
  }
}

/** A 1002 line of the ledger, as the ledger's bankLines gives it. */
export type LedgerBankLine = BankLine;

export type MatchRule = 'reference' | 'amount_date' | 'manual';
