import type { BankLine } from '../ledger';
import { type Raw, str, strOrNull, numOrNull, date, dateOrNull } from '../platform/rows';
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

// Rows as the code sees them: each table's row type, decoded once from what the driver returns
// (NUMERIC → string, DATE → 'YYYY-MM-DD' string, BIGINT → number, timestamptz → Date; src/platform/db.ts).

type Decoders<T> = { [K in keyof T]-?: (v: unknown) => T[K] };
/** Decodes the columns a query selected (the same list it passed to select), typed as just those. */
const pick = <T>(decoders: Decoders<T>) => <K extends keyof T>(r: Raw, columns: readonly K[]): Pick<T, K> => {
  const out = {} as Pick<T, K>;
  for (const c of columns) out[c] = decoders[c](r[c as string]);
  return out;
};

export interface StatementRow {
  id: number;
  fund: string;
  period_from: string;
  period_to: string;
  opening_balance: string;
  closing_balance: string;
  format: string;
  encoding: string;
  line_count: number;
  fingerprint: string;
  status: 'open' | 'closed';
  imported_by: string;
  imported_at: Date;
  closed_by: string | null;
  closed_at: Date | null;
  file_account: string | null;
  file_bank: string | null;
  profile_id: number | null;
}

export const decodeStatement = (r: Raw): StatementRow => ({
  id: Number(r.id), fund: str(r.fund), period_from: str(r.period_from), period_to: str(r.period_to),
  opening_balance: str(r.opening_balance), closing_balance: str(r.closing_balance), format: str(r.format), encoding: str(r.encoding),
  line_count: Number(r.line_count), fingerprint: str(r.fingerprint), status: r.status === 'closed' ? 'closed' : 'open',
  imported_by: str(r.imported_by), imported_at: date(r.imported_at), closed_by: strOrNull(r.closed_by), closed_at: dateOrNull(r.closed_at),
  file_account: strOrNull(r.file_account), file_bank: strOrNull(r.file_bank), profile_id: numOrNull(r.profile_id),
});

/** bank_statement_lines, with the match it is in when the query joined reconciliation_match_statement_lines. */
export interface StatementLineRow {
  id: number;
  statement_id: number;
  line_no: number;
  date: string;
  amount: string;
  description: string;
  reference: string | null;
  counterparty: string | null;
  balance: string | null;
  counterparty_account: string | null;
  match_id: number | null;
}

export const decodeStatementLine = pick<StatementLineRow>({
  id: Number, statement_id: Number, line_no: Number, date: str, amount: str, description: str, reference: strOrNull,
  counterparty: strOrNull, balance: strOrNull, counterparty_account: strOrNull, match_id: numOrNull,
});

export interface MatchRow {
  id: number;
  statement_id: number;
  rule: MatchRule;
  score: number;
  note: string | null;
  created_by: string;
  created_at: Date;
}

export const decodeMatch = (r: Raw): MatchRow => ({
  id: Number(r.id), statement_id: Number(r.statement_id), rule: str(r.rule) as MatchRule, score: Number(r.score),
  note: strOrNull(r.note), created_by: str(r.created_by), created_at: date(r.created_at),
});

/** reconciliation_match_ledger_lines: a ledger line (by id) in a match, with the fund, date and amount it had. */
export interface MatchLedgerLineRow {
  match_id: number;
  ledger_line_id: number;
  fund: string;
  date: string;
  amount: string;
}

export const decodeMatchLedgerLine = pick<MatchLedgerLineRow>({ match_id: Number, ledger_line_id: Number, fund: str, date: str, amount: str });

/** A row with just an id (a nextval, a scope query). */
export const idOf = (r: Raw) => Number(r.id);
