// Files that may hold several account statements (camt.053, MT940): read them, pick the fund's statement
// (by its bank account), or hand each one over for an import of them all. Pure: no database.
import iconv from 'iconv-lite';
import { Decimal } from '../../platform/money';
import { MAX_FILE_CHARS, StatementFileError, type ParsedStatementLine, type StatementProblem } from '../model';
import { Problems, assertStatementCurrency, checkStatementLines, type StatementHeader } from './common';
import { parseCamt053Document } from './camt053';
import { parseMt940Document } from './mt940';
import { accountMatches, normalizeAccount, type FileStatement } from './statement';

export type MultiStatementFormat = 'camt053' | 'mt940';

/** Every statement of a camt.053 or MT940 file; throws StatementFileError when the file is neither. */
export function readFileStatements(format: MultiStatementFormat, text: string): FileStatement[] {
  return format === 'mt940' ? parseMt940Document(text).statements : parseCamt053Document(text).statements;
}

/**
 * The text of a camt.053/MT940 file sent as content or contentBase64 (UTF-8, else GBK/GB18030), within the
 * size limit, and its statements: for an import of each statement on its own (statements: "all").
 */
export function readMultiStatementFile(file: { format: MultiStatementFormat; content?: string; contentBase64?: string; encoding?: 'utf-8' | 'gbk' }) {
  const problems = new Problems();
  let text = file.content ?? '';
  let encoding: 'utf-8' | 'gbk' = 'utf-8';
  if (file.contentBase64 !== undefined) {
    const bytes = Buffer.from(file.contentBase64, 'base64');
    if (bytes.length > MAX_FILE_CHARS) problems.add(null, `the file is larger than ${MAX_FILE_CHARS} bytes`);
    problems.throwIfAny();
    if (file.encoding === 'gbk') [text, encoding] = [iconv.decode(bytes, 'gb18030'), 'gbk'];
    else {
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        if (file.encoding === 'utf-8') problems.add(null, 'the file is not valid UTF-8');
        problems.throwIfAny();
        [text, encoding] = [iconv.decode(bytes, 'gb18030'), 'gbk'];
      }
    }
  }
  if (text.length > MAX_FILE_CHARS) problems.add(null, `the file is longer than ${MAX_FILE_CHARS} characters`);
  problems.throwIfAny();
  return { statements: readFileStatements(file.format, text), encoding };
}

const BAL = { camt053: { opening: 'OPBD', closing: 'CLBD' }, mt940: { opening: ':60F:', closing: ':62F:' } };

/** The accounts a file holds, for messages ("0200001234567890, 6222…"). */
export const accountsOf = (statements: FileStatement[]) => [...new Set(statements.map((s) => s.account ?? '(no account)'))];

/** Foreign currency first (422, never stored), then the statement's own problems (400 naming the line). */
export function assertStatementUsable(st: FileStatement) {
  for (const c of st.currencies) assertStatementCurrency(c.currency, c.line);
  if (st.problems.length) throw new StatementFileError(st.problems);
}

/**
 * The fund's statement(s) in the file, for an import with a declared period and balances:
 * - the statements whose account is the fund's bank account (IBAN, Othr/Id or :25:, compared loosely);
 * - a fund without a bank account takes the file's statements when they are all of one account;
 * - several statements of that account (daily statements of a month) are taken together, in file order,
 *   keeping those inside the declared period when some are outside; each must open where the one before
 *   closed;
 * - anything else is a 400 that says which accounts the file holds.
 * Returns the lines and the balances the file prints for them (first opening, last closing).
 */
