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

/** Formats that may hold several account statements (camt.053 Stmt blocks, MT940 :20: blocks). */
export const MULTI_STATEMENT_FORMATS = ['camt053', 'mt940'] as const;
/** Formats read as a table (header, rows): CSV text and spreadsheets. */
export const TABLE_FORMATS = ['csv', 'xls', 'xlsx'] as const;
export const STATEMENT_FORMATS = [...TABLE_FORMATS, ...MULTI_STATEMENT_FORMATS] as const;
export type StatementFormat = (typeof STATEMENT_FORMATS)[number];

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
  /** The counterparty's account number, when the file has a column for it. */
  counterpartyAccount?: string | null;
}

/**
 * A line of amount 0 (interest tax of 0.00, a notice) is an information line: kept with the statement,
 * never matched, never an open item of the report.
 */
export const isInformationLine = (amount: string | number) => Number(amount) === 0;

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
