// The ledger's words as types, and the pure rules that need no database (balance per fund, period months).
import { Decimal, sum } from '../platform/money';
import { type Raw, str, strOrNull, numOrNull, date } from '../platform/rows';

export const FUND_KINDS = ['foundation', 'district', 'enterprise_group', 'institution'] as const;
export type FundKind = (typeof FUND_KINDS)[number];

export const SOURCES = ['manual', 'donation', 'allocation', 'aid', 'reversal', 'closing', 'loan'] as const;
export type Source = (typeof SOURCES)[number];

export type AccountType = 'asset' | 'liability' | 'net_assets' | 'income' | 'expense';

/** The accounts whose balance in a fund may never go below zero ("no overdraft", docs/api.md). */
export const CASH = '1001';
export const BANK = '1002';
export const NO_OVERDRAFT_ACCOUNTS: readonly string[] = [CASH, BANK];
export const AID_PAYABLE = '2209';
export const DONATION_INCOME = '4101';
export const TRANSFER_IN = '4902';
export const TRANSFER_OUT = '5402';
/** Inter-fund transfers: eliminated when funds are consolidated. */
export const INTERNAL_ACCOUNTS: readonly string[] = [TRANSFER_IN, TRANSFER_OUT];

/** Input limits (a stranger may send anything; every list and string has a maximum). */
export const LIMITS = { lines: 200, description: 500, memo: 500, sourceRef: 100, reason: 500, fundName: 100, fundNameEn: 200, donorName: 200 } as const;

export const FUND_CODE = /^[A-Z0-9]{1,16}(-[A-Z0-9]{1,16}){0,3}$/;
/** A bank account as banks print it: letters and digits, spaces, "-" and "/" between them, at most 64. */
export const BANK_ACCOUNT = /^[A-Za-z0-9](?:[A-Za-z0-9 /-]{0,62}[A-Za-z0-9])?$/;

export interface Fund {
  code: string;
  nameZh: string;
  nameEn: string;
  kind: FundKind;
  parentCode: string | null;
  district: string | null;
  restricted: boolean;
  /** The fund's bank account (IBAN or account number as the bank writes it), to pick its statement in a bank file. */
  bankAccount: string | null;
}

export interface Account {
  code: string;
  nameZh: string;
  nameEn: string;
  type: AccountType;
  normalSide: 'debit' | 'credit';
}

export interface LineInput {
  account: string;
  fund: string;
  debit?: string;
  credit?: string;
  memo?: string;
  householdId?: number;
  aidCaseId?: number;
}

export interface EntryInput {
  date: string;
  description: string;
  source: Source;
  sourceRef?: string;
  lines: LineInput[];
}

export interface JournalLine {
  id: number;
  lineNo: number;
  account: string;
  fund: string;
  debit: string | null;
  credit: string | null;
  memo: string | null;
  householdId: number | null;
  aidCaseId: number | null;
}

export interface JournalEntry {
  id: number;
  number: string;
  date: string;
  description: string;
  source: Source;
  sourceRef: string | null;
  /** The entry this one reverses (for source 'reversal'). */
  reversesId: number | null;
  /** The entry that reversed this one, if any. */
  reversedById: number | null;
  createdBy: string;
  createdAt: string;
  lines: JournalLine[];
}

export interface FundBalance {
  fund: string;
  asOf: string;
  cash: string;
  bank: string;
  aidPayable: string;
  available: string;
}

/** Signed change per (account, fund) of a set of lines: debit − credit. */
export function netByKey(lines: { account: string; fund: string; debit?: string; credit?: string }[]) {
  const out = new Map<string, { account: string; fund: string; debit: Decimal; credit: Decimal }>();
  for (const l of lines) {
    const k = `${l.account}\u0000${l.fund}`;
    const cur = out.get(k) ?? { account: l.account, fund: l.fund, debit: new Decimal(0), credit: new Decimal(0) };
    if (l.debit) cur.debit = cur.debit.plus(l.debit);
    if (l.credit) cur.credit = cur.credit.plus(l.credit);
    out.set(k, cur);
  }
  return [...out.values()];
}

/** The first fund in which debits ≠ credits, with the difference (debits − credits), or null. */
export function unbalancedFund(lines: { fund: string; debit?: string; credit?: string }[]): { fund: string; difference: Decimal } | null {
  const byFund = new Map<string, Decimal>();
  for (const l of lines) byFund.set(l.fund, (byFund.get(l.fund) ?? new Decimal(0)).plus(l.debit ?? 0).minus(l.credit ?? 0));
  for (const [fund, diff] of [...byFund.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) if (!diff.isZero()) return { fund, difference: diff };
  return null;
}

export const totalDebits = (lines: { debit?: string }[]) => sum(lines.map((l) => l.debit ?? 0));

/** '2026-03-15' → '2026-03'. */
export const monthOf = (date: string) => date.slice(0, 7);
export function nextMonth(period: string) {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}
export function prevMonth(period: string) {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

// Rows as the code sees them: each table's row type, decoded once from what the driver returns
// (NUMERIC → string, DATE → 'YYYY-MM-DD' string, BIGINT → number, timestamptz → Date; src/platform/db.ts).


/** ledger_funds as the Fund the code uses. */
export const decodeFund = (r: Raw): Fund => ({
  code: str(r.code), nameZh: str(r.name_zh), nameEn: str(r.name_en), kind: str(r.kind) as FundKind, parentCode: strOrNull(r.parent_code),
  district: strOrNull(r.district), restricted: Boolean(r.restricted), bankAccount: strOrNull(r.bank_account),
});

/** ledger_accounts as the Account the code uses. */
export const decodeAccount = (r: Raw): Account => ({
  code: str(r.code), nameZh: str(r.name_zh), nameEn: str(r.name_en), type: str(r.type) as AccountType, normalSide: r.normal_side === 'credit' ? 'credit' : 'debit',
});

export interface JournalEntryRow {
  id: number;
  number: string;
  date: string;
  description: string;
  source: Source;
  source_ref: string | null;
  reverses_id: number | null;
  created_by: string;
  created_at: Date;
}

export const decodeJournalEntry = (r: Raw): JournalEntryRow => ({
  id: Number(r.id), number: str(r.number), date: str(r.date), description: str(r.description), source: str(r.source) as Source,
  source_ref: strOrNull(r.source_ref), reverses_id: numOrNull(r.reverses_id), created_by: str(r.created_by), created_at: date(r.created_at),
});

export interface JournalLineRow {
  id: number;
  entry_id: number;
  line_no: number;
  date: string;
  account: string;
  fund: string;
  debit: string;
  credit: string;
  memo: string | null;
  household_id: number | null;
  aid_case_id: number | null;
}

export const decodeJournalLine = (r: Raw): JournalLineRow => ({
  id: Number(r.id), entry_id: Number(r.entry_id), line_no: Number(r.line_no), date: str(r.date), account: str(r.account), fund: str(r.fund),
  debit: str(r.debit), credit: str(r.credit), memo: strOrNull(r.memo), household_id: numOrNull(r.household_id), aid_case_id: numOrNull(r.aid_case_id),
});

/** ledger_periods: a month closed, by whom and when. */
export interface PeriodRow {
  period: string;
  closed_by: string;
  closed_at: Date;
}

export const decodePeriod = (r: Raw): PeriodRow => ({ period: str(r.period), closed_by: str(r.closed_by), closed_at: date(r.closed_at) });