export function pickStatements(
  format: MultiStatementFormat, statements: FileStatement[], file: StatementHeader & { bankAccount?: string | null },
): { lines: ParsedStatementLine[]; openingBalance: string | null; closingBalance: string | null; picked: FileStatement[] } {
  const problems = new Problems();
  const accounts = accountsOf(statements);
  let picked: FileStatement[];
  if (file.bankAccount) {
    picked = statements.filter((s) => accountMatches(s.account, file.bankAccount));
    if (picked.length === 0 && statements.length === 1 && statements[0]!.account === null) picked = statements;
    if (picked.length === 0) {
      problems.add(null, `the file holds no statement of the fund's bank account ${file.bankAccount}; it holds ${statements.length === 1 ? 'a statement of account' : `${statements.length} statements of accounts`} ${accounts.join(', ')}`);
      problems.throwIfAny();
    }
  } else {
    const distinct = new Set(statements.map((s) => (s.account ? normalizeAccount(s.account) : '')).filter(Boolean));
    if (distinct.size > 1) {
      problems.add(null, `the file holds statements of ${distinct.size} accounts (${accounts.join(', ')}): set the fund's bank account (PATCH /funds/:code) to pick its statement, or import each with statements: "all"`);
      problems.throwIfAny();
    }
    picked = statements;
  }
  if (picked.length > 1) {
    const inside = picked.filter((s) => s.periodFrom !== null && s.periodTo !== null && s.periodFrom >= file.periodFrom && s.periodTo <= file.periodTo);
    if (inside.length > 0) picked = inside;
  }
  for (const st of picked) assertStatementUsable(st);
  for (let k = 1; k < picked.length; k++) {
    const prev = picked[k - 1]!, st = picked[k]!;
    if (prev.closingBalance !== null && st.openingBalance !== null && !new Decimal(prev.closingBalance).eq(st.openingBalance)) {
      problems.add(st.fileLine, `statement ${st.no}${st.id ? ` (${st.id})` : ''} opens at ${st.openingBalance}, but statement ${prev.no} before it closes at ${prev.closingBalance}`);
    }
  }
  problems.throwIfAny();
  const lines = picked.flatMap((s) => s.lines);
  const openingBalance = picked[0]!.openingBalance, closingBalance = picked[picked.length - 1]!.closingBalance;
  const names = BAL[format];
  if (openingBalance !== null && !new Decimal(openingBalance).eq(file.openingBalance)) {
    problems.add(null, `the file's opening balance (${names.opening}) ${openingBalance} differs from openingBalance ${file.openingBalance}`);
  }
  if (closingBalance !== null && !new Decimal(closingBalance).eq(file.closingBalance)) {
    problems.add(null, `the file's closing balance (${names.closing}) ${closingBalance} differs from closingBalance ${file.closingBalance}`);
  }
  problems.throwIfAny();
  return { lines, openingBalance, closingBalance, picked };
}

/**
 * One statement of the file imported on its own (statements: "all"): its period and balances come from the
 * file, so it must print its opening and closing balances; the shared checks (lines in the period, closing =
 * opening + lines) then apply as for any import.
 */
export function ownStatement(format: MultiStatementFormat, st: FileStatement): { header: StatementHeader; lines: ParsedStatementLine[] } {
  assertStatementUsable(st);
  const problems = new Problems();
  const names = BAL[format];
  const what = `statement ${st.no}${st.id ? ` (${st.id})` : ''} of account ${st.account ?? '?'}`;
  if (st.openingBalance === null) problems.add(st.fileLine, `${what} prints no opening balance (${names.opening}): import it with periodFrom, periodTo and the balances`);
  if (st.closingBalance === null) problems.add(st.fileLine, `${what} prints no closing balance (${names.closing}): import it with periodFrom, periodTo and the balances`);
  if (st.periodFrom === null || st.periodTo === null) problems.add(st.fileLine, `${what} has no period (FrToDt) and no dated balance or line`);
  problems.throwIfAny();
  const header = { periodFrom: st.periodFrom!, periodTo: st.periodTo!, openingBalance: st.openingBalance!, closingBalance: st.closingBalance! };
  checkStatementLines(st.lines, header, problems);
  return { header, lines: st.lines };
}

export type { FileStatement, StatementProblem };
