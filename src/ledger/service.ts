// Ledger writes: funds, postings (with reversals, donations and allocations on top) and period closing.
// Every write runs in the caller's transaction and appends its audit row last (appendAudit takes the chain lock).
import type { Knex } from 'knex';
import { appendAudit, type AuditEntry, type LockedAuditHead } from '../audit';
import { clock, shanghaiDate } from '../platform/clock';
import type { Db } from '../platform/db';
import { AppError, badRequest, conflict, invalidState, invariant, notFound, unprocessable } from '../platform/errors';
import { maskName } from '../platform/masking';
import { countPostingsOnCommit } from '../platform/metrics';
import { Decimal, money } from '../platform/money';
import {
  BANK, BANK_ACCOUNT, DONATION_INCOME, FUND_CODE, LIMITS, SOURCES, TRANSFER_IN, TRANSFER_OUT,
  monthOf, nextMonth, totalDebits, unbalancedFund,
  type EntryInput, type Fund, type FundKind, type JournalEntry,
} from './model';
import { getEntry, getFund, knownAccounts, loadFunds } from './queries';

const AMOUNT = /^(0|[1-9]\d{0,15})(\.\d{1,2})?$/;

// ───────────────────────────── funds ─────────────────────────────

export interface NewFund {
  code: string;
  nameZh: string;
  nameEn: string;
  kind: FundKind;
  parentCode?: string | null;
  district?: string | null;
  restricted?: boolean;
  bankAccount?: string | null;
}

/**
 * Creates a fund in the tree: a foundation is a root; a district fund hangs under a foundation; enterprise-group
 * and institution funds hang under a district fund or the foundation (and take its district if none is given).
 * The fund's balance rows (one per account) are created with it, so postings only ever lock existing rows.
 */
export async function createFund(trx: Knex.Transaction, actor: string, input: NewFund): Promise<Fund> {
  if (!FUND_CODE.test(input.code)) throw badRequest('the fund code must be upper-case letters and digits in up to four parts joined by "-", e.g. "WF-CY"');
  let parent: Fund | undefined;
  if (input.kind === 'foundation') {
    if (input.parentCode) throw badRequest('a foundation fund is a root: it has no parentCode', [{ in: 'body', path: 'parentCode', message: 'must be empty for kind foundation' }]);
  } else {
    if (!input.parentCode) throw badRequest(`a ${input.kind} fund needs a parentCode`, [{ in: 'body', path: 'parentCode', message: 'is required' }]);
    parent = await getFund(trx, input.parentCode);
    if (!parent) throw badRequest(`unknown parent fund ${input.parentCode}`, [{ in: 'body', path: 'parentCode', message: 'unknown fund' }]);
    if (input.kind === 'district' && parent.kind !== 'foundation') throw badRequest('a district fund hangs directly under a foundation fund');
    if (input.kind !== 'district' && parent.kind !== 'foundation' && parent.kind !== 'district') {
      throw badRequest('enterprise-group and institution funds hang under a district or foundation fund');
    }
  }
  const district = input.district ?? parent?.district ?? null;
  if (input.kind === 'district' && !district) throw badRequest('a district fund needs a district', [{ in: 'body', path: 'district', message: 'is required' }]);
  if (district && !(await trx('districts').where({ code: district }).first())) {
    throw badRequest(`unknown district ${district}`, [{ in: 'body', path: 'district', message: 'unknown district' }]);
  }
  const inserted = await trx('ledger_funds')
    .insert({
      code: input.code, name_zh: input.nameZh, name_en: input.nameEn, kind: input.kind, parent_code: parent?.code ?? null,
      district, restricted: input.restricted ?? false, bank_account: bankAccountOf(input.bankAccount), created_by: actor, created_at: clock.now(),
    })
    .onConflict('code').ignore().returning('code');
  if (inserted.length === 0) throw conflict('duplicate_fund', `a fund with code ${input.code} already exists`, { code: input.code });
  await trx.raw(`INSERT INTO ledger_balances (account, fund) SELECT code, ? FROM ledger_accounts ORDER BY code`, [input.code]);
  const fund = (await getFund(trx, input.code))!;
  await appendAudit(trx, { actor, action: 'ledger.fund_created', subject: `fund:${fund.code}`, publicPayload: { ...fund }, privatePayload: {} });
  return fund;
}

