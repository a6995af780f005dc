// SWIFT MT940 customer statements, as corporate online banking (企业网银) of Chinese banks also offers them.
// Read by hand: the format is a simple line format, and a hand reader keeps amounts as strings and names the
// file line of every problem (the one npm package, mt940-js, has had a single release and parses amounts as
// floats).
import { Decimal } from '../../platform/money';
import { MAX_STATEMENT_LINES, type ParsedStatementLine } from '../model';
import { LIMITS, Problems, cleanText, parseBankAmount } from './common';
import { derivePeriod, type FileStatement } from './statement';

interface Field {
  tag: string;
  value: string;
  line: number;
}

/** YYMMDD → YYYY-MM-DD (years 2000–2099), or null. */
function swiftDate(yymmdd: string): string | null {
  const m = /^(\d{2})(\d{2})(\d{2})$/.exec(yymmdd);
  if (!m) return null;
  const d = `20${m[1]}-${m[2]}-${m[3]}`;
  const t = Date.parse(`${d}T00:00:00Z`);
  return Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== d ? null : d;
}

/** The entry (booking) date MMDD of a :61: line, in the year that puts it nearest its value date. */
function entryDate(valueDate: string, mmdd: string): string | null {
  const y = Number(valueDate.slice(0, 4));
  let best: string | null = null, bestDiff = Infinity;
  for (const year of [y - 1, y, y + 1]) {
    const d = swiftDate(`${String(year % 100).padStart(2, '0')}${mmdd}`);
    if (!d || year < 2000 || year > 2099) continue;
    const diff = Math.abs(Date.parse(d) - Date.parse(valueDate));
    if (diff < bestDiff) [best, bestDiff] = [d, diff];
  }
  return best;
}

/** SWIFT amounts: digits with a decimal comma ("1500,", "1500,5", "1500,50"); a point is taken too. */
function swiftAmount(raw: string): Decimal | null {
  const m = /^(\d{1,16})(?:[,.](\d{0,2}))?$/.exec(raw.trim());
  if (!m) return null;
  return parseBankAmount(m[2] ? `${m[1]}.${m[2]}` : m[1]!);
}

const BALANCE = /^([CD])(\d{6})([A-Z]{3})(\d[\d,.]*)$/;
// value date, entry date, mark, funds code, amount, transaction type (mandatory: it ends the amount), references
const STATEMENT_LINE = /^(\d{6})(\d{4})?(RC|RD|C|D)([A-Z])?(\d{1,16}(?:[,.]\d{0,2})?)([NSF][A-Z0-9]{3})(.*)$/;

/** :86: information: German-style ?NN subfields (purpose ?20–?29, ?60–?63; name ?32/?33), else free text. */
function information(raw: string): { description: string; counterparty: string } {
  const joined = raw.replace(/\n/g, '');
  if (/^(\d{3})?\?\d{2}/.test(joined)) {
    const sub = new Map<string, string[]>();
    for (const m of joined.matchAll(/\?(\d{2})([^?]*)/g)) (sub.get(m[1]!) ?? sub.set(m[1]!, []).get(m[1]!)!).push(m[2]!);
    const pick = (codes: string[]) => codes.flatMap((c) => sub.get(c) ?? []).join('');
    const purpose = pick(['20', '21', '22', '23', '24', '25', '26', '27', '28', '29', '60', '61', '62', '63']);
    return { description: [pick(['00']), purpose].filter(Boolean).join(' '), counterparty: pick(['32', '33']) };
  }
  const text = raw.replace(/\n/g, ' ');
  const cn = /(?:对方户名|对方账户名|对方名称|收款人名称|付款人名称|收款人|付款人|户名)\s*[:：]\s*([^\s;；,，/|]+)/.exec(text);
  const swift = /\/NAME\/([^/]+)/.exec(text);
  return { description: text, counterparty: (cn?.[1] ?? swift?.[1] ?? '').trim() };
}

/**
 * Splits an MT940 file into fields (":61:" …, continuation lines joined with "\n"), skipping SWIFT block
 * headers ({1:…}{2:…}{4:), message ends ("-}" or "-") and trailers ({5:…}); text before the first field is
 * ignored (some exports start with a title line).
 */
