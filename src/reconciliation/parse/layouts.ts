// What Chinese (and foreign) bank exports look like: the names of their columns, the lines above the header
// (title, 卡号/账号/户名/币种/起止日期) and below the rows (合计, 借方笔数, 以上数据仅供参考, 打印时间 …), and the
// signatures of the banks' own layouts. Pure data and small helpers; table.ts reads a table with them.

/** What a column of a statement means. `ignored`: read past. */
export type ColumnMeaning =
  | 'date' | 'time' | 'amount' | 'in' | 'out' | 'direction' | 'balance' | 'counterparty' | 'counterpartyAccount'
  | 'description' | 'reference' | 'currency' | 'ignored';

export const MEANINGS: Exclude<ColumnMeaning, 'ignored'>[] = [
  'date', 'time', 'amount', 'in', 'out', 'direction', 'balance', 'counterparty', 'counterpartyAccount', 'description', 'reference', 'currency',
];

/** Whitespace banks pad cells with: spaces, tabs, the ideographic space, no-break spaces. */
export const PAD = /[\s\u3000\u00a0\ufeff]+/g;
export const cellText = (c: string | undefined) => (c ?? '').replace(/^[\s\u3000\u00a0\ufeff]+|[\s\u3000\u00a0\ufeff]+$/g, '');

/**
 * A header cell as compared: no padding or inner spaces ("日 志 号"), lower case, full-width brackets made
 * ASCII. The qualifier in brackets is kept: 交易金额(收入) and 交易金额(支出) are different columns.
 */
export const normaliseHeader = (h: string) =>
  h.replace(PAD, '').toLowerCase().replace(/[（【\[]/g, '(').replace(/[）】\]]/g, ')').replace(/[_\-.:：]/g, '');

/**
 * Header names, normalised, with a rank per meaning (0 is preferred when a file has several columns for
 * one meaning: the booked 记账 pair over the transaction 交易 pair, a booking date over a transaction date).
 * Bank-statement convention: 借方 / debit / 支出 is money OUT of the account, 贷方 / credit / 收入 money IN.
 */
const NAMES: [ColumnMeaning, number, string[]][] = [
  ['date', 0, ['记账日期', '记账日', '入账日期', '账务日期', 'bookingdate', 'postingdate']],
  ['date', 1, ['交易日期', '日期', '交易日', '发生日期', '业务日期', 'date', 'transactiondate', 'valuedate', 'txndate']],
  ['date', 3, ['交易时间', '记账时间', '交易日期时间', '入账时间', 'datetime']],
  ['time', 0, ['交易时间', '记账时间', '时间', '入账时间', 'time']],
  ['amount', 1, ['金额', '交易金额', '发生额', '记账金额', '交易金额(元)', 'amount', 'signedamount', 'transactionamount']],
  ['out', 0, ['借方发生额', '借方金额', '借方', '支出', '支出金额', '付款金额', '支取金额', '转出金额', '借方发生额(支取)', '支出(元)', 'debit', 'debitamount', 'withdrawal', 'withdrawals', 'paidout', 'moneyout']],
  ['in', 0, ['贷方发生额', '贷方金额', '贷方', '收入', '收入金额', '收款金额', '存入金额', '转入金额', '贷方发生额(收入)', '收入(元)', 'credit', 'creditamount', 'deposit', 'deposits', 'paidin', 'moneyin']],
  ['direction', 0, ['借贷', '借贷标志', '借贷方向', '借贷标识', '收支', '收支方向', '收支标志', '收/支', '借/贷', '来往账标识', '交易方向', 'dc', 'd/c', 'direction', 'debit/credit', 'drcr', 'cdtdbtind']],
  ['balance', 0, ['余额', '账户余额', '本次余额', '联机余额', '交易后余额', '当前余额', '可用余额', '账面余额', '余额(元)', 'balance', 'runningbalance']],
  ['counterparty', 0, ['对方户名', '对方账户名', '对方账户名称', '对方名称', '对方单位名称', '对方单位', '对手信息', '对手方户名', '交易对手', '收/付方名称', '收付方名称', '收款人/付款人', '收付款人', '对方姓名', 'counterparty', 'payee', 'payer', 'payee/payer', 'name']],
  ['counterpartyAccount', 0, ['对方账号', '对方账户', '对方卡号', '对方卡号/账号', '对方账号/卡号', '对手账号', '收/付方账号', '收付方账号', 'counterpartyaccount']],
  ['description', 0, ['摘要', '交易摘要', '用途', '附言', '交易附言', '备注', '交易用途', '交易名称', '交易类型', '交易详情', '客户摘要', '业务摘要', '说明', 'description', 'narrative', 'memo', 'details', 'remarks']],
  ['reference', 0, ['流水号', '凭证号', '交易流水号', '参考号', '业务编号', '日志号', '交易序号', '账户明细编号交易流水号', '交易参考号', '柜员流水号', '凭证号码', 'reference', 'ref', 'referenceno', 'transactionid', 'transactionreference']],
  ['currency', 0, ['记账币种', '币种', '币别', '货币', '结算币种', 'currency']],
  ['currency', 1, ['交易币种']],
];
/** 交易金额(收入) and the like: an amount word, qualified by the side. */
const AMOUNT_BASES: [string, number][] = [['记账金额', 0], ['入账金额', 0], ['交易金额', 1], ['金额', 2], ['发生额', 2], ['amount', 2]];
const SIDE_IN = new Set(['收入', '贷方', '贷', '存入', '收', '入', '转入', 'in', 'credit', 'cr']);
const SIDE_OUT = new Set(['支出', '借方', '借', '支取', '付', '支', '出', '转出', 'out', 'debit', 'dr']);
const UNIT = /\((元|人民币|rmb|cny|￥|¥)\)$/;