/** The bank account as stored: trimmed, inner spaces folded; empty is none. */
function bankAccountOf(raw: string | null | undefined): string | null {
  const s = (raw ?? '').trim().replace(/\s+/g, ' ');
  if (s === '') return null;
  if (!BANK_ACCOUNT.test(s)) throw badRequest('the bank account must be letters and digits (spaces, "-" and "/" between them), at most 64', [{ in: 'body', path: 'bankAccount', message: 'is not a bank account number' }]);
  return s;
}

/** PATCH /funds/:code: sets or clears the fund's bank account (the one thing of a fund that may change). */
export async function setFundBankAccount(trx: Knex.Transaction, actor: string, code: string, bankAccount: string | null): Promise<Fund> {
  const before = await trx('ledger_funds').where({ code }).forUpdate().first('bank_account');
  if (!before) throw notFound(`fund ${code}`);
  const value = bankAccountOf(bankAccount);
  await trx('ledger_funds').where({ code }).update({ bank_account: value });
  const fund = (await getFund(trx, code))!;
  await appendAudit(trx, {
    actor, action: 'ledger.fund_bank_account_set', subject: `fund:${code}`,
    publicPayload: { fund: code, bankAccount: value }, privatePayload: { previous: before.bank_account ?? null },
  });
  return fund;
}

// ───────────────────────────── postings ─────────────────────────────

interface AuditSpec {
  action: string;
  publicPayload?: Record<string, unknown>;
  privatePayload?: Record<string, unknown>;
}

function validateEntry(input: EntryInput) {
  const problems: { in: string; path: string; message: string }[] = [];
  if (!SOURCES.includes(input.source)) problems.push({ in: 'body', path: 'source', message: `must be one of ${SOURCES.join(', ')}` });
  if (typeof input.description !== 'string' || input.description.length < 1 || input.description.length > LIMITS.description) {
    problems.push({ in: 'body', path: 'description', message: `must be 1 to ${LIMITS.description} characters` });
  }
  if (input.sourceRef != null && input.sourceRef.length > LIMITS.sourceRef) problems.push({ in: 'body', path: 'sourceRef', message: `at most ${LIMITS.sourceRef} characters` });
  if (!Array.isArray(input.lines) || input.lines.length < 2 || input.lines.length > LIMITS.lines) {
    problems.push({ in: 'body', path: 'lines', message: `an entry has 2 to ${LIMITS.lines} lines` });
  } else {
    input.lines.forEach((l, i) => {
      const has = (v: unknown) => v !== undefined && v !== null;
      if (has(l.debit) === has(l.credit)) problems.push({ in: 'body', path: `lines.${i}`, message: 'a line is either a debit or a credit' });
      for (const side of ['debit', 'credit'] as const) {
        const v = l[side];
        if (has(v) && (typeof v !== 'string' || !AMOUNT.test(v) || new Decimal(v).lte(0))) {
          problems.push({ in: 'body', path: `lines.${i}.${side}`, message: 'must be a positive decimal string with at most 2 decimals' });
        }
      }
      if (l.memo != null && l.memo.length > LIMITS.memo) problems.push({ in: 'body', path: `lines.${i}.memo`, message: `at most ${LIMITS.memo} characters` });
    });
  }
  if (problems.length) throw badRequest(`the journal entry is not valid: ${problems[0]!.path} ${problems[0]!.message}`, problems);
}

