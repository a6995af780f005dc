import type { ParsedStatementLine } from '../model';
import { Problems } from './common';
import { headerCandidates } from './layouts';
import { MAX_SHEET_ROWS, parseTable, type ColumnMapping, type TableResult, type TableRow } from './table';

/** RFC 4180 records, with the file line each starts on; quotes may hold commas and line breaks. */
export function* csvRecords(text: string, delimiter = ','): Generator<{ line: number; cells: string[] }> {
  let i = 0, line = 1;
  const n = text.length;
  while (i < n) {
    const startLine = line;
    const cells: string[] = [];
    let cell = '';
    for (;;) {
      if (i < n && text[i] === '"' && cell.trim() === '') {
        cell = '';
        i++;
        let closed = false;
        while (i < n) {
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') { cell += '"'; i += 2; continue; }
            i++; closed = true; break;
          }
          if (c === '\n') line++;
          cell += c; i++;
        }
        if (!closed) throw Object.assign(new Error('a quoted field is not closed'), { csvLine: startLine });
        while (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') cell += text[i++];
      } else {
        while (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') cell += text[i++];
      }
      if (i < n && text[i] === delimiter) { cells.push(cell); cell = ''; i++; continue; }
      cells.push(cell);
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      line++;
      break;
    }
    yield { line: startLine, cells };
  }
}

/** A row whose cells name a date and an amount (or in/out) column: a header. */
function looksLikeHeader(cells: string[]) {
  const meanings = new Set(cells.flatMap((c) => headerCandidates(c).map((x) => x.meaning)));
  return meanings.has('date') && (meanings.has('amount') || meanings.has('in') || meanings.has('out'));
}

/**
 * The delimiter: the one (comma, tab, semicolon) that gives a header row in the first rows; cells padded with
 * tabs (ICBC) are comma-separated all the same. A profile's names decide when one is given.
 */
function chooseDelimiter(text: string, mapping?: ColumnMapping): string {
  const names = mapping ? Object.values(mapping.columns).flat().filter((r): r is string => typeof r === 'string') : [];
  for (const d of [',', '\t', ';']) {
    try {
      let n = 0;
      for (const { cells } of csvRecords(text, d)) {
        if (names.length ? names.every((x) => cells.some((c) => c.trim() === x.trim())) : looksLikeHeader(cells)) return d;
        if (++n >= 60) break;
      }
    } catch {
      // an unclosed quote with this delimiter: try the next
    }
  }
  const firstLine = text.slice(0, Math.max(0, text.search(/\r?\n|$/)));
  return firstLine.split('\t').length > firstLine.split(',').length ? '\t' : ',';
}

/** CSV text (already decoded) as table rows; a broken quote is a problem of its line. */
export function csvTable(text: string, problems: Problems, mapping?: ColumnMapping): TableRow[] {
  const body = text.replace(/^\ufeff/, '');
  if (body.trim() === '') {
    problems.add(null, 'the file is empty');
    return [];
  }
  const rows: TableRow[] = [];
  try {
    for (const r of csvRecords(body, chooseDelimiter(body, mapping))) {
      rows.push(r);
      if (rows.length > MAX_SHEET_ROWS) {
        problems.add(r.line, `the file has more than ${MAX_SHEET_ROWS} rows`);
        break;
      }
    }
  } catch (e) {
    const csvLine = (e as { csvLine?: number }).csvLine;
    if (csvLine === undefined) throw e;
    problems.add(csvLine, (e as Error).message);
  }
  return rows;
}

/** Reads a CSV statement to a table result; problems are collected, not thrown. */
export function readCsvStatement(text: string, problems: Problems, mapping?: ColumnMapping): TableResult {
  const rows = csvTable(text, problems, mapping);
  if (problems.any && rows.length === 0) return { lines: [], layout: { headerRow: null, order: 'oldest_first', columns: [] }, recognised: false };
  return parseTable(rows, problems, mapping);
}

/**
 * Parses a CSV statement (the text already decoded): preamble and footer skipped, header found by its
 * names, lines oldest first. Throws StatementFileError naming each bad line.
 */
export function parseCsvStatement(text: string, mapping?: ColumnMapping): ParsedStatementLine[] {
  const problems = new Problems();
  const { lines } = readCsvStatement(text, problems, mapping);
  problems.throwIfAny();
  return lines;
}
