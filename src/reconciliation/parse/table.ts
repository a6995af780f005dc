// A statement as a table (CSV records or a spreadsheet's rows): preamble, header, rows, footer. Finds the
// header by its names (or takes a saved import profile's mapping), reads the account, currency, period and
// balances printed around the rows, reads every row to a signed line, and tells which way the rows run.
// Pure: problems go to the Problems given, named by line; nothing is thrown here.
import { Decimal } from '../../platform/money';
import { isCalendarDate } from '../../platform/clock';
import { MAX_STATEMENT_LINES, type ParsedStatementLine, type StatementProblem } from '../model';
import { LIMITS, Problems, cleanText, parseBankAmount, parseBankDate } from './common';
import {
  FOOTER, MEANINGS, PERIOD_DATE, accountsAgree, cellText, currencyCode, detectBank, directionOf, headerCandidates, metaPairs,
  normaliseHeader, type ColumnMeaning,
} from './layouts';

export const MAX_COLUMNS = 100;
export const MAX_CELL_CHARS = 2000;
/** Rows read from a file: the lines plus room for a preamble and a footer. */
export const MAX_SHEET_ROWS = MAX_STATEMENT_LINES + 500;
/** Rows looked at for the header. */
const HEADER_SEARCH_ROWS = 60;

export interface TableRow {
  /** Where the row is: the CSV line it starts on, or the spreadsheet row number (1-based). */
  line: number;
  cells: string[];
  /** Spreadsheets: the cells that held a number of 16 or more digits (a spreadsheet keeps 15: the rest may be lost). */
  longNumbers?: number[];
}

export type DateFormat = 'YMD' | 'DMY' | 'MDY';
type ColumnRef = string | number;
/** A saved mapping (an import profile): header names or 0-based column indexes per meaning. */
export interface ColumnMapping {
  headerRow?: number | null;
  columns: Partial<Record<Exclude<ColumnMeaning, 'ignored' | 'description'>, ColumnRef>> & { description?: ColumnRef | ColumnRef[] };
  dateFormat?: DateFormat | null;
}

export interface LayoutColumn {
  index: number;
  header: string;
  meaning: ColumnMeaning;
}

/** What a preamble (or the file's own balances) says about the statement. */
interface StatementFacts {
  account?: string;
  currency?: string;
  periodFrom?: string;
  periodTo?: string;
  /** Printed in the file (期初余额 …), or else derived from the first line's balance. */
  openingBalance?: string;
  closingBalance?: string;
}

export interface DetectedLayout extends StatementFacts {
  bank?: string;
  headerRow: number | null;
  order: 'oldest_first' | 'newest_first';
  columns: LayoutColumn[];
}

export interface TableResult {
  /** Oldest first (a newest-first file is turned round; lineNo keeps each line's place in the file). */
  lines: ParsedStatementLine[];
  layout: DetectedLayout;
  /** Whether a header (or mapping) was found at all. */
  recognised: boolean;
}

const NO_AMOUNT = /^(-{1,3}|—|－|\/)$/;
const isBlank = (cells: string[]) => cells.every((c) => cellText(c) === '');
/** Placeholders banks print in empty text cells ("--", "-------------------"). */
const textOrEmpty = (s: string) => (/^[-—－_*\s]*$/.test(s) ? '' : s);

function parseDateAs(raw: string, fmt: DateFormat | null | undefined): string | null {
  if (!fmt || fmt === 'YMD') return parseBankDate(raw);
  const m = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$/.exec(cellText(raw));
  if (!m) return parseBankDate(raw);
  const [d, mo] = fmt === 'DMY' ? [m[1]!, m[2]!] : [m[2]!, m[1]!];
  const date = `${m[3]}-${mo.padStart(2, '0')}-${d.padStart(2, '0')}`;
  return isCalendarDate(date) && date >= '2000-01-01' && date <= '2099-12-31' ? date : null;
}

type Assigned = Map<Exclude<ColumnMeaning, 'ignored' | 'description'>, number> & { description?: number[] };