/** The advisory-lock key postings take shared (in ledger_post_entries) and a close takes exclusive (see closedThrough). */
const PERIOD_LOCK = 7_310_100;
/** The advisory-lock space of reversals: (REVERSAL_LOCK, entry id). */
const REVERSAL_LOCK = 7_310_101;

/**
 * The latest closed month. A posting takes the period lock shared, a close takes it exclusive, so a posting
 * and the close of its month never both commit. An advisory lock (in memory) rather than SELECT … FOR SHARE
 * on the state row: many concurrent share-lockers of one row cost a multixact write each.
 */
async function closedThrough(trx: Knex.Transaction, lock: 'share' | 'update'): Promise<string | null> {
  const row = await trx.raw(
    `SELECT ${lock === 'share' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock'}(?), closed_through FROM ledger_period_state WHERE id = 1`,
    [PERIOD_LOCK],
  );
  return row.rows[0]?.closed_through ?? null;
}

/** Funds known to exist: a fund is never deleted nor renamed, so a code seen once stays good (no negative caching). */
const fundsSeen = new Set<string>();

async function unknownFundCodes(db: Db, codes: string[]): Promise<Set<string>> {
  const missing = [...new Set(codes)].filter((c) => !fundsSeen.has(c));
  if (missing.length) for (const code of (await loadFunds(db, missing)).keys()) fundsSeen.add(code);
  return new Set(missing.filter((c) => !fundsSeen.has(c)));
}

/**
 * Everything about an entry that needs no lock, done before any is taken (and before a batch's transaction):
 * the shape, no date after today (422 future_date), accounts and funds exist (400), balanced per fund (422).
 * Each answer depends only on the entry (and on today, which only moves forward), so a retry that replays a
 * committed answer passed these too. Throws the AppError the client sees.
 */
export async function checkEntry(db: Db, input: EntryInput): Promise<void> {
  validateEntry(input);
  // Money moves on a day that has happened: a future date would count money that has not arrived yet.
  const today = shanghaiDate();
  if (input.date > today) {
    throw unprocessable('future_date', `日期 ${input.date} 晚于今天 ${today} · the date ${input.date} is later than today (${today}, Asia/Shanghai): money can only move on a day that has come`, { date: input.date, today });
  }
  const accounts = await knownAccounts(db);
  const unknownAccounts = [...new Set(input.lines.map((l) => l.account))].filter((a) => !accounts.has(a));
  if (unknownAccounts.length) {
    throw badRequest(`unknown account ${unknownAccounts.join(', ')}`, input.lines.flatMap((l, i) => (accounts.has(l.account) ? [] : [{ in: 'body', path: `lines.${i}.account`, message: `unknown account ${l.account}` }])));
  }
  const unknown = await unknownFundCodes(db, input.lines.map((l) => l.fund));
  if (unknown.size) {
    throw badRequest(`unknown fund ${[...unknown].join(', ')}`, input.lines.flatMap((l, i) => (unknown.has(l.fund) ? [{ in: 'body', path: `lines.${i}.fund`, message: `unknown fund ${l.fund}` }] : [])));
  }
  const unbalanced = unbalancedFund(input.lines);
  if (unbalanced) {
    throw unprocessable('unbalanced_entry', `the entry does not balance in fund ${unbalanced.fund}: debits − credits = ${money(unbalanced.difference)}`, {
      fund: unbalanced.fund, difference: money(unbalanced.difference),
    });
  }
}

/** An entry that passed checkEntry, with who posts it. */
export interface Posting {
  actor: string;
  input: EntryInput;
  reversesId?: number;
}

export type PostingOutcome = { entry: JournalEntry } | { error: AppError };

type Refusal = { refused: 'period_closed'; period: string; closedThrough: string } | { refused: 'insufficient_funds'; fund: string; account: string; date: string; balance: string; required: string };

