import { Decimal } from '../../platform/money';
import type { ParsedStatementLine } from '../model';
import { LIMITS, Problems, cleanText, parseBankAmount, parseBankDate } from './common';

type Field = 'date' | 'description' | 'reference' | 'counterparty' | 'amount' | 'out' | 'in' | 'balance' | 'direction';

/**
 * Header names as Chinese and foreign banks export them, after normalising (lower case, no spaces, no unit
 * such as "(元)"). Bank-statement convention: 借方 / debit / 支出 is money OUT of the account, 贷方 / credit /
 * 收入 is money IN (the bank's books, as printed on a customer's statement).
 */
const HEADERS: Record<Field, string[]> = {
  date: ['日期', '交易日期', '记账日期', '入账日期', '交易时间', 'date', 'transactiondate', 'bookingdate', 'valuedate', 'postingdate'],
  description: ['摘要', '交易摘要', '用途', '附言', '备注', 'description', 'narrative', 'memo', 'details', 'remarks'],
  reference: ['流水号', '凭证号', '交易流水号', '参考号', '业务编号', 'reference', 'ref', 'referenceno', 'transactionid', 'transactionreference'],
  counterparty: ['对方户名', '对方账户名称', '对方名称', '收付款人', 'counterparty', 'payee', 'payer', 'payee/payer', 'name'],
  amount: ['金额', '交易金额', '发生额', 'amount', 'signedamount'],
  out: ['借方', '借方金额', '借方发生额', '支出', '支出金额', '付款金额', 'debit', 'debitamount', 'withdrawal', 'withdrawals', 'paidout', 'moneyout'],
  in: ['贷方', '贷方金额', '贷方发生额', '收入', '收入金额', '收款金额', 'credit', 'creditamount', 'deposit', 'deposits', 'paidin', 'moneyin'],
  balance: ['余额', '账户余额', '交易后余额', '当前余额', 'balance', 'runningbalance'],
  direction: ['借贷标志', '借贷方向', '收支方向', 'dc', 'direction', 'debit/credit', 'cdtdbtind'],
};

const LOOKUP = new Map<string, Field>(Object.entries(HEADERS).flatMap(([f, names]) => names.map((n) => [n, f as Field])));

const normaliseHeader = (h: string) =>
  h.replace(/^\ufeff/, '').toLowerCase().replace(/[（(][^)）]*[)）]/g, '').replace(/[\s_\-.:：]/g, '');

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

const TOTAL_ROW = /^(合计|总计|小计|本页合计|total|subtotal)/i;

/**
 * Parses a CSV statement (the text already decoded). The header row is found by its names (banks often put
 * account details above it); rows before it are skipped, as are blank rows and total rows at the end.
 * Amounts come from a signed amount column, from debit/credit (借方/贷方) columns, or from an amount with a
 * direction column (借/贷, D/C). Throws StatementFileError naming each bad line.
 */
