// The books agree with the log (issue 12): every journal entry's stored lines equal the lines its audit row
// holds in its public payload (covered by the chain hash), every such audit row still has its entry, and the
// maintained balances equal the sums of the lines. An owner who edits journal_lines behind the service's back
// (triggers disabled) and fixes ledger_balances to tie is found here, by entry number.
//
// The ledger reads only its own tables; the audit rows come through the port the caller passes (the audit
// domain's queries), so neither domain reads the other's tables. Everything is read in batches.
import type { Db } from '../platform/db';
import { Decimal } from '../platform/money';

/** The audit actions whose row is about one journal entry (subject `journal-entry:<number>`). */
export const ENTRY_ACTIONS = ['ledger.posted', 'ledger.donation_received', 'ledger.allocated', 'ledger.reversed'] as const;
export const ENTRY_SUBJECT_PREFIX = 'journal-entry:';

/** An audit row as this check needs it; publicPayload is the parsed public payload. */
export interface LoggedEntryRow {
  seq: number;
  action: string;
  subject: string;
  publicPayload: unknown;
}

/** What the check reads of the audit log (the audit domain provides it). */
export interface LedgerLogPort {
  rowsForSubjects(subjects: string[], actions: readonly string[]): Promise<LoggedEntryRow[]>;
  count(actions: readonly string[], subjectPrefix: string): Promise<number>;
  rowsAfter(actions: readonly string[], subjectPrefix: string, afterSeq: number, limit: number): Promise<LoggedEntryRow[]>;
}

export interface LedgerCheck {
  ok: boolean;
  /** Entries whose lines were compared with their audit row and agreed (all of them when ok). */
  entriesChecked: number;
  /** The first entry (by id) that does not agree with the log; id is null for an entry the books no longer hold. */
  firstBadEntry: { id: number | null; number: string; problem: string } | null;
  balancesOk: boolean;
  firstBadBalance: { account: string; fund: string; debitTotal: string; creditTotal: string; linesDebit: string; linesCredit: string } | null;
}

const amount = (v: unknown) => new Decimal((v as string | null) ?? 0).toFixed(2);

interface StoredLine {
  line_no: number;
  account: string;
  fund: string;
  debit: string;
  credit: string;
}

/** Why an entry disagrees with its audit row, or null. */
function entryProblem(e: { number: string; date: string; source: string }, lines: StoredLine[], rows: LoggedEntryRow[]): string | null {
  if (!rows.length) return `no audit row (${ENTRY_ACTIONS.join('/')}) has the subject ${ENTRY_SUBJECT_PREFIX}${e.number}`;
  if (rows.length > 1) return `${rows.length} audit rows claim it (seq ${rows.map((r) => r.seq).join(', ')})`;
  const row = rows[0]!;
  const p = row.publicPayload as { number?: unknown; date?: unknown; source?: unknown; lines?: unknown } | null;
  if (!p || typeof p !== 'object' || !Array.isArray(p.lines)) return `its audit row (seq ${row.seq}) holds no lines`;
  if (p.number !== e.number) return `its audit row (seq ${row.seq}) names entry ${String(p.number)}`;
  if (p.date !== e.date) return `dated ${e.date} in the books, ${String(p.date)} in its audit row (seq ${row.seq})`;
  if (p.source !== e.source) return `source ${e.source} in the books, ${String(p.source)} in its audit row (seq ${row.seq})`;
  const logged = p.lines as { account?: unknown; fund?: unknown; debit?: unknown; credit?: unknown }[];
  if (logged.length !== lines.length) return `${lines.length} lines in the books, ${logged.length} in its audit row (seq ${row.seq})`;
  for (let i = 0; i < lines.length; i++) {
    const s = lines[i]!;
    const l = logged[i]!;
    let same: boolean;
    try {
      same = l.account === s.account && l.fund === s.fund && amount(l.debit) === amount(s.debit) && amount(l.credit) === amount(s.credit);
    } catch {
      same = false;
    }
    if (!same) {
      return `line ${s.line_no} is ${s.account} ${s.fund} Dr ${amount(s.debit)} Cr ${amount(s.credit)} in the books, ` +
        `${String(l.account)} ${String(l.fund)} Dr ${String(l.debit ?? '0.00')} Cr ${String(l.credit ?? '0.00')} in its audit row (seq ${row.seq})`;
    }
  }
  return null;
}