function refusalError(r: Refusal): AppError {
  if (r.refused === 'period_closed') {
    return conflict('period_closed', `the period ${r.period} is closed (closed through ${r.closedThrough})`, { period: r.period, closedThrough: r.closedThrough });
  }
  return conflict(
    'insufficient_funds',
    `基金 ${r.fund} 科目 ${r.account} 在 ${r.date} 的余额不足 · fund ${r.fund} would have a negative ${r.account} balance on ${r.date}: ` +
      `it has ${money(r.balance)} that day; this posting needs ${money(r.required)}`,
    { fund: r.fund, account: r.account, balance: money(r.balance), required: money(r.required), date: r.date },
  );
}

/**
 * Writes checked entries, in list order, with one call of ledger_post_entries (migrations/20261127_0700): one
 * round trip for any number of entries. In the database, under the shared period lock and with the balance
 * rows of the whole list locked once in (account, fund) order (one fixed order: no deadlock; the second of two
 * payments from one fund sees the first's result), each entry is refused — nothing of it written — if its
 * month is closed (409 period_closed) or it would leave 1001/1002 of a fund negative at its date or any later
 * day or in total (409 insufficient_funds, details fund, account, balance, required, date); else its day rows
 * and balances move, it takes the year's next number (the counter row stays locked until commit: gapless) and
 * its entry and lines are inserted. A refusal does not stop the entries after it.
 */
export async function writeEntries(trx: Knex.Transaction, postings: Posting[]): Promise<PostingOutcome[]> {
  return (await writeEntriesIn(trx, postings, false)).outcomes;
}

/**
 * writeEntries, and in the same round trip the audit chain head locked after the entries (audit_lock_head(), the
 * audit domain's SQL; same lock order as writeEntries then appendAuditBatch: year counter, then chain head), for
 * appendAuditBatch(trx, rows, auditHead). The group-commit path uses it: one round trip fewer while the counter
 * is held.
 */
export async function writeEntriesLockingAuditHead(trx: Knex.Transaction, postings: Posting[]): Promise<{ outcomes: PostingOutcome[]; auditHead?: LockedAuditHead }> {
  return writeEntriesIn(trx, postings, true);
}

async function writeEntriesIn(trx: Knex.Transaction, postings: Posting[], lockAuditHead: boolean): Promise<{ outcomes: PostingOutcome[]; auditHead?: LockedAuditHead }> {
  if (!postings.length) return { outcomes: [] };
  const createdAt = clock.now();
  const payload = postings.map(({ actor, input, reversesId }) => ({
    date: input.date, description: input.description, source: input.source, source_ref: input.sourceRef ?? null, reverses_id: reversesId ?? null,
    created_by: actor, created_at: createdAt.toISOString(),
    lines: input.lines.map((l) => ({
      account: l.account, fund: l.fund, debit: l.debit ?? null, credit: l.credit ?? null, memo: l.memo ?? null, household_id: l.householdId ?? null, aid_case_id: l.aidCaseId ?? null,
    })),
  }));
  // OFFSET 0 keeps the call in a subquery whose row exists before the outer projection locks the head: entries first.
  const { rows } = await trx.raw(
    lockAuditHead
      ? 'SELECT p.out, audit_lock_head() AS head FROM (SELECT ledger_post_entries(?::jsonb) AS out OFFSET 0) p'
      : 'SELECT ledger_post_entries(?::jsonb) AS out',
    [JSON.stringify(payload)],
  );
  const out = rows[0].out as ({ id: number; number: string; lineIds: number[] } | Refusal)[];
  invariant(out.length === postings.length, 'ledger_post_entries answers once per entry');
  countPostingsOnCommit(trx, out.filter((r) => !('refused' in r)).length);
  const outcomes = out.map((r, i): PostingOutcome => {
    if ('refused' in r) return { error: refusalError(r) };
    const { actor, input, reversesId } = postings[i]!;
    // The entry as stored (built from what was inserted, to spare a read: the columns are exactly these).
    const entry: JournalEntry = {
      id: Number(r.id), number: r.number, date: input.date, description: input.description, source: input.source, sourceRef: input.sourceRef ?? null,
      reversesId: reversesId ?? null, reversedById: null, createdBy: actor, createdAt: createdAt.toISOString(),
      lines: input.lines.map((l, j) => ({
        id: Number(r.lineIds[j]), lineNo: j + 1, account: l.account, fund: l.fund, debit: l.debit ? money(l.debit) : null, credit: l.credit ? money(l.credit) : null,
        memo: l.memo ?? null, householdId: l.householdId ?? null, aidCaseId: l.aidCaseId ?? null,
      })),
    };
    return { entry };
  });
  return { outcomes, auditHead: lockAuditHead ? (rows[0].head as LockedAuditHead) : undefined };
}

