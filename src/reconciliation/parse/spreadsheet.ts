// .xls (BIFF, also the HTML and text files some banks name .xls) and .xlsx, read by SheetJS (@e965/xlsx,
// SheetJS 0.20 republished on npm), never by hand. The first sheet with a recognisable header (else the
// first sheet) becomes the same table of text cells the CSV reader produces.
import * as XLSX from '@e965/xlsx';
import * as cptable from '@e965/xlsx/dist/cpexcel.full';
import { Problems } from './common';
import { MAX_COLUMNS, MAX_SHEET_ROWS, type TableRow } from './table';

// Codepages for BIFF5 and older files (GBK text in an old .xls).
XLSX.set_cptable(cptable);


const pad2 = (n: number) => String(n).padStart(2, '0');

/** A cell as text: dates as YYYY-MM-DD (HH:MM:SS), numbers without binary noise (0.1 + 0.2 → 0.3). */
function cellToText(cell: XLSX.CellObject | undefined): string {
  if (!cell || cell.v === undefined || cell.v === null) return '';
  switch (cell.t) {
    case 's': return String(cell.v);
    case 'b': return cell.v ? 'TRUE' : 'FALSE';
    case 'e': case 'z': return '';
    case 'd': {
      const d = cell.v instanceof Date ? cell.v : new Date(String(cell.v));
      return Number.isNaN(d.getTime()) ? '' : d.toISOString().slice(0, 10);
    }
    case 'n': {
      const v = cell.v as number;
      if (cell.z !== undefined && XLSX.SSF.is_date(cell.z)) {
        const p = XLSX.SSF.parse_date_code(v);
        if (p) {
          const time = `${pad2(p.H)}:${pad2(p.M)}:${pad2(Math.floor(p.S))}`;
          if (v < 1) return time;
          const date = `${p.y}-${pad2(p.m)}-${pad2(p.d)}`;
          return v % 1 === 0 ? date : `${date} ${time}`;
        }
      }
      if (!Number.isFinite(v)) return '';
      if (Number.isInteger(v) && Math.abs(v) >= 1e15) return BigInt(v).toString(); // a long account number
      return String(Number(v.toPrecision(15)));
    }
    default: return String(cell.v);
  }
}

/** Most bytes an .xlsx may unpack to: a 20 MB file of highly compressed XML must not take the memory. */
export const MAX_UNZIPPED_BYTES = 400_000_000;

/**
 * The unpacked size an .xlsx (zip) declares in its central directory, or null when it is not a readable zip.
 * Only a guard before SheetJS reads it (a zip bomb is refused unread); SheetJS does the reading.
 */
export function zipUnpackedSize(bytes: Buffer): number | null {
  const from = Math.max(0, bytes.length - 65_557);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= from; i--) if (bytes.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) return null;
  const entries = bytes.readUInt16LE(eocd + 10);
  let p = bytes.readUInt32LE(eocd + 16);
  let total = 0;
  for (let n = 0; n < entries; n++) {
    if (p + 46 > bytes.length || bytes.readUInt32LE(p) !== 0x02014b50) return null;
    const size = bytes.readUInt32LE(p + 24);
    if (size === 0xffffffff) return Number.MAX_SAFE_INTEGER; // ZIP64: larger than any statement
    total += size;
    p += 46 + bytes.readUInt16LE(p + 28) + bytes.readUInt16LE(p + 30) + bytes.readUInt16LE(p + 32);
  }
  return total;
}

/**
 * Reads a workbook's sheets as tables of text (row numbers 1-based, as the spreadsheet shows them).
 * A file SheetJS cannot read is a problem of the file (a 400), never a crash; nothing is thrown.
 */
export function spreadsheetTables(bytes: Buffer, problems: Problems): { sheet: string; rows: TableRow[]; tooMany?: boolean }[] {
  let wb: XLSX.WorkBook;
  if (bytes.length >= 4 && bytes.readUInt32BE(0) === 0x504b0304) {
    const unpacked = zipUnpackedSize(bytes);
    if (unpacked !== null && unpacked > MAX_UNZIPPED_BYTES) {
      problems.add(null, `the spreadsheet unpacks to more than ${MAX_UNZIPPED_BYTES} bytes`);
      return [];
    }
  }
  try {
    wb = XLSX.read(bytes, { type: 'buffer', dense: true, cellNF: true, cellText: false, cellDates: false, sheetRows: MAX_SHEET_ROWS + 1, cellHTML: false, cellFormula: false, bookVBA: false });
  } catch (e) {
    problems.add(null, `the spreadsheet cannot be read (${String((e as Error).message ?? e).slice(0, 120)})`);
    return [];
  }
  const out: { sheet: string; rows: TableRow[]; tooMany?: boolean }[] = [];
  try {
    readSheets(wb, out);
  } catch (e) {
    problems.add(null, `the spreadsheet cannot be read (${String((e as Error).message ?? e).slice(0, 120)})`);
    return [];
  }
  if (!out.length) problems.add(null, 'the spreadsheet has no sheet');
  return out;
}

function readSheets(wb: XLSX.WorkBook, out: { sheet: string; rows: TableRow[]; tooMany?: boolean }[]) {
  for (const name of wb.SheetNames.slice(0, 20)) {
    const ws = wb.Sheets[name];
    if (!ws || !ws['!ref']) {
      out.push({ sheet: name, rows: [] });
      continue;
    }
    const full = XLSX.utils.decode_range((ws['!fullref'] as string | undefined) ?? ws['!ref']);
    const range = XLSX.utils.decode_range(ws['!ref']);
    const tooMany = full.e.r - full.s.r + 1 > MAX_SHEET_ROWS;
    const lastCol = Math.min(range.e.c, range.s.c + MAX_COLUMNS);
    const data = (ws as unknown as { '!data'?: (XLSX.CellObject | undefined)[][] })['!data'] ?? [];
    const rows: TableRow[] = [];
    for (let r = range.s.r; r <= Math.min(range.e.r, range.s.r + MAX_SHEET_ROWS - 1); r++) {
      const src = data[r] ?? [];
      const cells: string[] = [];
      let longNumbers: number[] | undefined;
      for (let c = 0; c <= lastCol; c++) {
        const cell = src[c];
        cells.push(cellToText(cell));
        if (cell?.t === 'n' && Math.abs(cell.v as number) >= 1e15) (longNumbers ??= []).push(c);
      }
      while (cells.length && cells[cells.length - 1] === '') cells.pop();
      rows.push({ line: r + 1, cells, ...(longNumbers ? { longNumbers } : {}) });
    }
    out.push({ sheet: name, rows, ...(tooMany ? { tooMany: true } : {}) });
  }
}

/** Whether bytes look like a spreadsheet (OLE2 .xls or a zip .xlsx) rather than text. */
export function looksLikeSpreadsheet(bytes: Buffer): boolean {
  return (bytes.length >= 8 && bytes.readUInt32BE(0) === 0xd0cf11e0 && bytes.readUInt32BE(4) === 0xa1b11ae1) || (bytes.length >= 4 && bytes.readUInt32BE(0) === 0x504b0304);
}