function fieldsOf(text: string): Field[] {
  const fields: Field[] = [];
  const lines = text.replace(/^\ufeff/, '').split(/\r\n|\r|\n/);
  lines.forEach((raw, i) => {
    let s = raw.replace(/\s+$/, '');
    if (/^\{1:/.test(s)) {
      const k = s.indexOf('{4:');
      s = k >= 0 ? s.slice(k + 3) : '';
    }
    if (s.trim() === '' || /^-(\}|$)/.test(s.trim()) || /^\{5:/.test(s)) return;
    const m = /^:(\d{2}[A-Z]?):(.*)$/.exec(s);
    if (m) fields.push({ tag: m[1]!, value: m[2]!, line: i + 1 });
    else if (fields.length) fields[fields.length - 1]!.value += `\n${s}`;
  });
  return fields;
}

interface Block {
  fields: Field[];
}

/**
 * Parses an MT940 file into its statements (one per :20: block). Each has :25: (account), :60F:/:60M:
 * (opening), :61: lines each optionally followed by :86: (information; Chinese banks put counterparty and
 * purpose there), :62F:/:62M: (closing). A statement continued on a next page (:62M: then :60M: of the same
 * account) is joined. Opening + lines must equal closing. Problems name the file line.
 */
export function parseMt940Document(text: string): { statements: FileStatement[] } {
  const problems = new Problems();
  if (text.replace(/^\ufeff/, '').trim() === '') {
    problems.add(null, 'the file is empty');
    problems.throwIfAny();
  }
  const fields = fieldsOf(text);
  if (!fields.some((f) => f.tag === '61' || f.tag.startsWith('60') || f.tag.startsWith('62'))) {
    problems.add(fields[0]?.line ?? 1, 'no MT940 statement found (fields :20:, :25:, :60F:, :61:, :62F:)');
    problems.throwIfAny();
  }
  const count = fields.filter((f) => f.tag === '61').length;
  if (count > MAX_STATEMENT_LINES) {
    problems.add(null, `the file has ${count} statement lines (:61:); at most ${MAX_STATEMENT_LINES} are taken in one import`);
    problems.throwIfAny();
  }
  const blocks: Block[] = [];
  for (const f of fields) {
    if (f.tag === '20' || blocks.length === 0) blocks.push({ fields: [] });
    blocks[blocks.length - 1]!.fields.push(f);
  }
  const read = blocks.map((b, i) => readBlock(b, i + 1));
  // Join pages: a statement closing with an intermediate balance continues in the next block of its account.
  const out: (FileStatement & { intermediate: boolean; openingIntermediate: boolean; closingLine: number | null })[] = [];
  for (const st of read) {
    const prev = out[out.length - 1];
    if (prev && prev.intermediate && st.openingIntermediate && prev.account === st.account) {
      if (prev.closingBalance !== null && st.openingBalance !== null && !new Decimal(prev.closingBalance).eq(st.openingBalance)) {
        st.problems.push({ line: st.fileLine, column: ':60M:', problem: `the page opens at ${st.openingBalance}, the page before closed at ${prev.closingBalance}` });
      }
      prev.lines.push(...st.lines);
      prev.problems.push(...st.problems);
      for (const c of st.currencies) if (!prev.currencies.some((p) => p.currency === c.currency)) prev.currencies.push(c);
      prev.closingBalance = st.closingBalance;
      prev.intermediate = st.intermediate;
      prev.periodTo = st.periodTo ?? prev.periodTo;
      prev.periodFrom = [prev.periodFrom, st.periodFrom].filter((d): d is string => d !== null).sort()[0] ?? null;
      continue;
    }
    out.push(st);
  }
  return {
    statements: out.map(({ intermediate: _i, openingIntermediate: _o, closingLine: _c, ...st }, i) => ({ ...st, no: i + 1 })),
  };
}

function readBlock(block: Block, no: number) {
  const problems = new Problems();
  let id: string | null = null, account: string | null = null;
  let opening: string | null = null, closing: string | null = null, closingDate: string | null = null;
  let intermediate = false, openingIntermediate = false, closingLine: number | null = null;
  const currencies: FileStatement['currencies'] = [];
  const lines: ParsedStatementLine[] = [];
  let last: (ParsedStatementLine & { bankRef: string; extra: string }) | null = null;
  const balance = (f: Field): { amount: string; date: string } | null => {
    const v = f.value.split('\n')[0]!.trim();
    const m = BALANCE.exec(v);
    const date = m ? swiftDate(m[2]!) : null;
    const amt = m ? swiftAmount(m[4]!) : null;
    if (!m || !date || !amt) {
      problems.add(f.line, `:${f.tag}: "${v.slice(0, 40)}" is not a balance (C or D, date YYMMDD, currency, amount with a decimal comma)`, `:${f.tag}:`);
      return null;
    }
    if (!currencies.some((c) => c.currency === m[3])) currencies.push({ currency: m[3]!, line: f.line });
    return { amount: (m[1] === 'D' ? amt.negated() : amt).toFixed(2), date };
  };
  const finish = () => {
    if (!last) return;
    const { bankRef, extra, ...l } = last;
    const others = [bankRef].filter((r) => r && r !== l.reference && !l.description.includes(r));
    const text = [l.description, extra].filter(Boolean).join(' ');
    l.description = (others.length ? `${text}${text ? ' · ' : ''}Ref ${others.join(' ')}` : text).slice(0, LIMITS.description);
    lines.push(l);
    last = null;
  };
  for (const f of block.fields) {
    switch (f.tag) {
      case '20':
        id = f.value.trim().slice(0, 35) || null;
        break;
      case '25':
        account = f.value.split('\n')[0]!.trim().slice(0, 64) || null;
        break;
      case '60F':
      case '60M': {
        const b = balance(f);
        if (b) opening = b.amount;
        openingIntermediate = f.tag === '60M';
        break;
      }
      case '62F':
      case '62M': {
        finish();
        const b = balance(f);
        if (b) [closing, closingDate] = [b.amount, b.date];
        intermediate = f.tag === '62M';
        closingLine = f.line;
        break;
      }
      case '61': {
        finish();
        const [first, ...rest] = f.value.split('\n');
        const m = STATEMENT_LINE.exec(first!.trim());
        const valueDate = m ? swiftDate(m[1]!) : null;
        if (!m || !valueDate) {
          problems.add(f.line, m ? `the value date "${m[1]}" is not a date` : `:61: "${first!.trim().slice(0, 40)}" is not a statement line (value date YYMMDD, optional entry date MMDD, C/D/RC/RD, amount, type, reference)`, ':61:');
          break;
        }
        const date = m[2] ? entryDate(valueDate, m[2]) : valueDate;
        const amount = swiftAmount(m[5]!);
        if (!date) problems.add(f.line, `the entry date "${m[2]}" is not a date`, ':61:');
        if (!amount) problems.add(f.line, `the amount "${m[5]}" is not an amount with at most two decimals`, ':61:');
        if (!date || !amount || amount.isZero()) break; // a zero line (a notice) moves nothing: left out
        const negative = m[3] === 'D' || m[3] === 'RC';
        const [custRaw = '', bankRaw = ''] = m[7]!.split('//');
        const cust = custRaw.trim().toUpperCase() === 'NONREF' ? '' : custRaw.trim();
        const bankRef = bankRaw.trim();
        const reference = cleanText(cust || bankRef, LIMITS.reference, 'reference', f.line, problems);
        last = {
          lineNo: f.line, date, amount: (negative ? amount.negated() : amount).toFixed(2), description: '', reference: reference || null,
          counterparty: null, balance: null, bankRef, extra: rest.join(' ').trim(),
        };
        break;
      }
      case '86': {
        if (!last) break; // statement-level information
        const info = information(f.value);
        last.description = cleanText(info.description, LIMITS.description, 'description', f.line, problems);
        last.counterparty = cleanText(info.counterparty, LIMITS.counterparty, 'counterparty', f.line, problems) || null;
        break;
      }
      default:
        break;
    }
  }
  finish();
  const fileLine = block.fields[0]?.line ?? null;
  if (opening === null && !problems.list.some((p) => p.column?.startsWith(':60'))) problems.add(fileLine, 'the statement has no opening balance (:60F:)', ':60F:');
  if (closing === null && !problems.list.some((p) => p.column?.startsWith(':62'))) problems.add(fileLine, 'the statement has no closing balance (:62F:)', ':62F:');
  if (opening !== null && closing !== null && problems.list.length === 0) {
    const total = lines.reduce((acc, l) => acc.plus(l.amount), new Decimal(opening!));
    if (!total.eq(closing)) problems.add(closingLine, `the closing balance (:${intermediate ? '62M' : '62F'}:) ${closing} does not agree with the opening balance ${opening} + lines (${total.toFixed(2)})`, ':62F:');
  }
  return {
    no, id, account, currency: currencies[0]?.currency ?? null, currencies,
    openingBalance: opening, closingBalance: closing,
    ...derivePeriod({ from: null, to: null }, closingDate, lines),
    lines, problems: problems.list, fileLine, intermediate, openingIntermediate, closingLine,
  };
}