/** The audit row of a posting: public payload accounts, funds and amounts; descriptions and memos private. */
export function postingAudit(actor: string, input: EntryInput, entry: JournalEntry, a: AuditSpec): AuditEntry {
  return {
    actor, action: a.action, subject: `journal-entry:${entry.number}`,
    publicPayload: { number: entry.number, date: entry.date, source: entry.source, amount: money(totalDebits(input.lines)), lines: publicLines(entry), ...a.publicPayload },
    privatePayload: { id: entry.id, description: input.description, sourceRef: input.sourceRef ?? null, lines: input.lines, ...a.privatePayload },
  };
}

export const POSTED: AuditSpec = { action: 'ledger.posted' };

function publicLines(entry: JournalEntry) {
  return entry.lines.map((l) => ({ account: l.account, fund: l.fund, debit: l.debit, credit: l.credit }));
}

/**
 * The one way money enters the ledger (a batch of manual postings goes the same way: src/ledger/batch.ts).
 * checkEntry (no lock), then writeEntries (one round trip: period, balance locks, no overdraft in total or at
 * any day from the entry's date on, day balances, balances, gapless number, entry and lines), then `after`
 * (reversal or donation rows), then the audit row last.
 */
async function post(
  trx: Knex.Transaction,
  actor: string,
  input: EntryInput,
  audit: (entry: JournalEntry) => AuditSpec,
  opts: { reversesId?: number; after?: (entry: JournalEntry) => Promise<void> } = {},
): Promise<JournalEntry> {
  await checkEntry(trx, input);
  const [outcome] = await writeEntries(trx, [{ actor, input, reversesId: opts.reversesId }]);
  if ('error' in outcome!) throw outcome.error;
  const entry = outcome!.entry;
  if (opts.after) await opts.after(entry);
  await appendAudit(trx, postingAudit(actor, input, entry, audit(entry)));
  return entry;
}

/**
 * Posts a balanced entry (contract for other domains). 422 unbalanced_entry, 422 future_date (dated after
 * today), 409 period_closed, 409 insufficient_funds (1001/1002 negative at the entry's date or any later
 * date; details fund, account, balance, required, date), 400 for unknown accounts/funds or bad amounts;
 * audited 'ledger.posted'.
 * The public audit payload holds accounts, funds and amounts only: descriptions and memos are private.
 */
export async function postJournalEntry(trx: Knex.Transaction, actor: string, input: EntryInput): Promise<JournalEntry> {
  return post(trx, actor, input, () => POSTED);
}

