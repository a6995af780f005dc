// Statement files read as a table: CSV (UTF-8 with or without BOM, UTF-16 with BOM, GBK/GB18030) and
// spreadsheets (.xls, .xlsx). Bytes → rows → lines, then the checks against what the import declares.
// Collects problems (never throws them): the import refuses on any, the preview lists them.
import iconv from 'iconv-lite';
import { Decimal } from '../../platform/money';
import { MAX_FILE_CHARS, type ParsedStatementLine } from '../model';
import { Problems, assertStatementCurrency, collectLineProblems, type StatementHeader } from './common';
import { csvTable } from './csv';
import { accountsAgree, headerCandidates, normaliseHeader } from './layouts';
import { looksLikeSpreadsheet, spreadsheetTables } from './spreadsheet';
import { parseTable, type ColumnMapping, type DetectedLayout, type TableRow } from './table';

export type TableFormat = 'csv' | 'xls' | 'xlsx';
export type TextEncoding = 'utf-8' | 'gbk' | 'utf-16le' | 'utf-16be';

export interface TableFileInput extends Partial<StatementHeader> {
  format: TableFormat;
  content?: string;
  contentBase64?: string;
  encoding?: 'utf-8' | 'gbk';
}

export interface TableFileResult {
  lines: ParsedStatementLine[];
  layout: DetectedLayout;
  /** utf-8, gbk, utf-16le/be for text; binary for a spreadsheet. */
  encoding: TextEncoding | 'binary';
  recognised: boolean;
  /** The first rows of the file as read (cells), so a person can map an unrecognised layout. */
  fileRows: TableRow[];
}