/** Meanings of the header cells, each meaning to its best-ranked column (description: every such column). */
function assignMeanings(header: string[]): { assigned: Assigned; description: number[] } {
  const cands = header.map((h) => headerCandidates(h));
  const taken = new Set<number>();
  const assigned = new Map() as Assigned;
  const order: Exclude<ColumnMeaning, 'ignored' | 'description'>[] = ['date', 'in', 'out', 'amount', 'direction', 'balance', 'time', 'counterparty', 'counterpartyAccount', 'reference', 'currency'];
  for (const meaning of order) {
    let best: { idx: number; rank: number } | null = null;
    cands.forEach((list, idx) => {
      if (taken.has(idx)) return;
      const c = list.find((x) => x.meaning === meaning);
      if (c && (!best || c.rank < best.rank)) best = { idx, rank: c.rank };
    });
    if (best) {
      assigned.set(meaning, (best as { idx: number }).idx);
      taken.add((best as { idx: number }).idx);
    }
  }
  const description = cands.map((list, idx) => (!taken.has(idx) && list.some((c) => c.meaning === 'description') ? idx : -1)).filter((i) => i >= 0).slice(0, 4);
  return { assigned, description };
}

const usable = (a: Assigned) => a.has('date') && (a.has('amount') || (a.has('in') && a.has('out')));

/** The columns a mapping names, against a header row (names) or by index. Null when a named header is missing. */
function resolveMapping(map: ColumnMapping, header: string[] | null): { assigned: Assigned; description: number[]; missing: string[] } {
  const assigned = new Map() as Assigned;
  const missing: string[] = [];
  const norm = header?.map(normaliseHeader) ?? [];
  const find = (ref: ColumnRef): number => {
    if (typeof ref === 'number') return ref;
    const i = norm.indexOf(normaliseHeader(ref));
    if (i < 0) missing.push(ref);
    return i;
  };
  for (const m of MEANINGS) {
    if (m === 'description') continue;
    const ref = map.columns[m];
    if (ref === undefined) continue;
    const i = find(ref);
    if (i >= 0) assigned.set(m, i);
  }
  const d = map.columns.description;
  const description = (d === undefined ? [] : Array.isArray(d) ? d : [d]).map(find).filter((i) => i >= 0);
  return { assigned, description, missing };
}

interface Meta extends StatementFacts {
  text: string;
}

function readMeta(cells: string[], meta: Meta) {
  for (const [key, value] of metaPairs(cells)) {
    if (key === 'account' && !meta.account && /\d/.test(value)) meta.account = value.slice(0, 40);
    else if (key === 'currency' && !meta.currency) meta.currency = currencyCode(value) ?? undefined;
    else if (key === 'period' || key === 'from' || key === 'to') {
      const dates = [...value.matchAll(PERIOD_DATE)].map((m) => parseBankDate(m[0])).filter((d): d is string => d !== null);
      if (key === 'period' && dates.length >= 2) {
        meta.periodFrom ??= dates[0];
        meta.periodTo ??= dates[1];
      } else if (key === 'from' && dates[0]) meta.periodFrom ??= dates[0];
      else if (key === 'to' && dates[0]) meta.periodTo ??= dates[0];
      // "起始日期: [20240101] 终止日期: [20240131]" in one pair when the second key has no colon of its own
      if (key === 'from' && dates.length >= 2) meta.periodTo ??= dates[1];
    } else if (key === 'opening' || key === 'closing') {
      const a = parseBankAmount(value);
      if (a) {
        if (key === 'opening') meta.openingBalance ??= a.toFixed(2);
        else meta.closingBalance ??= a.toFixed(2);
      }
    }
  }
}

/** A footer or an in-between row that prints a balance without a colon: "期末余额,,,,12,345.00". */
function readBalanceRow(cells: string[], meta: Meta) {
  const first = normaliseHeader(cells.find((c) => cellText(c) !== '') ?? '');
  const key = /^(期初余额|上期余额|上日余额|承前余额)/.test(first) ? 'openingBalance' : /^(期末余额|本期余额)/.test(first) ? 'closingBalance' : null;
  if (!key || meta[key] !== undefined) return;
  const amounts = cells.slice(1).map((c) => parseBankAmount(cellText(c))).filter((a): a is Decimal => a !== null);
  if (amounts.length) meta[key] = amounts[amounts.length - 1]!.toFixed(2);
}

/**
 * Reads a table. `mapping` (an import profile) replaces header detection. Problems are added to `problems`
 * with the line of the file; the lines returned are oldest first.
 */