export async function reverseEntry(trx: Knex.Transaction, actor: string, id: number, input: { date?: string; reason: string }): Promise<JournalEntry> {
  // Two concurrent reversals of one entry queue on an advisory lock keyed on its id (a row lock would need
  // UPDATE on journal_entries, which the working role has not); the unique original_id in ledger_reversals backs this up.
  await trx.raw('SELECT pg_advisory_xact_lock(?, ?)', [REVERSAL_LOCK, id]);
  const original = await getEntry(trx, id);
  if (!original) throw notFound('journal entry');
  if (original.source === 'reversal') throw invalidState('a reversal cannot be reversed: post a new entry instead', { id, number: original.number });
  if (original.reversedById) throw invalidState(`entry ${original.number} was already reversed`, { id, number: original.number, reversedById: original.reversedById });
  let date = input.date ?? shanghaiDate();
  if (date < original.date) throw badRequest('a reversal cannot be dated before the entry it reverses', [{ in: 'body', path: 'date', message: `must be on or after ${original.date}` }]);
  // A reversal dated in a closed period (e.g. of an entry in a closed month) goes into the first open period.
  const closed = await closedThrough(trx, 'share');
  if (closed && monthOf(date) <= closed) date = `${nextMonth(closed)}-01`;
  const reason = input.reason;
  return post(
    trx, actor,
    {
      date, description: `冲销 Reversal of ${original.number}: ${reason}`.slice(0, LIMITS.description), source: 'reversal', sourceRef: original.number,
      lines: original.lines.map((l) => ({
        account: l.account, fund: l.fund, ...(l.debit ? { credit: l.debit } : { debit: l.credit! }),
        memo: l.memo ?? undefined, householdId: l.householdId ?? undefined, aidCaseId: l.aidCaseId ?? undefined,
      })),
    },
    () => ({ action: 'ledger.reversed', publicPayload: { reverses: original.number }, privatePayload: { reason } }),
    {
      reversesId: original.id,
      after: async (entry) => {
        await trx('ledger_reversals').insert({ original_id: original.id, reversal_id: entry.id, reason, created_by: actor, created_at: clock.now() });
      },
    },
  );
}

// ───────────────────────────── donations and allocations ─────────────────────────────

export interface Donor {
  name?: string | null;
  kind: 'individual' | 'organization';
  anonymous: boolean;
}

/** How a donor may be shown in public: 匿名, an organisation's name, or an individual's masked name. */
export function publicDonor(d: Donor): string {
  if (d.anonymous || !d.name) return '匿名';
  return d.kind === 'organization' ? d.name : maskName(d.name);
}

export interface DonationInput {
  fund: string;
  amount: string;
  date: string;
  donor: Donor;
  restricted?: boolean;
  purpose?: string;
  reference?: string;
}

export async function recordDonation(trx: Knex.Transaction, actor: string, input: DonationInput) {
  const fund = await getFund(trx, input.fund);
  if (!fund) throw badRequest(`unknown fund ${input.fund}`, [{ in: 'body', path: 'fund', message: 'unknown fund' }]);
  if (!input.donor.anonymous && !input.donor.name) throw badRequest('a donor who is not anonymous needs a name', [{ in: 'body', path: 'donor.name', message: 'is required unless anonymous' }]);
  const shown = publicDonor(input.donor);
  const restricted = input.restricted ?? fund.restricted;
  const entry = await post(
    trx, actor,
    {
      date: input.date, description: `捐赠收入 Donation from ${shown}${input.purpose ? `: ${input.purpose}` : ''}`.slice(0, LIMITS.description),
      source: 'donation', sourceRef: input.reference,
      lines: [
        { account: BANK, fund: fund.code, debit: input.amount, memo: `捐赠 ${shown}`.slice(0, LIMITS.memo) },
        { account: DONATION_INCOME, fund: fund.code, credit: input.amount, memo: restricted ? '限定性 restricted' : '非限定性 unrestricted' },
      ],
    },
    () => ({ action: 'ledger.donation_received', publicPayload: { fund: fund.code, donor: shown, donorKind: input.donor.kind, restricted }, privatePayload: { donor: input.donor, purpose: input.purpose ?? null } }),
    {
      after: async (entry) => {
        await trx('ledger_donations').insert({
          entry_id: entry.id, fund: fund.code, amount: input.amount, date: input.date, donor_name: input.donor.anonymous ? null : input.donor.name,
          donor_kind: input.donor.kind, anonymous: input.donor.anonymous, restricted, purpose: input.purpose ?? null,
        });
      },
    },
  );
  return {
    id: entry.id, entryId: entry.id, number: entry.number, fund: fund.code, amount: money(input.amount), date: entry.date,
    donor: { name: input.donor.anonymous ? null : input.donor.name ?? null, kind: input.donor.kind, anonymous: input.donor.anonymous, shownAs: shown },
    restricted, purpose: input.purpose ?? null, entry,
  };
}

