// Ledger reads: funds, accounts, entries, balances and the statements. Current figures come from the
// maintained balances (ledger_balances); an as-of figure is "current − lines dated after asOf", which reads
// only the few lines after the date, so a balance costs about the same at 1k or 10M lines.
import type { Knex } from 'knex';
import { shanghaiDate } from '../platform/clock';
import type { Db } from '../platform/db';
import { invariant, notFound } from '../platform/errors';
import { Decimal, money, sum } from '../platform/money';
import type { Page } from '../platform/paging';
import { sortedPage, type SortedListQuery, type SortSpec } from '../platform/list-sort';
import {
  AID_PAYABLE, BANK, CASH, DONATION_INCOME, INTERNAL_ACCOUNTS, TRANSFER_IN, TRANSFER_OUT, monthOf, nextMonth,
  decodeAccount, decodeFund, decodeJournalEntry, decodeJournalLine, decodePeriod,
  type Account, type Fund, type FundBalance, type JournalEntry, type JournalLine, type JournalLineRow,
} from './model';
import { type Raw } from '../platform/rows';


// ───────────────────────────── funds and accounts ─────────────────────────────

const fundOf = decodeFund;

export async function getFund(db: Db, code: string): Promise<Fund | undefined> {
  const r = await db('ledger_funds').where({ code }).first();
  return r ? fundOf(r) : undefined;
}

export async function loadFunds(db: Db, codes: string[]): Promise<Map<string, Fund>> {
  const rows = codes.length ? await db('ledger_funds').whereIn('code', codes) : [];
  return new Map(rows.map((r: Raw) => fundOf(r)).map((f) => [f.code, f]));
}

export async function listFunds(db: Db): Promise<Fund[]> {
  return (await db('ledger_funds').orderBy('code')).map(fundOf);
}

export async function listFundsPage(db: Db, q: { limit: number; cursor?: string; parent?: string; district?: string; kind?: string }): Promise<Page<Fund>> {
  const query = db('ledger_funds').orderBy('code').limit(q.limit + 1);
  if (q.cursor) query.where('code', '>', q.cursor);
  if (q.parent) query.where('parent_code', q.parent);
  if (q.district) query.where('district', q.district);
  if (q.kind) query.where('kind', q.kind);
  const rows = (await query).map(fundOf);
  const items = rows.slice(0, q.limit);
  return { items, nextCursor: rows.length > q.limit ? items[items.length - 1]!.code : null };
}

/** The fund and every fund below it. */
export async function fundSubtree(db: Db, code: string): Promise<string[]> {
  const res = await db.raw(
    `WITH RECURSIVE t AS (SELECT code FROM ledger_funds WHERE code = ? UNION ALL SELECT f.code FROM ledger_funds f JOIN t ON f.parent_code = t.code) SELECT code FROM t ORDER BY code`,
    [code],
  );
  return res.rows.map((r: { code: string }) => r.code);
}

let accountCache: Map<string, Account> | undefined;
/** The chart of accounts is reference data from the migrations: read once per process. */
export async function knownAccounts(db: Db): Promise<Map<string, Account>> {
  if (!accountCache) {
    const rows = await db('ledger_accounts').orderBy('sort');
    accountCache = new Map(rows.map(decodeAccount).map((a) => [a.code, a]));
  }
  return accountCache;
}

export async function listAccounts(db: Db): Promise<Account[]> {
  return [...(await knownAccounts(db)).values()];
}

// ───────────────────────────── entries ─────────────────────────────

const lineOf = (r: JournalLineRow): JournalLine => ({
  id: r.id, lineNo: r.line_no, account: r.account, fund: r.fund,
  debit: Number(r.debit) > 0 ? r.debit : null, credit: Number(r.credit) > 0 ? r.credit : null,
  memo: r.memo, householdId: r.household_id, aidCaseId: r.aid_case_id,
});

