import iconv from 'iconv-lite';
import { MAX_FILE_CHARS, type ParsedStatementLine, type StatementFormat } from '../model';
import { Problems, checkStatementLines, type StatementHeader } from './common';
import { pickStatements, readFileStatements } from './select';

import { parseTableStatement } from './tabular';
import type { ColumnMapping, DetectedLayout } from './table';

export { parseCsvStatement, csvRecords } from './csv';
export { readTableFile, parseTableStatement, decodeTableBytes } from './tabular';
export { spreadsheetTables, looksLikeSpreadsheet } from './spreadsheet';
export { Problems } from './common';
export type { ColumnMapping, DetectedLayout } from './table';
export { parseCamt053Statement, parseCamt053Document } from './camt053';
export { parseMt940Document } from './mt940';
export { pickStatements, readFileStatements, ownStatement, readMultiStatementFile, type MultiStatementFormat } from './select';
export { assertStatementCurrency, StatementCurrencyError, FUND_CURRENCY } from './common';
export { parseBankAmount, parseBankDate, checkStatementLines } from './common';

export interface StatementFile extends StatementHeader {
  format: StatementFormat;
  /** The file's text (UTF-8 JSON string). */
  content?: string;
  /** Or the file's bytes in base64 (GBK or UTF-8; detected unless encoding is given). */
  contentBase64?: string;
  encoding?: 'utf-8' | 'gbk';
  /** The fund's bank account: picks its statement in a camt.053/MT940 file holding several accounts. */
  bankAccount?: string | null;
}

/** Bytes to text: UTF-8 when the bytes are valid UTF-8 (or say so), else GBK/GB18030 as Chinese banks export. */
export function decodeStatementBytes(bytes: Buffer, encoding?: 'utf-8' | 'gbk'): { text: string; encoding: 'utf-8' | 'gbk' } {
  if (encoding === 'gbk') return { text: iconv.decode(bytes, 'gb18030'), encoding };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    if (encoding === 'utf-8') throw new Error('the file is not valid UTF-8');
    return { text: iconv.decode(bytes, 'gb18030'), encoding: 'gbk' };
  }
}

/**
 * Reads a statement file of either format and checks it against the declared period and balances. Pure:
 * throws StatementFileError (a 400 naming line and problem) for anything wrong, else returns the lines.
 */
export function parseStatementFile(file: StatementFile, mapping?: ColumnMapping): { lines: ParsedStatementLine[]; encoding: string; layout?: DetectedLayout } {
  // CSV and spreadsheets: one table reader (tabular.ts), with preamble, footer, order and a saved mapping.
  if (file.format === 'csv' || file.format === 'xls' || file.format === 'xlsx') return parseTableStatement({ ...file, format: file.format }, mapping);
  const problems = new Problems();
  let text: string;
  let encoding: 'utf-8' | 'gbk' = 'utf-8';
  if (file.contentBase64 !== undefined) {
    const bytes = Buffer.from(file.contentBase64, 'base64');
    if (bytes.length > MAX_FILE_CHARS) problems.add(null, `the file is larger than ${MAX_FILE_CHARS} bytes`);
    problems.throwIfAny();
    try {
      ({ text, encoding } = decodeStatementBytes(bytes, file.encoding));
    } catch (e) {
      problems.add(null, (e as Error).message);
      problems.throwIfAny();
      throw e;
    }
  } else {
    text = file.content ?? '';
  }
  if (text.length > MAX_FILE_CHARS) problems.add(null, `the file is longer than ${MAX_FILE_CHARS} characters`);
  problems.throwIfAny();
  // camt.053 / MT940: the fund's statement(s) picked by its bank account, file balances checked (select.ts).
  const format = file.format === 'mt940' ? 'mt940' : 'camt053';
  const lines: ParsedStatementLine[] = pickStatements(format, readFileStatements(format, text), file).lines;
  checkStatementLines(lines, file, problems);
  return { lines, encoding };
}