export interface AllocationInput {
  fromFund: string;
  toFund: string;
  amount: string;
  date: string;
  purpose: string;
}

/** A → B: in A Dr 5402 / Cr 1002; in B Dr 1002 / Cr 4902 (one entry, balanced in each fund). */
export async function recordAllocation(trx: Knex.Transaction, actor: string, input: AllocationInput) {
  if (input.fromFund === input.toFund) throw badRequest('an allocation moves money between two different funds', [{ in: 'body', path: 'toFund', message: 'must differ from fromFund' }]);
  const funds = await loadFunds(trx, [input.fromFund, input.toFund]);
  for (const [path, code] of [['fromFund', input.fromFund], ['toFund', input.toFund]] as const) {
    if (!funds.has(code)) throw badRequest(`unknown fund ${code}`, [{ in: 'body', path, message: 'unknown fund' }]);
  }
  const entry = await post(
    trx, actor,
    {
      date: input.date, description: `内部调拨 Allocation ${input.fromFund} → ${input.toFund}: ${input.purpose}`.slice(0, LIMITS.description), source: 'allocation',
      lines: [
        { account: TRANSFER_OUT, fund: input.fromFund, debit: input.amount, memo: `调拨至 ${input.toFund}` },
        { account: BANK, fund: input.fromFund, credit: input.amount },
        { account: BANK, fund: input.toFund, debit: input.amount },
        { account: TRANSFER_IN, fund: input.toFund, credit: input.amount, memo: `调拨自 ${input.fromFund}` },
      ],
    },
    () => ({ action: 'ledger.allocated', publicPayload: { fromFund: input.fromFund, toFund: input.toFund }, privatePayload: { purpose: input.purpose } }),
  );
  return { id: entry.id, entryId: entry.id, number: entry.number, fromFund: input.fromFund, toFund: input.toFund, amount: money(input.amount), date: entry.date, purpose: input.purpose, entry };
}

// ───────────────────────────── periods ─────────────────────────────

export async function closePeriod(trx: Knex.Transaction, actor: string, period: string) {
  const closed = await closedThrough(trx, 'update');
  if (closed && period <= closed) throw invalidState(`the period ${period} is already closed`, { period, closedThrough: closed });
  if (closed && period !== nextMonth(closed)) {
    throw invalidState(`an earlier month is still open: close ${nextMonth(closed)} first`, { period, firstOpen: nextMonth(closed) });
  }
  if (!closed) {
    const first = (await trx('journal_entries').min('date as d').first())?.d as string | null;
    if (first && monthOf(first) < period) throw invalidState(`an earlier month is still open: close ${monthOf(first)} first`, { period, firstOpen: monthOf(first) });
  }
  if (period >= monthOf(shanghaiDate())) throw invalidState(`the month ${period} has not ended yet`, { period });
  const closedAt = clock.now();
  await trx('ledger_periods').insert({ period, closed_by: actor, closed_at: closedAt });
  await trx('ledger_period_state').where({ id: 1 }).update({ closed_through: period });
  await appendAudit(trx, { actor, action: 'ledger.period_closed', subject: `period:${period}`, publicPayload: { period }, privatePayload: {} });
  return { period, status: 'closed' as const, closedAt: closedAt.toISOString(), closedBy: actor };
}

export async function firstOpenPeriod(db: Db): Promise<string | null> {
  const row = await db('ledger_period_state').where({ id: 1 }).first();
  return row?.closed_through ? nextMonth(row.closed_through) : null;
}