async function entriesWithLines(db: Db, raw: Raw[]): Promise<JournalEntry[]> {
  if (!raw.length) return [];
  const rows = raw.map(decodeJournalEntry);
  const ids = rows.map((r) => r.id);
  const lines = await db('journal_lines').whereIn('entry_id', ids).orderBy(['entry_id', 'line_no']);
  const reversals = await db('ledger_reversals').whereIn('original_id', ids).select('original_id', 'reversal_id');
  const reversedBy = new Map(reversals.map((r: Raw) => [Number(r.original_id), Number(r.reversal_id)]));
  const byEntry = new Map<number, JournalLine[]>();
  for (const l of lines.map(decodeJournalLine)) {
    if (!byEntry.has(l.entry_id)) byEntry.set(l.entry_id, []);
    byEntry.get(l.entry_id)!.push(lineOf(l));
  }
  return rows.map((r) => ({
    id: r.id, number: r.number, date: r.date, description: r.description, source: r.source, sourceRef: r.source_ref,
    reversesId: r.reverses_id, reversedById: reversedBy.get(r.id) ?? null,
    createdBy: r.created_by, createdAt: r.created_at.toISOString(), lines: byEntry.get(r.id) ?? [],
  }));
}

export async function getEntry(db: Db, id: number): Promise<JournalEntry | undefined> {
  const rows = await db('journal_entries').where({ id });
  return (await entriesWithLines(db, rows))[0];
}

export interface EntryQuery extends SortedListQuery {
  fund?: string;
  account?: string;
  from?: string;
  to?: string;
  source?: string;
  /** Part of the entry number or description. */
  q?: string;
}

/** GET /journal-entries?sort=: the columns a list may be sorted by (src/platform/list-sort.ts). */
export const ENTRY_SORTS: SortSpec = {
  id: { expr: 'e.id', type: 'bigint' },
  date: { expr: 'e.date', type: 'date' },
  number: { expr: 'e.number', type: 'text' },
  source: { expr: 'e.source', type: 'text' },
  createdAt: { expr: 'e.created_at', type: 'timestamptz' },
};

