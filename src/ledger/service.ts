// Ledger writes: funds, postings (with reversals, donations and allocations on top) and period closing.
// Every write runs in the caller's transaction and appends its audit row last (appendAudit takes the chain lock).
import type { Knex } from 'knex';
import { appendAudit } from '../audit';
import { clock, shanghaiDate } from '../platform/clock';
import type { Db } from '../platform/db';
import { badRequest, conflict, invalidState, invariant, notFound, unprocessable } from '../platform/errors';
import { maskName } from '../platform/masking';
import { Decimal, money } from '../platform/money';
import {
  BANK, BANK_ACCOUNT, DONATION_INCOME, FUND_CODE, LIMITS, NO_OVERDRAFT_ACCOUNTS, SOURCES, TRANSFER_IN, TRANSFER_OUT,
  monthOf, netByKey, nextMonth, totalDebits, unbalancedFund,
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

/** The advisory-lock key postings take shared and a close takes exclusive (see closedThrough). */
const PERIOD_LOCK = 7_310_100;

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

/**
 * Locks the balance rows of the given (account, fund) keys and returns them.
 *
 * Why this prevents overdraft under concurrency: every posting locks the rows it will change with
 * SELECT … ORDER BY account, fund FOR UPDATE, i.e. always in the same (account, fund) order. Two postings on
 * the same fund's 1002 therefore queue on that row: the second reads the balance the first committed, so
 * its overdraft check is made against the true balance (READ COMMITTED re-reads the locked row). A fixed
 * order means two postings touching the same rows can never wait on each other in a cycle (no deadlock);
 * SERIALIZABLE with retries would also be correct but turns every contended payment into a retry storm.
 * The CHECK ledger_balances_no_overdraft is the database's own guarantee behind this.
 */
export async function lockBalances(trx: Knex.Transaction, keys: { account: string; fund: string }[]) {
  const sorted = [...new Map(keys.map((k) => [`${k.account}\u0000${k.fund}`, k])).values()].sort((a, b) =>
    a.account === b.account ? (a.fund < b.fund ? -1 : a.fund > b.fund ? 1 : 0) : a.account < b.account ? -1 : 1,
  );
  const select = async () => {
    const values = sorted.map(() => '(?, ?)').join(', ');
    const res = await trx.raw(
      `SELECT account, fund, debit_total, credit_total FROM ledger_balances WHERE (account, fund) IN (${values}) ORDER BY account, fund FOR UPDATE`,
      sorted.flatMap((k) => [k.account, k.fund]),
    );
    return res.rows as { account: string; fund: string; debit_total: string; credit_total: string }[];
  };
  let rows = await select();
  if (rows.length < sorted.length) {
    // Only if an account was added after the fund: create its missing rows (in the same order), then lock.
    for (const k of sorted) await trx.raw('INSERT INTO ledger_balances (account, fund) VALUES (?, ?) ON CONFLICT DO NOTHING', [k.account, k.fund]);
    rows = await select();
  }
  invariant(rows.length === sorted.length, 'every (account, fund) of a posting has a balance row');
  return new Map(rows.map((r) => [`${r.account}\u0000${r.fund}`, r]));
}

/**
 * No overdraft at any date: applies a posting's net change of 1001/1002 per fund to the running end-of-day
 * balances (ledger_daily_balances) from its date on, in one statement, or, if that would leave any of those
 * days negative, writes nothing and returns the first such day (per account, fund, date order).
 *
 * The caller holds the ledger_balances row locks of these (account, fund), and every writer of their day rows
 * holds them too, so the statement sees the latest committed rows and no one else changes them meanwhile.
 * The row of `date` is created from the previous day's closing if missing, then it and every later row get
 * the change: cost O(days with activity from `date` on) — one row for a posting dated today. The CHECK
 * ledger_daily_balances_no_overdraft is the database's own guarantee behind the check made here.
 * `dryRun` only looks (used when the total is already short, to name the first negative day).
 * A day already negative from before the rule (a legacy database, see the migration) that this posting
 * would leave negative counts as short too: the CHECK would refuse to write it.
 */
export async function applyDailyBalances(
  trx: Knex.Transaction,
  date: string,
  changes: { account: string; fund: string; debit: Decimal; credit: Decimal }[],
  dryRun: boolean,
): Promise<{ account: string; fund: string; date: string; balance: string; required: Decimal } | null> {
  const deltas = changes.filter((c) => NO_OVERDRAFT_ACCOUNTS.includes(c.account) && !c.debit.eq(c.credit));
  if (!deltas.length) return null;
  const values = deltas.map(() => '(?::varchar, ?::varchar, ?::numeric)').join(', ');
  const res = await trx.raw(
    `WITH v(account, fund, delta) AS (VALUES ${values}),
     cur AS (
       SELECT v.account, v.fund, v.delta,
              coalesce((SELECT x.closing FROM ledger_daily_balances x WHERE x.account = v.account AND x.fund = v.fund AND x.date <= ?::date
                         ORDER BY x.date DESC LIMIT 1), 0) AS at_date
         FROM v),
     short AS (
       SELECT cur.account, cur.fund, cur.delta, ?::date AS date, cur.at_date AS closing FROM cur WHERE cur.at_date + cur.delta < 0
       UNION ALL
       SELECT cur.account, cur.fund, cur.delta, f.date, f.closing FROM cur
         CROSS JOIN LATERAL (SELECT x.date, x.closing FROM ledger_daily_balances x
                              WHERE x.account = cur.account AND x.fund = cur.fund AND x.date > ?::date AND x.closing + cur.delta < 0
                              ORDER BY x.date LIMIT 1) f),
     ins AS (
       INSERT INTO ledger_daily_balances (account, fund, date, closing)
       SELECT cur.account, cur.fund, ?::date, cur.at_date + cur.delta FROM cur WHERE NOT ?::boolean AND NOT EXISTS (SELECT 1 FROM short)
       ON CONFLICT (account, fund, date) DO UPDATE SET closing = excluded.closing
       RETURNING 1),
     upd AS (
       UPDATE ledger_daily_balances x SET closing = x.closing + cur.delta FROM cur
        WHERE x.account = cur.account AND x.fund = cur.fund AND x.date > ?::date AND NOT ?::boolean AND NOT EXISTS (SELECT 1 FROM short)
       RETURNING 1)
     SELECT account, fund, date, closing::text AS closing, delta::text AS delta FROM short ORDER BY account, fund, date LIMIT 1`,
    [...deltas.flatMap((c) => [c.account, c.fund, c.debit.minus(c.credit).toFixed(2)]), date, date, date, date, dryRun, date, dryRun],
  );
  const s = res.rows[0] as { account: string; fund: string; date: string; closing: string; delta: string } | undefined;
  if (!s) return null;
  const delta = new Decimal(s.delta);
  return { account: s.account, fund: s.fund, date: s.date, balance: s.closing, required: delta.isNegative() ? delta.negated() : new Decimal(0) };
}

function publicLines(entry: JournalEntry) {
  return entry.lines.map((l) => ({ account: l.account, fund: l.fund, debit: l.debit, credit: l.credit }));
}

/**
 * The one way money enters the ledger. In order: validate; refuse a date after today (422 future_date);
 * check accounts and funds exist; balance per fund; period open (shared period lock); lock balance rows in
 * (account, fund) order; refuse an overdraft of 1001/1002 in total or at any day from the entry's date on,
 * else move the running day balances (applyDailyBalances); update the balances; take the year's next number
 * (the counter row stays locked until commit, so numbers are gapless: a rolled-back posting gives its number
 * back); insert the entry and its lines; `after` (reversal or donation rows); audit row last.
 */
async function post(
  trx: Knex.Transaction,
  actor: string,
  input: EntryInput,
  audit: (entry: JournalEntry) => AuditSpec,
  opts: { reversesId?: number; after?: (entry: JournalEntry) => Promise<void> } = {},
): Promise<JournalEntry> {
  validateEntry(input);
  // Money moves on a day that has happened: a future date would count money that has not arrived yet.
  const today = shanghaiDate();
  if (input.date > today) {
    throw unprocessable('future_date', `日期 ${input.date} 晚于今天 ${today} · the date ${input.date} is later than today (${today}, Asia/Shanghai): money can only move on a day that has come`, { date: input.date, today });
  }
  const accounts = await knownAccounts(trx);
  const unknownAccounts = [...new Set(input.lines.map((l) => l.account))].filter((a) => !accounts.has(a));
  if (unknownAccounts.length) {
    throw badRequest(`unknown account ${unknownAccounts.join(', ')}`, input.lines.flatMap((l, i) => (accounts.has(l.account) ? [] : [{ in: 'body', path: `lines.${i}.account`, message: `unknown account ${l.account}` }])));
  }
  const funds = await loadFunds(trx, [...new Set(input.lines.map((l) => l.fund))]);
  const unknownFunds = input.lines.flatMap((l, i) => (funds.has(l.fund) ? [] : [{ in: 'body', path: `lines.${i}.fund`, message: `unknown fund ${l.fund}` }]));
  if (unknownFunds.length) throw badRequest(`unknown fund ${[...new Set(input.lines.filter((l) => !funds.has(l.fund)).map((l) => l.fund))].join(', ')}`, unknownFunds);
  const unbalanced = unbalancedFund(input.lines);
  if (unbalanced) {
    throw unprocessable('unbalanced_entry', `the entry does not balance in fund ${unbalanced.fund}: debits − credits = ${money(unbalanced.difference)}`, {
      fund: unbalanced.fund, difference: money(unbalanced.difference),
    });
  }

  const closed = await closedThrough(trx, 'share');
  if (closed && monthOf(input.date) <= closed) {
    throw conflict('period_closed', `the period ${monthOf(input.date)} is closed (closed through ${closed})`, { period: monthOf(input.date), closedThrough: closed });
  }

  const changes = netByKey(input.lines);
  const locked = await lockBalances(trx, changes);
  let totalShort: { fund: string; account: string; balance: Decimal; required: Decimal } | undefined;
  for (const c of changes) {
    if (!NO_OVERDRAFT_ACCOUNTS.includes(c.account)) continue;
    const row = locked.get(`${c.account}\u0000${c.fund}`)!;
    const before = new Decimal(row.debit_total).minus(row.credit_total);
    if (before.plus(c.debit).minus(c.credit).isNegative()) {
      totalShort = { fund: c.fund, account: c.account, balance: before, required: c.credit.minus(c.debit) };
      break;
    }
  }
  // By date: still under the balance row locks, so the day rows of these (account, fund) are ours alone.
  const short = await applyDailyBalances(trx, input.date, changes, !!totalShort);
  if (short) {
    throw conflict(
      'insufficient_funds',
      `基金 ${short.fund} 科目 ${short.account} 在 ${short.date} 的余额不足 · fund ${short.fund} would have a negative ${short.account} balance on ${short.date}: ` +
        `it has ${money(short.balance)} that day; this posting needs ${money(short.required)}`,
      { fund: short.fund, account: short.account, balance: money(short.balance), required: money(short.required), date: short.date },
    );
  }
  if (totalShort) {
    // Not reachable while the day rows agree with the lines (the last day row is the total); kept as the guard.
    throw conflict('insufficient_funds', `fund ${totalShort.fund} has ${money(totalShort.balance)} in ${totalShort.account}; this posting needs ${money(totalShort.required)}`, {
      fund: totalShort.fund, account: totalShort.account, balance: money(totalShort.balance), required: money(totalShort.required), date: input.date,
    });
  }
  const values = changes.map(() => '(?::varchar, ?::varchar, ?::numeric, ?::numeric)').join(', ');
  await trx.raw(
    `UPDATE ledger_balances b SET debit_total = b.debit_total + v.d, credit_total = b.credit_total + v.c
       FROM (VALUES ${values}) AS v(account, fund, d, c) WHERE b.account = v.account AND b.fund = v.fund`,
    changes.flatMap((c) => [c.account, c.fund, c.debit.toFixed(2), c.credit.toFixed(2)]),
  );

  // Number, entry and lines in one statement: the year's counter row stays locked until commit (gapless:
  // a rolled-back posting gives its number back), so the fewer round trips after it, the better.
  const year = Number(input.date.slice(0, 4));
  const lineValues = input.lines.map(() => '(?::smallint, ?::varchar, ?::varchar, ?::numeric, ?::numeric, ?::varchar, ?::integer, ?::integer)').join(', ');
  const inserted = await trx.raw(
    `WITH c AS (
       INSERT INTO ledger_counters (year, last) VALUES (?, 1) ON CONFLICT (year) DO UPDATE SET last = ledger_counters.last + 1 RETURNING last),
     e AS (
       INSERT INTO journal_entries (number, date, description, source, source_ref, reverses_id, created_by, created_at)
       SELECT ? || '-' || lpad(c.last::text, greatest(6, length(c.last::text)), '0'), ?::date, ?, ?, ?, ?::bigint, ?, ?::timestamptz FROM c
       RETURNING id, number, created_at),
     l AS (
       INSERT INTO journal_lines (entry_id, line_no, date, account, fund, debit, credit, memo, household_id, aid_case_id)
       SELECT e.id, v.line_no, ?::date, v.account, v.fund, v.debit, v.credit, v.memo, v.household_id, v.aid_case_id
         FROM e, (VALUES ${lineValues}) AS v(line_no, account, fund, debit, credit, memo, household_id, aid_case_id)
       RETURNING id, line_no)
     SELECT e.id, e.number, e.created_at, (SELECT json_agg(json_build_array(l.line_no, l.id)) FROM l) AS lines FROM e`,
    [
      year, String(year), input.date, input.description, input.source, input.sourceRef ?? null, opts.reversesId ?? null, actor, clock.now(), input.date,
      ...input.lines.flatMap((l, i) => [i + 1, l.account, l.fund, l.debit ?? '0', l.credit ?? '0', l.memo ?? null, l.householdId ?? null, l.aidCaseId ?? null]),
    ],
  );
  const row = inserted.rows[0];
  const id = Number(row.id);
  const number: string = row.number;
  const lineIds: { id: number; line_no: number }[] = (row.lines as [number, number][]).map(([line_no, lid]) => ({ line_no, id: lid }));
  const idOf = new Map(lineIds.map((r: { id: number; line_no: number }) => [r.line_no, Number(r.id)]));
  // The entry as stored (built from what was inserted, to spare a read: the columns are exactly these).
  const entry: JournalEntry = {
    id, number, date: input.date, description: input.description, source: input.source, sourceRef: input.sourceRef ?? null,
    reversesId: opts.reversesId ?? null, reversedById: null, createdBy: actor, createdAt: new Date(row.created_at).toISOString(),
    lines: input.lines.map((l, i) => ({
      id: idOf.get(i + 1)!, lineNo: i + 1, account: l.account, fund: l.fund, debit: l.debit ? money(l.debit) : null, credit: l.credit ? money(l.credit) : null,
      memo: l.memo ?? null, householdId: l.householdId ?? null, aidCaseId: l.aidCaseId ?? null,
    })),
  };
  if (opts.after) await opts.after(entry);
  const a = audit(entry);
  await appendAudit(trx, {
    actor, action: a.action, subject: `journal-entry:${entry.number}`,
    publicPayload: { number: entry.number, date: entry.date, source: entry.source, amount: money(totalDebits(input.lines)), lines: publicLines(entry), ...a.publicPayload },
    privatePayload: { id: entry.id, description: input.description, sourceRef: input.sourceRef ?? null, lines: input.lines, ...a.privatePayload },
  });
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
  return post(trx, actor, input, () => ({ action: 'ledger.posted' }));
}

export async function reverseEntry(trx: Knex.Transaction, actor: string, id: number, input: { date?: string; reason: string }): Promise<JournalEntry> {
  // Lock the original (a row lock, not an UPDATE: the immutability trigger is not involved) so two
  // concurrent reversals queue here; the unique original_id in ledger_reversals backs this up.
  const res = await trx.raw('SELECT id FROM journal_entries WHERE id = ? FOR UPDATE', [id]);
  if (!res.rows.length) throw notFound('journal entry');
  const original = (await getEntry(trx, id))!;
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