const LOOKUP = new Map<string, { meaning: ColumnMeaning; rank: number }[]>();
for (const [meaning, rank, names] of NAMES) {
  for (const n of names) {
    const key = normaliseHeader(n);
    const list = LOOKUP.get(key) ?? [];
    list.push({ meaning, rank });
    LOOKUP.set(key, list);
  }
}

/** The meanings a header may have, best first; empty when unknown. */
export function headerCandidates(raw: string): { meaning: ColumnMeaning; rank: number }[] {
  let h = normaliseHeader(raw);
  if (h === '') return [];
  const direct = LOOKUP.get(h);
  if (direct) return direct;
  h = h.replace(UNIT, '');
  if (LOOKUP.has(h)) return LOOKUP.get(h)!;
  const q = /^(.+)\(([^()]+)\)$/.exec(h);
  if (q) {
    const [, base, qual] = q as unknown as [string, string, string];
    const amountRank = AMOUNT_BASES.find(([b]) => b === base)?.[1];
    if (amountRank !== undefined) {
      if (SIDE_IN.has(qual)) return [{ meaning: 'in', rank: amountRank }];
      if (SIDE_OUT.has(qual)) return [{ meaning: 'out', rank: amountRank }];
    }
    // Another qualifier (a unit, "(支取)" on 借方发生额): the base name decides, when it is known.
    const baseOnly = LOOKUP.get(base);
    if (baseOnly) {
      const side = SIDE_IN.has(qual) ? 'in' : SIDE_OUT.has(qual) ? 'out' : null;
      // A qualifier that names the other side than the base is not guessed at.
      if (side && baseOnly.some((c) => (c.meaning === 'in' || c.meaning === 'out') && c.meaning !== side)) return [];
      return baseOnly;
    }
  }
  return [];
}

/** Direction flags: 借 Dr / 贷 Cr, 收/支, D/C, 来账/往账, +/-. Returns +1 (in), -1 (out) or null. */
export function directionOf(raw: string): 1 | -1 | null {
  const d = raw.replace(PAD, '').toLowerCase();
  if (d === '') return null;
  if (/^(借|支|出|付|往账|d$|dr|debit|dbit|-$)/.test(d)) return -1;
  if (/^(贷|收|入|存|来账|c$|cr|credit|crdt|\+$)/.test(d)) return 1;
  return null;
}