/** Bytes to text: a UTF-16 BOM, else UTF-8 when valid (a UTF-8 BOM is dropped), else GBK/GB18030. */
export function decodeTableBytes(bytes: Buffer, encoding?: 'utf-8' | 'gbk'): { text: string; encoding: TextEncoding } {
  if (encoding === 'gbk') return { text: iconv.decode(bytes, 'gb18030'), encoding };
  if (!encoding && bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return { text: iconv.decode(bytes.subarray(2), 'utf-16le'), encoding: 'utf-16le' };
  if (!encoding && bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return { text: iconv.decode(bytes.subarray(2), 'utf-16be'), encoding: 'utf-16be' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    if (encoding === 'utf-8') throw new Error('the file is not valid UTF-8');
    return { text: iconv.decode(bytes, 'gb18030'), encoding: 'gbk' };
  }
}

function hasHeader(rows: TableRow[], mapping?: ColumnMapping) {
  const names = mapping ? Object.values(mapping.columns).flat().filter((r): r is string => typeof r === 'string').map(normaliseHeader) : [];
  if (mapping && !names.length) return rows.length > 0;
  return rows.slice(0, 60).some(({ cells }) => {
    if (names.length) {
      const set = new Set(cells.map(normaliseHeader));
      return names.every((n) => set.has(n));
    }
    const m = new Set(cells.flatMap((c) => headerCandidates(c).map((x) => x.meaning)));
    return m.has('date') && (m.has('amount') || m.has('in') || m.has('out'));
  });
}

const EMPTY: Omit<TableFileResult, 'encoding'> = { lines: [], layout: { headerRow: null, order: 'oldest_first', columns: [] }, recognised: false, fileRows: [] };

/** Reads a CSV or spreadsheet statement and checks it against what is declared (any part may be absent). */
export function readTableFile(file: TableFileInput, problems: Problems, mapping?: ColumnMapping): TableFileResult {
  let rows: TableRow[];
  let encoding: TableFileResult['encoding'] = 'utf-8';
  let bytes: Buffer | null = null;
  if (file.contentBase64 !== undefined) {
    bytes = Buffer.from(file.contentBase64, 'base64');
    if (bytes.length > MAX_FILE_CHARS) problems.add(null, `the file is larger than ${MAX_FILE_CHARS} bytes`);
  } else if (file.content !== undefined && file.content.length > MAX_FILE_CHARS) {
    problems.add(null, `the file is longer than ${MAX_FILE_CHARS} characters`);
  }
  if (problems.any) return { ...EMPTY, encoding };
  if (file.format === 'csv') {
    let text = file.content ?? '';
    if (bytes) {
      if (looksLikeSpreadsheet(bytes)) {
        problems.add(null, 'the file is a spreadsheet (.xls/.xlsx), not CSV text: choose the format xls or xlsx');
        return { ...EMPTY, encoding };
      }
      try {
        ({ text, encoding } = decodeTableBytes(bytes, file.encoding));
      } catch (e) {
        problems.add(null, (e as Error).message);
        return { ...EMPTY, encoding };
      }
    }
    rows = csvTable(text, problems, mapping);
  } else {
    encoding = 'binary';
    if (!bytes) {
      problems.add(null, `a ${file.format} file is sent as contentBase64 (its bytes), not as text`);
      return { ...EMPTY, encoding };
    }
    if (bytes.length === 0) {
      problems.add(null, 'the file is empty');
      return { ...EMPTY, encoding };
    }
    const sheets = spreadsheetTables(bytes, problems);
    const chosen = sheets.find((s) => hasHeader(s.rows, mapping)) ?? sheets[0];
    if (!chosen) return { ...EMPTY, encoding };
    if (chosen.tooMany) problems.add(null, `the sheet "${chosen.sheet.slice(0, 40)}" has more rows than one import takes`);
    rows = chosen.rows;
  }
  const fileRows = rows.slice(0, 15).map((r) => ({ line: r.line, cells: r.cells.slice(0, 30).map((c) => c.slice(0, 100)) }));
  if (problems.any && rows.length === 0) return { ...EMPTY, encoding, fileRows };
  const t = parseTable(rows, problems, mapping);
  const { lines, layout } = t;
  if (t.recognised) {
    // What the file prints against what the import declares.
    if (layout.periodFrom && layout.periodTo && file.periodFrom && file.periodTo && (layout.periodFrom !== file.periodFrom || layout.periodTo !== file.periodTo)) {
      problems.add(null, `the file's period ${layout.periodFrom} to ${layout.periodTo} differs from the declared period ${file.periodFrom} to ${file.periodTo}`);
    }
    if (layout.openingBalance && file.openingBalance !== undefined && !new Decimal(layout.openingBalance).eq(file.openingBalance)) {
      problems.add(null, `the file's opening balance ${layout.openingBalance} differs from openingBalance ${new Decimal(file.openingBalance).toFixed(2)}`);
    }
    if (layout.closingBalance && file.closingBalance !== undefined && !new Decimal(layout.closingBalance).eq(file.closingBalance)) {
      problems.add(null, `the file's closing balance ${layout.closingBalance} differs from closingBalance ${new Decimal(file.closingBalance).toFixed(2)}`);
    }
    collectLineProblems(lines, file, problems);
    // Balances the file implies, when it prints none: before the first line, after the last.
    const firstWith = lines.findIndex((l) => l.balance !== null);
    if (firstWith >= 0 && !layout.openingBalance) {
      layout.openingBalance = lines.slice(0, firstWith + 1).reduce((b, l) => b.minus(l.amount), new Decimal(lines[firstWith]!.balance!)).toFixed(2);
    }
    let lastWith = -1;
    for (let i = lines.length - 1; i >= 0; i--) if (lines[i]!.balance !== null) { lastWith = i; break; }
    if (lastWith >= 0 && !layout.closingBalance) {
      layout.closingBalance = lines.slice(lastWith + 1).reduce((b, l) => b.plus(l.amount), new Decimal(lines[lastWith]!.balance!)).toFixed(2);
    }
  }
  return { lines, layout, encoding, recognised: t.recognised, fileRows };
}

/**
 * Import: a CSV or spreadsheet statement read and checked; throws StatementFileError naming the lines, or
 * StatementCurrencyError (422 currency_mismatch) when the file states another currency than the fund's.
 */
export function parseTableStatement(file: TableFileInput & StatementHeader & { bankAccount?: string | null }, mapping?: ColumnMapping) {
  const problems = new Problems();
  const r = readTableFile(file, problems, mapping);
  // A file of another account than the fund's bank account (when both are known) is the wrong file.
  if (file.bankAccount && r.layout.account && !accountsAgree(file.bankAccount, r.layout.account)) {
    problems.add(null, `the file is of account ${r.layout.account}, the fund's bank account is ${file.bankAccount}`);
  }
  problems.throwIfAny();
  assertStatementCurrency(r.layout.currency ?? null);
  return { lines: r.lines, encoding: r.encoding, layout: r.layout };
}