export function parseCsvStatement(text: string): ParsedStatementLine[] {
  const problems = new Problems();
  const body = text.replace(/^\ufeff/, '');
  if (body.trim() === '') {
    problems.add(null, 'the file is empty');
    problems.throwIfAny();
  }
  const firstLine = body.slice(0, body.search(/\r?\n|$/));
  const delimiter = firstLine.split('\t').length > firstLine.split(',').length ? '\t' : ',';
  let columns: Map<Field, number> | undefined;
  const lines: ParsedStatementLine[] = [];
  let headerLine = 0;
  try {
    for (const { line, cells } of csvRecords(body, delimiter)) {
      if (cells.every((c) => c.trim() === '')) continue;
      if (!columns) {
        const found = new Map<Field, number>();
        cells.forEach((c, idx) => {
          const f = LOOKUP.get(normaliseHeader(c));
          if (f && !found.has(f)) found.set(f, idx);
        });
        if (found.has('date') && (found.has('amount') || found.has('in') || found.has('out'))) {
          columns = found;
          headerLine = line;
          if (found.has('amount') && (found.has('in') || found.has('out'))) problems.add(line, 'the header has both an amount column and debit/credit columns; keep one way of giving amounts');
          if (!found.has('amount') && !(found.has('in') && found.has('out'))) problems.add(line, 'the header has only one of the debit (借方/支出) and credit (贷方/收入) columns; both are needed');
          problems.throwIfAny();
        } else if (line >= 30 || lines.length > 0) {
          break;
        }
        continue;
      }
      const get = (f: Field) => (columns!.has(f) ? (cells[columns!.get(f)!] ?? '') : '');
      const rawDate = get('date').trim();
      if (rawDate === '' && TOTAL_ROW.test(cells.join('').trim())) continue;
      if (TOTAL_ROW.test(rawDate)) continue;
      if (cells.length < columns.size && cells.length <= Math.max(...columns.values())) {
        problems.add(line, `the line has ${cells.length} columns, the header has more`);
        continue;
      }
      const date = parseBankDate(rawDate);
      if (!date) problems.add(line, `"${rawDate.slice(0, 40)}" is not a date (YYYY-MM-DD)`, 'date');
      let amount: Decimal | null = null;
      if (columns.has('amount')) {
        const raw = get('amount');
        amount = parseBankAmount(raw);
        if (!amount) problems.add(line, `"${raw.trim().slice(0, 40)}" is not an amount with at most two decimals`, 'amount');
        else if (columns.has('direction')) {
          const d = get('direction').trim().toLowerCase();
          if (['借', '借方', '支出', '支', 'd', 'dr', 'debit', 'dbit'].includes(d)) amount = amount.abs().negated();
          else if (['贷', '贷方', '收入', '收', 'c', 'cr', 'credit', 'crdt'].includes(d)) amount = amount.abs();
          else if (d !== '') problems.add(line, `"${d.slice(0, 20)}" is not a direction (借/贷, D/C)`, 'direction');
        }
      } else {
        const rawOut = get('out').trim(), rawIn = get('in').trim();
        const out = rawOut === '' ? new Decimal(0) : parseBankAmount(rawOut);
        const inn = rawIn === '' ? new Decimal(0) : parseBankAmount(rawIn);
        if (!out) problems.add(line, `"${rawOut.slice(0, 40)}" is not an amount with at most two decimals`, 'debit');
        if (!inn) problems.add(line, `"${rawIn.slice(0, 40)}" is not an amount with at most two decimals`, 'credit');
        if (out && inn) {
          if (out.lt(0) || inn.lt(0)) problems.add(line, 'debit and credit amounts must not be negative');
          else if (!out.isZero() && !inn.isZero()) problems.add(line, 'the line has both a debit and a credit amount');
          else amount = inn.minus(out);
        }
      }
      if (amount && amount.isZero()) problems.add(line, 'the amount is zero', 'amount');
      let balance: string | null = null;
      if (columns.has('balance') && get('balance').trim() !== '') {
        const b = parseBankAmount(get('balance'));
        if (!b) problems.add(line, `"${get('balance').trim().slice(0, 40)}" is not a balance with at most two decimals`, 'balance');
        else balance = b.toFixed(2);
      }
      const description = cleanText(get('description'), LIMITS.description, 'description', line, problems);
      const reference = cleanText(get('reference'), LIMITS.reference, 'reference', line, problems);
      const counterparty = cleanText(get('counterparty'), LIMITS.counterparty, 'counterparty', line, problems);
      if (date && amount && !amount.isZero()) {
        lines.push({ lineNo: line, date, amount: amount.toFixed(2), description, reference: reference || null, counterparty: counterparty || null, balance });
      }
      if (lines.length > 50_000) break;
    }
  } catch (e) {
    const csvLine = (e as { csvLine?: number }).csvLine;
    if (csvLine === undefined) throw e;
    problems.add(csvLine, (e as Error).message);
  }
  if (!columns) {
    problems.add(null, 'no header row found: the file needs a date column (日期/交易日期/date) and amounts (金额/amount, or 借方/贷方, 支出/收入, debit/credit)');
  }
  problems.throwIfAny();
  void headerLine;
  return lines;
}