/** Maintained balances against the sums of the lines: the first (account, fund) that differs, or null. */
export async function firstBadBalance(db: Db): Promise<LedgerCheck['firstBadBalance']> {
  const { rows } = await db.raw(
    `SELECT coalesce(b.account, s.account) AS account, coalesce(b.fund, s.fund) AS fund,
            coalesce(b.debit_total, 0) AS debit_total, coalesce(b.credit_total, 0) AS credit_total,
            coalesce(s.d, 0) AS lines_debit, coalesce(s.c, 0) AS lines_credit
       FROM ledger_balances b
       FULL JOIN (SELECT account, fund, sum(debit) AS d, sum(credit) AS c FROM journal_lines GROUP BY account, fund) s
         ON s.account = b.account AND s.fund = b.fund
      WHERE coalesce(b.debit_total, 0) <> coalesce(s.d, 0) OR coalesce(b.credit_total, 0) <> coalesce(s.c, 0)
      ORDER BY 2, 1 LIMIT 1`,
  );
  const r = rows[0];
  return r
    ? { account: r.account, fund: r.fund, debitTotal: amount(r.debit_total), creditTotal: amount(r.credit_total), linesDebit: amount(r.lines_debit), linesCredit: amount(r.lines_credit) }
    : null;
}

/**
 * Every entry against its audit row (in id order, `batch` entries at a time), then every entry audit row
 * against the books (only when the counts differ: an entry deleted with its lines), then the balances.
 * Run it in one snapshot (the caller's REPEATABLE READ transaction) so concurrent postings do not disturb it.
 */
export async function checkLedgerAgainstLog(db: Db, log: LedgerLogPort, batch = 2000): Promise<LedgerCheck> {
  let entriesChecked = 0;
  let bad: LedgerCheck['firstBadEntry'] = null;
  let after = 0;
  for (;;) {
    const entries: { id: number; number: string; date: string; source: string }[] = await db('journal_entries')
      .where('id', '>', after).orderBy('id').limit(batch).select('id', 'number', 'date', 'source');
    if (!entries.length) break;
    const ids = entries.map((e) => e.id);
    const lineRows: (StoredLine & { entry_id: number })[] = await db('journal_lines')
      .whereIn('entry_id', ids).orderBy(['entry_id', 'line_no']).select('entry_id', 'line_no', 'account', 'fund', 'debit', 'credit');
    const linesOf = new Map<number, StoredLine[]>();
    for (const l of lineRows) {
      const list = linesOf.get(Number(l.entry_id)) ?? [];
      list.push(l);
      linesOf.set(Number(l.entry_id), list);
    }
    const logged = await log.rowsForSubjects(entries.map((e) => `${ENTRY_SUBJECT_PREFIX}${e.number}`), ENTRY_ACTIONS);
    const rowsOf = new Map<string, LoggedEntryRow[]>();
    for (const r of logged) rowsOf.set(r.subject, [...(rowsOf.get(r.subject) ?? []), r]);
    for (const e of entries) {
      const problem = entryProblem(e, linesOf.get(Number(e.id)) ?? [], rowsOf.get(`${ENTRY_SUBJECT_PREFIX}${e.number}`) ?? []);
      if (problem) {
        bad = { id: Number(e.id), number: e.number, problem };
        break;
      }
      entriesChecked += 1;
    }
    if (bad || entries.length < batch) break;
    after = Number(entries[entries.length - 1]!.id);
  }
  // Every entry has exactly one row; more rows than entries means an entry the books no longer hold.
  if (!bad && (await log.count(ENTRY_ACTIONS, ENTRY_SUBJECT_PREFIX)) !== entriesChecked) {
    let seq = 0;
    for (;;) {
      const rows = await log.rowsAfter(ENTRY_ACTIONS, ENTRY_SUBJECT_PREFIX, seq, batch);
      if (!rows.length) break;
      const numbers = rows.map((r) => r.subject.slice(ENTRY_SUBJECT_PREFIX.length));
      const held = new Set<string>(await db('journal_entries').whereIn('number', numbers).pluck('number'));
      const missing = rows.find((r) => !held.has(r.subject.slice(ENTRY_SUBJECT_PREFIX.length)));
      if (missing) {
        bad = { id: null, number: missing.subject.slice(ENTRY_SUBJECT_PREFIX.length), problem: `audit row ${missing.seq} (${missing.action}) records an entry the books no longer hold` };
        break;
      }
      seq = rows[rows.length - 1]!.seq;
    }
    bad ??= { id: null, number: '', problem: 'the log and the books hold different numbers of entries' };
  }
  const balance = await firstBadBalance(db);
  return { ok: !bad && !balance, entriesChecked, firstBadEntry: bad, balancesOk: !balance, firstBadBalance: balance };
}