/** Newest first; the cursor is the last id of the page (or, with sort=, a sorted-list cursor). */
export async function listEntries(db: Db, q: EntryQuery): Promise<Page<JournalEntry> & { total?: number }> {
  const query = db('journal_entries as e').select('e.*');
  if (q.from) query.where('e.date', '>=', q.from);
  if (q.to) query.where('e.date', '<=', q.to);
  if (q.source) query.where('e.source', q.source);
  if (q.q) {
    const like = `%${q.q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query.where((w) => w.whereRaw(`e.number ILIKE ? ESCAPE '\\'`, [like]).orWhereRaw(`e.description ILIKE ? ESCAPE '\\'`, [like]));
  }
  if (q.fund || q.account) {
    query.whereExists(function (this: Knex.QueryBuilder) {
      this.select(db.raw('1')).from('journal_lines as l').whereRaw('l.entry_id = e.id');
      if (q.fund) this.where('l.fund', q.fund);
      if (q.account) this.where('l.account', q.account);
    });
  }
  const page = await sortedPage<Raw>(db, query, { spec: ENTRY_SORTS, sort: q.sort, cursor: q.cursor, limit: q.limit, withTotal: q.withTotal, idColumn: 'e.id' });
  return { ...page, items: await entriesWithLines(db, page.items) };
}

// ───────────────────────────── balances ─────────────────────────────

interface Net {
  account: string;
  fund: string;
  /** debit − credit */
  net: Decimal;
}

/**
 * Net (debit − credit) per (account, fund) as of the end of a date: the maintained balance minus the lines
 * dated after it. `funds` narrows to some funds, `accounts` to some accounts.
 */
export async function balancesAsOf(db: Db, asOf: string, opts: { funds?: string[]; accounts?: string[] } = {}): Promise<Net[]> {
  const current = db('ledger_balances').select('account', 'fund', db.raw('debit_total - credit_total AS net'));
  const later = db('journal_lines').select('account', 'fund', db.raw('sum(debit) - sum(credit) AS net')).where('date', '>', asOf).groupBy('account', 'fund');
  if (opts.funds) {
    current.whereIn('fund', opts.funds);
    later.whereIn('fund', opts.funds);
  }
  if (opts.accounts) {
    current.whereIn('account', opts.accounts);
    later.whereIn('account', opts.accounts);
  }
  // One after the other: inside a transaction both share one connection.
  const rows = await current;
  const laterRows = await later;
  const out = new Map<string, Net>();
  for (const r of rows) out.set(`${r.account}\u0000${r.fund}`, { account: r.account, fund: r.fund, net: new Decimal(r.net) });
  for (const r of laterRows) {
    const k = `${r.account}\u0000${r.fund}`;
    const cur = out.get(k) ?? { account: r.account, fund: r.fund, net: new Decimal(0) };
    cur.net = cur.net.minus(r.net);
    out.set(k, cur);
  }
  return [...out.values()];
}

/**
 * Cash, bank, open aid payables (2209 lines tagged to an aid case) and available = cash + bank − payables.
 * lock: true (inside a transaction) locks the fund's 1001 and 1002 balance rows in the order postings do,
 * so a check-then-post (aid payment) cannot be overtaken.
 */
export async function fundBalance(db: Db, fundCode: string, opts: { asOf?: string; lock?: boolean } = {}): Promise<FundBalance> {
  const fund = await getFund(db, fundCode);
  if (!fund) throw notFound(`fund ${fundCode}`);
  const asOf = opts.asOf ?? shanghaiDate();
  if (opts.lock) {
    await db.raw(`SELECT 1 FROM ledger_balances WHERE fund = ? AND account IN (?, ?) ORDER BY account, fund FOR UPDATE`, [fundCode, CASH, BANK]);
  }
  const nets = await balancesAsOf(db, asOf, { funds: [fundCode], accounts: [CASH, BANK] });
  const payable = await db.raw(`SELECT coalesce(sum(credit) - sum(debit), 0) AS v FROM journal_lines WHERE fund = ? AND account = ? AND aid_case_id IS NOT NULL AND date <= ?`, [fundCode, AID_PAYABLE, asOf]);
  const cash = nets.find((n) => n.account === CASH)?.net ?? new Decimal(0);
  const bank = nets.find((n) => n.account === BANK)?.net ?? new Decimal(0);
  const aidPayable = new Decimal(payable.rows[0].v);
  return { fund: fundCode, asOf, cash: money(cash), bank: money(bank), aidPayable: money(aidPayable), available: money(cash.plus(bank).minus(aidPayable)) };
}

// ───────────────────────────── statements ─────────────────────────────

async function scopeFunds(db: Db, fund: string | undefined, subtree: boolean | undefined): Promise<string[] | undefined> {
  if (!fund) return undefined;
  if (!(await getFund(db, fund))) throw notFound(`fund ${fund}`);
  return subtree ? fundSubtree(db, fund) : [fund];
}

export async function trialBalance(db: Db, q: { asOf?: string; fund?: string; subtree?: boolean }) {
  const asOf = q.asOf ?? shanghaiDate();
  const funds = await scopeFunds(db, q.fund, q.subtree);
  const accounts = await knownAccounts(db);
  const nets = (await balancesAsOf(db, asOf, { funds })).filter((n) => !n.net.isZero());
  nets.sort((a, b) => (a.account === b.account ? (a.fund < b.fund ? -1 : 1) : a.account < b.account ? -1 : 1));
  let debit = new Decimal(0);
  let credit = new Decimal(0);
  const rows = nets.map((n) => {
    const a = accounts.get(n.account)!;
    if (n.net.isPositive()) debit = debit.plus(n.net);
    else credit = credit.minus(n.net);
    return {
      account: n.account, accountNameZh: a.nameZh, accountNameEn: a.nameEn, fund: n.fund,
      debit: money(n.net.isPositive() ? n.net : 0), credit: money(n.net.isNegative() ? n.net.negated() : 0),
    };
  });
  // Each entry balances per fund, so the whole ledger and every fund must balance: if not, it is a bug.
  invariant(debit.eq(credit), `trial balance as of ${asOf} does not balance: ${debit} ≠ ${credit}`);
  return { asOf, fund: q.fund ?? null, rows, totals: { debit: money(debit), credit: money(credit) } };
}

export async function financialPosition(db: Db, q: { asOf?: string; fund?: string; subtree?: boolean }) {
  const asOf = q.asOf ?? shanghaiDate();
  const funds = await scopeFunds(db, q.fund, q.subtree);
  const accounts = await knownAccounts(db);
  const byAccount = new Map<string, Decimal>();
  for (const n of await balancesAsOf(db, asOf, { funds })) byAccount.set(n.account, (byAccount.get(n.account) ?? new Decimal(0)).plus(n.net));
  const section = (type: string, sign: 1 | -1) =>
    [...accounts.values()]
      .filter((a) => a.type === type && byAccount.has(a.code) && !byAccount.get(a.code)!.isZero())
      .map((a) => ({ account: a.code, nameZh: a.nameZh, nameEn: a.nameEn, amount: money(byAccount.get(a.code)!.times(sign)) }));
  const total = (rows: { amount: string }[]) => rows.reduce((s, r) => s.plus(r.amount), new Decimal(0));
  const assets = section('asset', 1);
  const liabilities = section('liability', -1);
  const netAssets = section('net_assets', -1);
  // Income and expenses not yet closed into net assets: the surplus (结余) of the open books.
  let surplus = new Decimal(0);
  for (const a of accounts.values()) if ((a.type === 'income' || a.type === 'expense') && byAccount.has(a.code)) surplus = surplus.minus(byAccount.get(a.code)!);
  if (!surplus.isZero()) netAssets.push({ account: 'surplus', nameZh: '本期结余', nameEn: 'Surplus not yet closed', amount: money(surplus) });
  const totals = { assets: money(total(assets)), liabilities: money(total(liabilities)), netAssets: money(total(netAssets)), liabilitiesAndNetAssets: money(total(liabilities).plus(total(netAssets))) };
  invariant(totals.assets === totals.liabilitiesAndNetAssets, `financial position as of ${asOf} does not balance`);
  return { asOf, fund: q.fund ?? null, assets, liabilities, netAssets, totals };
}

/**
 * Income and expenses by account for a date range. Per fund, inter-fund transfers (4902/5402) are shown;
 * consolidated (no fund, or a fund with subtree), transfers between the consolidated funds cancel and are
 * eliminated (reported under `eliminated`), and a per-fund summary is added.
 */
export async function statementOfActivities(db: Db, q: { from: string; to: string; fund?: string; subtree?: boolean }) {
  const funds = await scopeFunds(db, q.fund, q.subtree);
  const consolidated = !q.fund || !!q.subtree;
  const accounts = await knownAccounts(db);
  const query = db('journal_lines').select('account', 'fund', db.raw('sum(credit) - sum(debit) AS net')).whereBetween('date', [q.from, q.to]).groupBy('account', 'fund');
  if (funds) query.whereIn('fund', funds);
  const rows = (await query) as { account: string; fund: string; net: string }[];
  const byAccount = new Map<string, Decimal>();
  const byFund = new Map<string, { income: Decimal; expenses: Decimal }>();
  for (const r of rows) {
    const a = accounts.get(r.account)!;
    if (a.type !== 'income' && a.type !== 'expense') continue;
    const net = new Decimal(r.net);
    const f = byFund.get(r.fund) ?? { income: new Decimal(0), expenses: new Decimal(0) };
    if (a.type === 'income') f.income = f.income.plus(net);
    else f.expenses = f.expenses.minus(net);
    byFund.set(r.fund, f);
    byAccount.set(r.account, (byAccount.get(r.account) ?? new Decimal(0)).plus(net));
  }
  const eliminated = { transfersIn: money(byAccount.get('4902') ?? 0), transfersOut: money((byAccount.get('5402') ?? new Decimal(0)).negated()) };
  const lines = (type: string) =>
    [...accounts.values()]
      .filter((a) => a.type === type && byAccount.has(a.code) && !(consolidated && INTERNAL_ACCOUNTS.includes(a.code)))
      .map((a) => ({ account: a.code, nameZh: a.nameZh, nameEn: a.nameEn, amount: money(type === 'income' ? byAccount.get(a.code)! : byAccount.get(a.code)!.negated()) }))
      .filter((r) => r.amount !== '0.00');
  const income = lines('income');
  const expenses = lines('expense');
  const totalIncome = income.reduce((s, r) => s.plus(r.amount), new Decimal(0));
  const totalExpenses = expenses.reduce((s, r) => s.plus(r.amount), new Decimal(0));
  return {
    from: q.from, to: q.to, fund: q.fund ?? null, consolidated,
    income, expenses, totals: { income: money(totalIncome), expenses: money(totalExpenses), surplus: money(totalIncome.minus(totalExpenses)) },
    ...(consolidated
      ? {
          eliminated,
          byFund: [...byFund.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([fund, v]) => ({ fund, income: money(v.income), expenses: money(v.expenses), surplus: money(v.income.minus(v.expenses)) })),
        }
      : {}),
  };
}

// ───────────────────────────── periods ─────────────────────────────

export async function listPeriods(db: Db, q: { year?: number; limit: number; cursor?: string }) {
  const state = await db('ledger_period_state').where({ id: 1 }).first();
  const closedThrough: string | null = state?.closed_through ?? null;
  const closedRows = new Map((await db('ledger_periods')).map(decodePeriod).map((r) => [r.period, r]));
  const range = await db('journal_entries').min('date as first').max('date as last').first();
  const current = monthOf(shanghaiDate());
  const firstCandidates = [current, range?.first ? monthOf(range.first) : current, ...closedRows.keys()];
  let m = firstCandidates.sort()[0]!;
  const last = [current, range?.last ? monthOf(range.last) : current].sort().at(-1)!;
  if (q.year) m = m < `${q.year}-01` ? `${q.year}-01` : m;
  if (q.cursor && q.cursor >= m) m = nextMonth(q.cursor);
  const items: { period: string; status: 'open' | 'closed'; closedAt: string | null; closedBy: string | null }[] = [];
  while (m <= last && items.length <= q.limit && (!q.year || m <= `${q.year}-12`)) {
    const row = closedRows.get(m);
    const closed = !!closedThrough && m <= closedThrough;
    items.push({ period: m, status: closed ? 'closed' : 'open', closedAt: row ? new Date(row.closed_at).toISOString() : null, closedBy: row?.closed_by ?? null });
    m = nextMonth(m);
  }
  const page = items.slice(0, q.limit);
  return { items: page, nextCursor: items.length > q.limit ? page[page.length - 1]!.period : null, closedThrough, firstOpen: closedThrough ? nextMonth(closedThrough) : null };
}

// ───────────────────────────── contracts for other domains ─────────────────────────────

/**
 * Aid paid to each household: the money that left cash and bank (1001/1002) on relief entries tagged with the
 * household, net of what came back (a bank's returned transfer, a reversal). One rule for case-by-case aid
 * (its payment: Dr 2209 / Cr 1002) and campaigns (Dr 5101 / Cr 1002, a returned line Dr 1002 / Cr 2209, paid
 * again Dr 2209 / Cr 1002); loans are not relief and are not counted.
 */
export async function aidPaidByHousehold(db: Db, householdIds: number[], from?: string, to?: string): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  if (!householdIds.length) return out;
  const q = db('journal_lines as l').join('journal_entries as e', 'e.id', 'l.entry_id')
    .select('l.household_id', db.raw('sum(l.credit) - sum(l.debit) AS paid'))
    .whereIn('l.account', [CASH, BANK]).whereIn('l.household_id', householdIds).whereIn('e.source', ['aid', 'reversal'])
    .groupBy('l.household_id');
  if (from) q.where('l.date', '>=', from);
  if (to) q.where('l.date', '<=', to);
  for (const r of await q) if (new Decimal(r.paid).gt(0)) out.set(Number(r.household_id), money(r.paid));
  return out;
}

export interface BankLine {
  lineId: number;
  entryId: number;
  entryNumber: string;
  date: string;
  /** signed: + into the bank (debit 1002), − out */
  amount: string;
  description: string;
  memo: string | null;
  sourceRef: string | null;
  reversed: boolean;
}

/** A row of the bankLines query: a 1002 line with its entry and whether it was reversed (or reverses). */
const bankLineOf = (r: Raw): BankLine => ({
  lineId: Number(r.id), entryId: Number(r.entry_id), entryNumber: String(r.number), date: String(r.date),
  amount: money(new Decimal(String(r.debit)).minus(String(r.credit))), description: String(r.description),
  memo: r.memo == null ? null : String(r.memo), sourceRef: r.source_ref == null ? null : String(r.source_ref),
  reversed: r.reversal_id !== null || r.source === 'reversal',
});

export async function bankLines(db: Db, fundCode: string, from: string, to: string): Promise<BankLine[]> {
  const rows = await db('journal_lines as l')
    .join('journal_entries as e', 'e.id', 'l.entry_id')
    .leftJoin('ledger_reversals as r', 'r.original_id', 'e.id')
    .select('l.id', 'l.entry_id', 'e.number', 'l.date', 'l.debit', 'l.credit', 'e.description', 'l.memo', 'e.source_ref', 'e.source', 'r.reversal_id')
    .where({ 'l.fund': fundCode, 'l.account': BANK })
    .whereBetween('l.date', [from, to])
    .orderBy(['l.date', 'l.id']);
  return rows.map(bankLineOf);
}

export async function bankBalanceAsOf(db: Db, fundCode: string, date: string): Promise<string> {
  const nets = await balancesAsOf(db, date, { funds: [fundCode], accounts: [BANK] });
  return money(nets[0]?.net ?? 0);
}

export interface StatementAccountLine {
  account: string;
  nameZh: string;
  nameEn: string;
  /** The account's movement in the period on its normal side: income credits − debits, expense debits − credits. */
  amount: string;
}

export interface FundStatementRow {
  fund: string;
  /** Cash (1001) + bank (1002) at the end of the day before `from`, and at the end of `to`. */
  opening: string;
  closing: string;
  /** Every income and expense account that moved, each on its own line: never netted against another. */
  income: StatementAccountLine[];
  expenses: StatementAccountLine[];
  totalIncome: string;
  totalExpenses: string;
  /** totalIncome − totalExpenses. */
  surplus: string;
  /** Cash and bank debits and credits of the period (gross): closing = opening + receipts − payments. */
  receipts: string;
  payments: string;
  /** closing − opening − surplus: what moved through other assets and liabilities (aid committed not yet paid, receivables…). */
  otherBalanceChanges: string;
  /** Convenience figures, also inside the account lines: donations (4101) and aid paid out (2209 debits tagged to a case). */
  donations: string;
  aidPaid: string;
}

export interface FundStatement {
  fund: string;
  from: string;
  to: string;
  funds: FundStatementRow[];
  /** The subtree consolidated: transfers between its own funds are eliminated (see `eliminatedTransfers`). */
  total: FundStatementRow;
  eliminatedTransfers: string;
}

/**
 * Per fund of the subtree and for the subtree: opening and closing cash + bank, the period's income and
 * expenses by account of the NPO chart (gross: each account its own line, as the trial balance has them),
 * cash and bank receipts and payments, and the surplus. Each fund's figures tie to the trial balance of that
 * fund: an account's amount is its balance at `to` less its balance the day before `from`.
 */
export async function fundStatement(db: Db, fundCode: string, from: string, to: string): Promise<FundStatement> {
  const funds = await fundSubtree(db, fundCode);
  if (!funds.length) throw notFound(`fund ${fundCode}`);
  const accounts = await knownAccounts(db);
  const dayBefore = new Date(`${from}T00:00:00Z`);
  dayBefore.setUTCDate(dayBefore.getUTCDate() - 1);
  const opening = await balancesAsOf(db, dayBefore.toISOString().slice(0, 10), { funds, accounts: [CASH, BANK] });
  const closing = await balancesAsOf(db, to, { funds, accounts: [CASH, BANK] });
  const moves = (await db('journal_lines')
    .select('fund', 'account', db.raw('sum(debit) AS d'), db.raw('sum(credit) AS c'), db.raw('sum(debit) FILTER (WHERE aid_case_id IS NOT NULL) AS aid_d'))
    .whereIn('fund', funds).whereBetween('date', [from, to]).groupBy('fund', 'account')) as { fund: string; account: string; d: string; c: string; aid_d: string | null }[];
  // Transfers between two funds of the subtree: the 4902 side of entries whose 5402 side is in the subtree too.
  const internal = await db.raw(
    `SELECT coalesce(sum(l.credit - l.debit), 0) AS v FROM journal_lines l
      WHERE l.account = ? AND l.fund = ANY(?) AND l.date BETWEEN ? AND ?
        AND EXISTS (SELECT 1 FROM journal_lines o WHERE o.entry_id = l.entry_id AND o.account = ? AND o.fund = ANY(?))`,
    [TRANSFER_IN, funds, from, to, TRANSFER_OUT, funds],
  );
  const eliminated = new Decimal(internal.rows[0].v);

  interface Acc { opening: Decimal; closing: Decimal; receipts: Decimal; payments: Decimal; aidPaid: Decimal; byAccount: Map<string, Decimal> }
  const blank = (): Acc => ({ opening: new Decimal(0), closing: new Decimal(0), receipts: new Decimal(0), payments: new Decimal(0), aidPaid: new Decimal(0), byAccount: new Map() });
  const perFund = new Map(funds.map((f) => [f, blank()]));
  const total = blank();
  const add = (a: Acc, key: 'opening' | 'closing' | 'receipts' | 'payments' | 'aidPaid', v: Decimal) => { a[key] = a[key].plus(v); };
  const addAccount = (a: Acc, account: string, v: Decimal) => a.byAccount.set(account, (a.byAccount.get(account) ?? new Decimal(0)).plus(v));
  for (const n of opening) for (const a of [perFund.get(n.fund)!, total]) add(a, 'opening', n.net);
  for (const n of closing) for (const a of [perFund.get(n.fund)!, total]) add(a, 'closing', n.net);
  for (const m of moves) {
    const d = new Decimal(m.d);
    const c = new Decimal(m.c);
    const type = accounts.get(m.account)!.type;
    for (const a of [perFund.get(m.fund)!, total]) {
      if (m.account === CASH || m.account === BANK) {
        add(a, 'receipts', d);
        add(a, 'payments', c);
      } else if (type === 'income') addAccount(a, m.account, c.minus(d));
      else if (type === 'expense') addAccount(a, m.account, d.minus(c));
      if (m.account === AID_PAYABLE && m.aid_d) add(a, 'aidPaid', new Decimal(m.aid_d));
    }
  }
  // Consolidated, a transfer inside the subtree is neither income nor expense, nor a receipt or payment.
  addAccount(total, TRANSFER_IN, eliminated.negated());
  addAccount(total, TRANSFER_OUT, eliminated.negated());
  total.receipts = total.receipts.minus(eliminated);
  total.payments = total.payments.minus(eliminated);

  const row = (fund: string, a: Acc): FundStatementRow => {
    const section = (type: 'income' | 'expense') =>
      [...accounts.values()]
        .filter((x) => x.type === type && a.byAccount.has(x.code) && !a.byAccount.get(x.code)!.isZero())
        .map((x) => ({ account: x.code, nameZh: x.nameZh, nameEn: x.nameEn, amount: money(a.byAccount.get(x.code)!) }));
    const income = section('income');
    const expenses = section('expense');
    const totalIncome = sum(income.map((l) => l.amount));
    const totalExpenses = sum(expenses.map((l) => l.amount));
    const surplus = totalIncome.minus(totalExpenses);
    invariant(a.opening.plus(a.receipts).minus(a.payments).eq(a.closing), `fund statement of ${fund}: opening + receipts − payments ≠ closing`);
    return {
      fund, opening: money(a.opening), closing: money(a.closing), income, expenses,
      totalIncome: money(totalIncome), totalExpenses: money(totalExpenses), surplus: money(surplus),
      receipts: money(a.receipts), payments: money(a.payments), otherBalanceChanges: money(a.closing.minus(a.opening).minus(surplus)),
      donations: money(a.byAccount.get(DONATION_INCOME) ?? 0), aidPaid: money(a.aidPaid),
    };
  };
  return { fund: fundCode, from, to, funds: funds.map((f) => row(f, perFund.get(f)!)), total: row(fundCode, total), eliminatedTransfers: money(eliminated) };
}