/** Currency names as banks print them, to ISO 4217. */
const CURRENCIES: Record<string, string> = {
  人民币: 'CNY', rmb: 'CNY', cny: 'CNY', '156': 'CNY', 人民币元: 'CNY', 本币: 'CNY',
  美元: 'USD', usd: 'USD', 港币: 'HKD', 港元: 'HKD', hkd: 'HKD', 欧元: 'EUR', eur: 'EUR', 日元: 'JPY', jpy: 'JPY', 英镑: 'GBP', gbp: 'GBP',
};
export function currencyCode(raw: string): string | null {
  const c = raw.replace(PAD, '').toLowerCase().replace(/^(钞|汇)/, '');
  if (c === '' || c === '-') return null;
  return CURRENCIES[c] ?? (/^[a-z]{3}$/.test(c) ? c.toUpperCase() : raw.replace(PAD, '').slice(0, 10));
}

/** Lines below the rows (and page subtotals between them): skipped, never a problem. */
export const FOOTER = /^(#|合计|总计|小计|本页合计|本页小计|累计|人民币合计|[^\d]{0,6}合计|借方笔数|贷方笔数|借方合计|贷方合计|收入合计|支出合计|总笔数|交易笔数|笔数|以上数据仅供参考|具体内容请以|温馨提示|注[:：]|说明[:：]|打印时间|打印日期|打印人|导出时间|下载时间|查询时间|经办|复核|第\d+页|共\d+页|total|subtotal|page\d)/i;

/** Keys of the lines above the header (and below the rows): account, holder, currency, period, balances. */
export type MetaKey = 'account' | 'holder' | 'currency' | 'period' | 'from' | 'to' | 'opening' | 'closing' | 'bank';
const META_KEYS: [MetaKey, string[]][] = [
  ['account', ['卡号', '账号', '帐号', '账户号', '账户号码', '本方账号', '查询账号', '账户', '借记卡号', 'accountnumber', 'accountno', 'account']],
  ['holder', ['户名', '账户名称', '账户名', '客户名称', '单位名称', '客户姓名', '姓名', 'accountname', 'name']],
  ['currency', ['币种', '币别', '货币', 'currency']],
  ['period', ['起止日期', '查询日期', '查询期间', '交易期间', '交易日期', '查询时间段', '日期范围', '对账期间', 'period']],
  ['from', ['起始日期', '开始日期', '起始时间', '开始时间', 'from', 'startdate']],
  ['to', ['终止日期', '结束日期', '截止日期', '终止时间', '结束时间', 'to', 'enddate']],
  ['opening', ['期初余额', '上期余额', '上日余额', '承前余额', 'openingbalance']],
  ['closing', ['期末余额', '本期余额', 'closingbalance']],
  ['bank', ['开户机构', '开户行', '开户网点', '开户银行']],
];
const META_LOOKUP = new Map<string, MetaKey>(META_KEYS.flatMap(([k, names]) => names.map((n) => [n.toLowerCase(), k] as [string, MetaKey])));
const META_RE = new RegExp(`(${[...META_LOOKUP.keys()].sort((a, b) => b.length - a.length).join('|')})[:：]`, 'gi');

/**
 * Key–value pairs of a line above the header or below the rows, as banks print them: "卡号: 1234****9876",
 * ["账　　号：", "6217…"] over two cells, "# 起始日期: [20240101]   终止日期: [20240131]" in one cell.
 */
export function metaPairs(cells: string[]): [MetaKey, string][] {
  const SEP = '\u0001';
  const text = cells.map((c) => c.replace(PAD, '')).join(SEP).replace(/^#+/, '');
  const found: { key: MetaKey; start: number; end: number }[] = [];
  for (const m of text.matchAll(META_RE)) found.push({ key: META_LOOKUP.get(m[1]!.toLowerCase())!, start: m.index!, end: m.index! + m[0].length });
  const out: [MetaKey, string][] = [];
  // "账号","6222…" or "起止日期","2026-10-01","2026-10-31": a key alone in its cell, the value after it.
  if (!found.length) {
    const bare = cells.map((c) => c.replace(PAD, '').toLowerCase());
    const i = bare.findIndex((c) => META_LOOKUP.has(c));
    if (i >= 0) {
      const key = META_LOOKUP.get(bare[i]!)!;
      const rest = cells.slice(i + 1).map((c) => c.trim()).filter((c) => c !== '' && !META_LOOKUP.has(c.replace(PAD, '').toLowerCase()));
      const value = key === 'period' ? rest.join(' ') : (rest[0] ?? '');
      if (value !== '') out.push([key, value.slice(0, 200)]);
    }
    return out;
  }
  found.forEach((f, i) => {
    const seg = text.slice(f.end, i + 1 < found.length ? found[i + 1]!.start : text.length).replace(new RegExp(`^${SEP}+`), '');
    const value = seg.split(SEP)[0]!.replace(/^[\[【(（]|[\]】)）,，;；|]+$/g, '').replace(/[\]】]$/, '');
    if (value !== '') out.push([f.key, value.slice(0, 200)]);
  });
  return out;
}

/** Dates inside a period text: 2026-10-01至2026-10-31, [20261001]-[20261031], 2026年10月1日—2026年10月31日. */
export const PERIOD_DATE = /\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?|(?<!\d)\d{8}(?!\d)/g;

/** The bank of a file, from its title or the signature of its header (for the layout shown; never decisive). */
const BANK_TITLES: [string, RegExp][] = [
  ['ICBC', /工商银行|icbc/i], ['CCB', /建设银行|china construction bank/i], ['BOC', /中国银行|bank of china/i],
  ['ABC', /农业银行|agricultural bank/i], ['CMB', /招商银行|china merchants bank/i], ['BOCOM', /交通银行|bank of communications/i],
  ['PSBC', /邮储银行|邮政储蓄|postal savings/i],
];
const BANK_HEADERS: [string, string[]][] = [
  ['ICBC', ['记账金额(收入)', '记账金额(支出)', '钞/汇']],
  ['CCB', ['记账日', '支出', '收入', '账户余额']],
  ['BOC', ['记账日期', '记账时间', '币别', '金额', '余额', '交易名称']],
  ['ABC', ['交易金额', '本次余额', '对手信息']],
  ['CMB', ['记账日期', '交易金额', '联机余额']],
  ['BOCOM', ['序号', '交易日期', '借贷', '交易金额', '余额']],
];
export function detectBank(preamble: string, header: string[]): string | undefined {
  // The header first: a statement line in the preamble may name another bank (the counterparty's).
  const names = new Set(header.map(normaliseHeader));
  for (const [bank, sig] of BANK_HEADERS) if (sig.every((s) => names.has(normaliseHeader(s)))) return bank;
  for (const [bank, re] of BANK_TITLES) if (re.test(preamble)) return bank;
  return undefined;
}

/** Masked account numbers ("6222****1234") agree with the full number or another mask of it. */
export function accountsAgree(a: string, b: string): boolean {
  const x = a.replace(/[\s-]/g, ''), y = b.replace(/[\s-]/g, '');
  if (x === '' || y === '') return false;
  if (!x.includes('*') && !y.includes('*')) return x === y;
  const parts = (s: string) => {
    const first = s.indexOf('*'), last = s.lastIndexOf('*');
    return first < 0 ? { pre: s, suf: s } : { pre: s.slice(0, first), suf: s.slice(last + 1) };
  };
  const px = parts(x), py = parts(y);
  const pre = px.pre.length < py.pre.length ? [px.pre, py.pre] : [py.pre, px.pre];
  const suf = px.suf.length < py.suf.length ? [px.suf, py.suf] : [py.suf, px.suf];
  return pre[1]!.startsWith(pre[0]!) && suf[1]!.endsWith(suf[0]!) && (px.suf.length + px.pre.length >= 4 || py.suf.length + py.pre.length >= 4);
}
