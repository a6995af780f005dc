import iconv from 'iconv-lite';
import { Decimal } from '../../platform/money';
import { MAX_FILE_CHARS, type ParsedStatementLine, type StatementFormat } from '../model';
import { Problems, checkStatementLines, type StatementHeader } from './common';
import { parseCsvStatement } from './csv';
import { parseCamt053Statement } from './camt053';

export { parseCsvStatement, csvRecords } from './csv';
export { parseCamt053Statement } from './camt053';
export { parseBankAmount, parseBankDate, checkStatementLines } from './common';

export interface StatementFile extends StatementHeader {
  format: StatementFormat;
  /** The file's text (UTF-8 JSON string). */
  content?: string;
  /** Or the file's bytes in base64 (GBK or UTF-8; detected unless encoding is given). */
  contentBase64?: string;
  encoding?: 'utf-8' | 'gbk';
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
export function parseStatementFile(file: StatementFile): { lines: ParsedStatementLine[]; encoding: 'utf-8' | 'gbk' } {
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
  let lines: ParsedStatementLine[];
  if (file.format === 'csv') {
    lines = parseCsvStatement(text);
  } else {
    const camt = parseCamt053Statement(text);
    lines = camt.lines;
    if (camt.openingBalance !== null && !new Decimal(camt.openingBalance).eq(file.openingBalance)) {
      problems.add(null, `the file's opening balance (OPBD) ${camt.openingBalance} differs from openingBalance ${file.openingBalance}`);
    }
    if (camt.closingBalance !== null && !new Decimal(camt.closingBalance).eq(file.closingBalance)) {
      problems.add(null, `the file's closing balance (CLBD) ${camt.closingBalance} differs from closingBalance ${file.closingBalance}`);
    }
    problems.throwIfAny();
  }
  checkStatementLines(lines, file, problems);
  return { lines, encoding };
}