export function parseTable(rows: TableRow[], problems: Problems, mapping?: ColumnMapping): TableResult {
  const meta: Meta = { text: '' };
  let headerAt = -1;
  let assigned: Assigned | null = null;
  let description: number[] = [];

  // 1. The header: by the mapping, or by its names in the first rows.
  if (mapping) {
    const byName = Object.values(mapping.columns).flat().some((r) => typeof r === 'string');
    if (mapping.headerRow) {
      headerAt = rows.findIndex((r) => r.line === mapping.headerRow);
      if (headerAt < 0) problems.add(null, `the profile's header row ${mapping.headerRow} is not in the file`);
    } else if (byName) {
      const names = Object.values(mapping.columns).flat().filter((r): r is string => typeof r === 'string').map(normaliseHeader);
      headerAt = rows.slice(0, HEADER_SEARCH_ROWS).findIndex((r) => {
        const set = new Set(r.cells.map(normaliseHeader));
        return names.every((n) => set.has(n));
      });
      if (headerAt < 0) problems.add(null, `no row in the first ${HEADER_SEARCH_ROWS} has the profile's column names (${names.slice(0, 6).join(', ')})`);
    }
    if (!problems.any) {
      const r = resolveMapping(mapping, headerAt >= 0 ? rows[headerAt]!.cells : null);
      if (r.missing.length) problems.add(headerAt >= 0 ? rows[headerAt]!.line : null, `the header has no column named ${r.missing.slice(0, 5).map((m) => `"${m}"`).join(', ')}`);
      assigned = r.assigned;
      description = r.description;
      if (!usable(assigned)) problems.add(null, 'the profile must name a date column and an amount column (or both in and out columns)');
    }
  } else {
    for (let i = 0; i < Math.min(rows.length, HEADER_SEARCH_ROWS); i++) {
      const a = assignMeanings(rows[i]!.cells);
      if (a.assigned.has('date') && (a.assigned.has('amount') || a.assigned.has('in') || a.assigned.has('out'))) {
        headerAt = i;
        assigned = a.assigned;
        description = a.description;
        break;
      }
    }
  }
  const header = headerAt >= 0 ? rows[headerAt]!.cells : [];
  const columnsOut = (): LayoutColumn[] => {
    const width = Math.max(header.length, ...[...(assigned?.values() ?? []), ...description].map((i) => i + 1));
    const meaningOf = new Map<number, ColumnMeaning>();
    for (const [m, i] of assigned ?? []) meaningOf.set(i, m);
    for (const i of description) meaningOf.set(i, 'description');
    return Array.from({ length: Math.min(width, MAX_COLUMNS) }, (_, index) => ({ index, header: cellText(header[index]).slice(0, 100), meaning: meaningOf.get(index) ?? 'ignored' }));
  };
  if (!assigned || !usable(assigned)) {
    if (assigned && !mapping) {
      problems.add(rows[headerAt]!.line, 'the header has only one of the out (借方/支出) and in (贷方/收入) columns; both are needed, or a signed amount column');
    } else if (!mapping) {
      problems.add(null, 'no header row found: the file needs a date column (日期/交易日期/记账日期/date) and amounts (金额/交易金额/amount, or 借方/贷方, 支出/收入, debit/credit); map the columns once with an import profile');
    }
    return { lines: [], layout: { headerRow: headerAt >= 0 ? rows[headerAt]!.line : null, order: 'oldest_first', columns: assigned ? columnsOut() : [] }, recognised: false };
  }
  // A signed amount is read only when there is no in/out pair (the pair decides the side).
  if (assigned.has('in') && assigned.has('out')) assigned.delete('amount');
  if (!assigned.has('amount')) assigned.delete('direction');

  // 2. Lines above the header: account, currency, period, balances; the bank from the title.
  for (const r of rows.slice(0, Math.max(0, headerAt))) {
    readMeta(r.cells, meta);
    readBalanceRow(r.cells, meta);
    if (meta.text.length < 2000) meta.text += ` ${r.cells.join(' ')}`;
  }

  // 3. The rows.
  const col = (m: Exclude<ColumnMeaning, 'ignored' | 'description'>) => assigned!.get(m);
  const headerKey = header.map(normaliseHeader).join('\u0001');
  const amountCols = (['amount', 'in', 'out', 'balance'] as const).map(col).filter((i): i is number => i !== undefined);
  const needed = Math.max(col('date')!, ...amountCols);
  const fileOrder: ParsedStatementLine[] = [];
  const currencies = new Map<string, number>();
  let footerSeen = false;
  let pending: StatementProblem[] = [];
  const dataStart = headerAt + 1;
  for (let ri = dataStart; ri < rows.length; ri++) {
    const { line, cells } = rows[ri]!;
    if (isBlank(cells)) continue;
    if (cells.length > MAX_COLUMNS) {
      problems.add(line, `the line has ${cells.length} columns; at most ${MAX_COLUMNS} are read`);
      continue;
    }
    if (headerAt >= 0 && cells.map(normaliseHeader).join('\u0001') === headerKey) continue; // the header again, on the next page
    const firstCell = normaliseHeader(cells.find((c) => cellText(c) !== '') ?? '');
    if (FOOTER.test(firstCell) || /^(期初余额|上期余额|上日余额|承前余额|期末余额|本期余额)/.test(firstCell)) {
      readMeta(cells, meta);
      readBalanceRow(cells, meta);
      if (!/^(本页|小计|期初|上期|上日|承前)/.test(firstCell)) footerSeen = true;
      continue;
    }
    const get = (i: number | undefined) => (i === undefined ? '' : cellText(cells[i]));
    const rawDate = get(col('date'));
    const date = parseDateAs(rawDate, mapping?.dateFormat);
    const hasAmount = amountCols.some((i) => { const v = get(i); return v !== '' && !NO_AMOUNT.test(v); });
    if (!date) {
      // Free text after the rows (a note, a signature line) is a footer; before more rows it is a bad line.
      if (footerSeen) continue;
      if (headerAt < 0 && fileOrder.length === 0) {
        // A mapping by column numbers has no header: what comes before the first dated row is the preamble.
        readMeta(cells, meta);
        readBalanceRow(cells, meta);
        if (meta.text.length < 2000) meta.text += ` ${cells.join(' ')}`;
        continue;
      }
      if (!hasAmount) {
        readMeta(cells, meta);
        // Rows between the header and the first line (a units row) are part of the header.
        if (fileOrder.length > 0) pending.push({ line, column: 'date', problem: rawDate === '' ? 'the line has no date' : `"${rawDate.slice(0, 40)}" is not a date (YYYY-MM-DD)` });
        continue;
      }
    }
    if (pending.length) {
      for (const p of pending) problems.add(p.line, p.problem, p.column);
      pending = [];
    }
    const long = cells.findIndex((c) => c.length > MAX_CELL_CHARS);
    if (long >= 0) problems.add(line, `column ${long + 1} is longer than ${MAX_CELL_CHARS} characters`);
    if (cells.length <= needed && get(col('date')) === '') {
      problems.add(line, `the line has ${cells.length} columns, the header has more`);
      continue;
    }
    if (!date) problems.add(line, `"${rawDate.slice(0, 40)}" is not a date (YYYY-MM-DD)`, 'date');

    let amount: Decimal | null = null;
    if (col('amount') !== undefined) {
      const raw = get(col('amount'));
      if (raw === '' || NO_AMOUNT.test(raw)) problems.add(line, 'the line has no amount', 'amount');
      else {
        amount = parseBankAmount(raw);
        if (!amount) problems.add(line, `"${raw.slice(0, 40)}" is not an amount with at most two decimals`, 'amount');
        else if (col('direction') !== undefined) {
          const d = get(col('direction'));
          const sign = directionOf(d);
          if (sign !== null) amount = sign > 0 ? amount.abs() : amount.abs().negated();
          else if (d !== '') problems.add(line, `"${d.slice(0, 20)}" is not a direction (借/贷, 收/支, D/C)`, 'direction');
        }
      }
    } else {
      const rawOut = get(col('out')), rawIn = get(col('in'));
      const out = rawOut === '' || NO_AMOUNT.test(rawOut) ? new Decimal(0) : parseBankAmount(rawOut);
      const inn = rawIn === '' || NO_AMOUNT.test(rawIn) ? new Decimal(0) : parseBankAmount(rawIn);
      if (!out) problems.add(line, `"${rawOut.slice(0, 40)}" is not an amount with at most two decimals`, 'out');
      if (!inn) problems.add(line, `"${rawIn.slice(0, 40)}" is not an amount with at most two decimals`, 'in');
      if (out && inn) {
        if (!out.isZero() && !inn.isZero()) problems.add(line, 'the line has both an out (借方/支出) and an in (贷方/收入) amount');
        // An out column printed negative ("-13.40") is still money out.
        else amount = inn.minus(out.abs());
      }
    }
    let balance: string | null = null;
    const rawBal = get(col('balance'));
    if (rawBal !== '' && !NO_AMOUNT.test(rawBal)) {
      const b = parseBankAmount(rawBal);
      if (!b) problems.add(line, `"${rawBal.slice(0, 40)}" is not a balance with at most two decimals`, 'balance');
      else balance = b.toFixed(2);
    }
    if (col('currency') !== undefined) {
      const c = currencyCode(get(col('currency')));
      if (c) currencies.set(c, (currencies.get(c) ?? 0) + 1);
    }
    const text = (i: number | undefined) => textOrEmpty(get(i));
    const descParts = [...new Set(description.map((i) => text(i)).filter((s) => s !== ''))];
    const desc = cleanText(descParts.join(' '), LIMITS.description, 'description', line, problems);
    const reference = cleanText(text(col('reference')), LIMITS.reference, 'reference', line, problems);
    const counterparty = cleanText(text(col('counterparty')), LIMITS.counterparty, 'counterparty', line, problems);
    const counterpartyAccount = cleanText(text(col('counterpartyAccount')), LIMITS.reference, 'counterpartyAccount', line, problems);
    if (date && amount) {
      fileOrder.push({
        lineNo: line, date, amount: amount.isZero() ? '0.00' : amount.toFixed(2), description: desc, reference: reference || null,
        counterparty: counterparty || null, balance, counterpartyAccount: counterpartyAccount || null,
      });
    }
    if (fileOrder.length > MAX_STATEMENT_LINES) break;
  }

  // 4. Which way the rows run, then oldest first.
  const order = detectOrder(fileOrder);
  const lines = order === 'newest_first' ? [...fileOrder].reverse() : fileOrder;

  // 5. The currency of the rows: one; another one on some row is a problem of that row.
  if (currencies.size) {
    const main = meta.currency ?? [...currencies.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    meta.currency ??= main;
    if (currencies.size > 1) {
      for (let ri = dataStart; ri < rows.length && problems.list.length < 20; ri++) {
        const c = currencyCode(cellText(rows[ri]!.cells[col('currency')!]));
        if (c && c !== main && fileOrder.some((l) => l.lineNo === rows[ri]!.line)) problems.add(rows[ri]!.line, `currency ${c} differs from the statement's ${main}`, 'currency');
      }
    }
  }
  const bank = detectBank(meta.text, header);
  const layout: DetectedLayout = {
    ...(bank ? { bank } : {}),
    headerRow: headerAt >= 0 ? rows[headerAt]!.line : null,
    order,
    columns: columnsOut(),
    ...(meta.account ? { account: meta.account } : {}),
    ...(meta.currency ? { currency: meta.currency } : {}),
    ...(meta.periodFrom ? { periodFrom: meta.periodFrom } : {}),
    ...(meta.periodTo ? { periodTo: meta.periodTo } : {}),
    ...(meta.openingBalance ? { openingBalance: meta.openingBalance } : {}),
    ...(meta.closingBalance ? { closingBalance: meta.closingBalance } : {}),
  };
  return { lines, layout, recognised: true };
}

/**
 * Oldest first or newest first: the dates decide when they run one way; else the running balance (which
 * neighbour each printed balance follows from); else the way most dates run; else oldest first.
 */
export function detectOrder(lines: ParsedStatementLine[]): 'oldest_first' | 'newest_first' {
  let up = 0, down = 0;
  for (let i = 1; i < lines.length; i++) {
    if (lines[i]!.date > lines[i - 1]!.date) up++;
    else if (lines[i]!.date < lines[i - 1]!.date) down++;
  }
  if (up > 0 && down === 0) return 'oldest_first';
  if (down > 0 && up === 0) return 'newest_first';
  let fwd = 0, back = 0;
  for (let i = 1; i < lines.length; i++) {
    const a = lines[i - 1]!, b = lines[i]!;
    if (a.balance === null || b.balance === null) continue;
    if (new Decimal(a.balance).plus(b.amount).eq(b.balance)) fwd++;
    if (new Decimal(b.balance).plus(a.amount).eq(a.balance)) back++;
  }
  if (back > fwd) return 'newest_first';
  if (fwd > back) return 'oldest_first';
  return down > up ? 'newest_first' : 'oldest_first';
}

/** The account a file prints agrees with a saved one (masked numbers allowed). */
export { accountsAgree };
