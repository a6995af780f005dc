// Reconciliation decisions: import, auto-match, manual match/unmatch, the report, close. Each write takes
// the caller's transaction and appends its audit row last.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Db } from '../platform/db';
import { appendAudit } from '../audit';
import { clock, addDays } from '../platform/clock';
import { Decimal, money, sum } from '../platform/money';
import { badRequest, conflict, invariant, notFound, unprocessable } from '../platform/errors';
import { sortedPage, type SortedListQuery, type SortSpec } from '../platform/list-sort';
import { getFund, listFunds, bankLines, bankBalanceAsOf, type Fund } from '../ledger';
import { parseStatementFile, type StatementFile } from './parse';
import { StatementCurrencyError } from './parse/common';
import { accountMatches } from './parse/statement';
import { accountsOf, ownStatement, readMultiStatementFile, type MultiStatementFormat } from './parse/select';
import {
  StatementFileError, isInformationLine, decodeMatch, decodeMatchLedgerLine, decodeStatement, decodeStatementLine, idOf,
  type LedgerBankLine, type ParsedStatementLine, type StatementRow,
} from './model';

export type { StatementRow } from './model';
import { autoMatch, type MatchResult } from './match';
import { resolveProfile, withProfile } from './profiles';

export interface ImportInput extends StatementFile {
  fund: string;
  /** An import profile to read a CSV/spreadsheet with (else the fund's or the file account's, if saved). */
  profileId?: number;
}


export const statementView = (s: StatementRow) => ({
  id: s.id,
  fund: s.fund,
  periodFrom: s.period_from,
  periodTo: s.period_to,
  openingBalance: money(s.opening_balance),
  closingBalance: money(s.closing_balance),
  format: s.format,
  encoding: s.encoding,
  lineCount: s.line_count,
  status: s.status,
  importedBy: s.imported_by,
  importedAt: new Date(s.imported_at).toISOString(),
  closedBy: s.closed_by,
  closedAt: s.closed_at ? new Date(s.closed_at).toISOString() : null,
  /** The account and bank the file printed, and the import profile it was read with (CSV, spreadsheets). */
  account: s.file_account ?? null,
  bank: s.file_bank ?? null,
  profileId: s.profile_id ?? null,
});

/** Same fund, period, balances and lines (date and amount, whatever the format): the same statement. */
export function statementFingerprint(fund: string, h: { periodFrom: string; periodTo: string; openingBalance: string; closingBalance: string }, lines: ParsedStatementLine[]) {
  const hash = crypto.createHash('sha256');
  hash.update(JSON.stringify([fund, h.periodFrom, h.periodTo, money(h.openingBalance), money(h.closingBalance)]));
  for (const l of lines) hash.update(`\n${l.date}|${l.amount}`);
  return hash.digest('hex');
}

const insertChunks = async (trx: Knex.Transaction, table: string, rows: object[], size = 2000) => {
  for (let i = 0; i < rows.length; i += size) await trx(table).insert(rows.slice(i, i + size));
};

/** A refused file as the client sees it: 400 naming line and problem, or 422 currency_mismatch. */
export function statementFileRefusal(e: unknown): unknown {
  if (e instanceof StatementFileError) return badRequest(`the statement file is not valid: ${e.message}`, e.problems.map((p) => ({ in: 'file', line: p.line, ...(p.column ? { column: p.column } : {}), message: p.problem })));
  if (e instanceof StatementCurrencyError) {
    return unprocessable('currency_mismatch', `对账单币种 ${e.currency} 与基金记账本位币 ${e.expected} 不符 · ${e.message}`, { currency: e.currency, expected: e.expected, line: e.line });
  }
  return e;
}

/**
 * POST /bank-statements: parse, check, refuse duplicates and overlaps, store, audit. `preParsed` is one
 * statement of a multi-statement file already read and checked (importEachStatement).
 */
export async function importStatement(trx: Knex.Transaction, actor: string, input: ImportInput, preParsed?: ReturnType<typeof parseStatementFile>) {
  const fund = await getFund(trx, input.fund);
  if (!fund) throw notFound(`fund ${input.fund}`);
  if (input.periodFrom > input.periodTo) throw badRequest('periodFrom is after periodTo', [{ in: 'body', path: 'periodTo', message: 'must be on or after periodFrom' }]);
  let parsed: ReturnType<typeof parseStatementFile>;
  // A saved import profile of the fund or the file's account (or the one named) maps an unknown layout.
  const profile = preParsed ? null : await resolveProfile(trx, { ...input, fund: fund.code });
  try {
    parsed = preParsed ?? parseStatementFile(...withProfile({ ...input, bankAccount: fund.bankAccount }, profile));
  } catch (e) {
    throw statementFileRefusal(e);
  }
  const { lines, encoding } = parsed;
  // One import per fund at a time, so the duplicate and overlap checks hold under concurrency.
  await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`bank_statements:${fund.code}`]);
  const fingerprint = statementFingerprint(fund.code, input, lines);
  const same = await trx('bank_statements').where({ fund: fund.code, fingerprint }).first('id');
  if (same) throw conflict('duplicate_statement', `this statement was imported before (statement ${same.id})`, { statementId: same.id });
  const overlap = await trx('bank_statements').where({ fund: fund.code }).where('period_from', '<=', input.periodTo).where('period_to', '>=', input.periodFrom).first('id', 'period_from', 'period_to');
  if (overlap) {
    throw conflict('statement_overlaps', `statement ${overlap.id} of fund ${fund.code} already covers ${overlap.period_from} to ${overlap.period_to}`, { statementId: overlap.id });
  }
  const [row] = await trx('bank_statements')
    .insert({
      fund: fund.code, period_from: input.periodFrom, period_to: input.periodTo,
      opening_balance: money(input.openingBalance), closing_balance: money(input.closingBalance),
      format: input.format, encoding, line_count: lines.length, fingerprint, status: 'open',
      file_account: parsed.layout?.account ?? null, file_bank: parsed.layout?.bank ?? null, profile_id: profile?.id ?? null,
      imported_by: actor, imported_at: clock.now(),
    })
    .returning('*');
  await insertChunks(trx, 'bank_statement_lines', lines.map((l) => ({
    statement_id: row.id, line_no: l.lineNo, date: l.date, amount: l.amount, description: l.description,
    reference: l.reference, counterparty: l.counterparty, balance: l.balance, counterparty_account: l.counterpartyAccount ?? null,
  })));
  await appendAudit(trx, {
    actor, action: 'reconciliation.statement_imported', subject: `bank-statement:${row.id}`,
    publicPayload: { fund: fund.code, periodFrom: input.periodFrom, periodTo: input.periodTo, lines: lines.length },
    privatePayload: { format: input.format, encoding, openingBalance: money(input.openingBalance), closingBalance: money(input.closingBalance), fingerprint, ...(profile ? { profileId: profile.id } : {}) },
  });
  return statementView(decodeStatement(row));
}

export interface ImportEachInput {
  /** Only this fund's statements; without it, each statement goes to the fund whose bankAccount it names. */
  fund?: string;
  format: MultiStatementFormat;
  content?: string;
  contentBase64?: string;
  encoding?: 'utf-8' | 'gbk';
  statements: 'all';
}

/**
 * POST /bank-statements with `statements: "all"` (camt.053, MT940): each statement of the file whose account
 * is a fund's bank account is imported as its own statement of that fund, with the period and balances the
 * file prints. One transaction: a bad, foreign-currency or overlapping statement refuses the request; a
 * statement imported before is skipped (so a file can be sent again); statements of no fund's account, or of
 * an account several funds share, are skipped and listed.
 */
export async function importEachStatement(trx: Knex.Transaction, actor: string, input: ImportEachInput) {
  let funds: Fund[];
  if (input.fund) {
    const fund = await getFund(trx, input.fund);
    if (!fund) throw notFound(`fund ${input.fund}`);
    if (!fund.bankAccount) {
      throw badRequest(`fund ${fund.code} has no bankAccount: set it (PATCH /funds/${fund.code}) or import one statement with periodFrom, periodTo and balances`, [{ in: 'body', path: 'fund', message: 'has no bankAccount' }]);
    }
    funds = [fund];
  } else {
    funds = (await listFunds(trx)).filter((f) => f.bankAccount);
  }
  let file: ReturnType<typeof readMultiStatementFile>;
  try {
    file = readMultiStatementFile(input);
  } catch (e) {
    throw statementFileRefusal(e);
  }
  type Skipped = { statement: number; account: string | null; periodFrom: string | null; periodTo: string | null; reason: 'no_fund' | 'several_funds' | 'duplicate'; funds?: string[]; statementId?: number };
  const skipped: Skipped[] = [];
  const todo: { fund: Fund; st: (typeof file.statements)[number] }[] = [];
  for (const st of file.statements) {
    const owners = funds.filter((f) => accountMatches(st.account, f.bankAccount));
    const base = { statement: st.no, account: st.account, periodFrom: st.periodFrom, periodTo: st.periodTo };
    if (owners.length === 1) todo.push({ fund: owners[0]!, st });
    else skipped.push(owners.length === 0 ? { ...base, reason: 'no_fund' } : { ...base, reason: 'several_funds', funds: owners.map((f) => f.code) });
  }
  if (todo.length === 0) {
    const accounts = accountsOf(file.statements).join(', ');
    throw badRequest(
      input.fund ? `the file holds no statement of fund ${input.fund}'s bank account ${funds[0]!.bankAccount}; it holds accounts ${accounts}` : `no statement of the file is of a fund's bank account; the file holds accounts ${accounts}`,
      skipped.map((s) => ({ in: 'file', line: null, statement: s.statement, account: s.account, message: s.reason === 'several_funds' ? `account shared by funds ${s.funds!.join(', ')}` : 'no fund has this bank account' })),
    );
  }
  const imported = [];
  for (const { fund, st } of todo) {
    let own: ReturnType<typeof ownStatement>;
    try {
      own = ownStatement(input.format, st);
    } catch (e) {
      throw statementFileRefusal(e);
    }
    try {
      imported.push(await importStatement(trx, actor, { fund: fund.code, format: input.format, ...own.header }, { lines: own.lines, encoding: file.encoding }));
    } catch (e) {
      const code = (e as { code?: string }).code;
      const statementId = ((e as { details?: { statementId?: number } }).details ?? {}).statementId;
      if (code !== 'duplicate_statement') throw e;
      skipped.push({ statement: st.no, account: st.account, periodFrom: st.periodFrom, periodTo: st.periodTo, reason: 'duplicate', ...(statementId ? { statementId } : {}) });
    }
  }
  if (imported.length === 0) {
    const first = skipped.find((s) => s.reason === 'duplicate');
    throw conflict('duplicate_statement', 'every statement of the file was imported before', { statementIds: skipped.filter((s) => s.statementId).map((s) => s.statementId) , statementId: first?.statementId });
  }
  skipped.sort((a, b) => a.statement - b.statement);
  return { statements: imported, skipped };
}

export async function findStatement(db: Db, id: number): Promise<StatementRow> {
  const s = await db('bank_statements').where({ id }).first();
  if (!s) throw notFound(`bank statement ${id}`);
  return decodeStatement(s);
}

/**
 * One statement line with its statement's fund and status and whether it is matched (for the loans domain:
 * a repayment matched from the bank statement). Undefined when there is no such line.
 */
export async function getStatementLine(db: Db, id: number) {
  const r = await db('bank_statement_lines as l').join('bank_statements as s', 's.id', 'l.statement_id').where('l.id', id)
    .first('l.id', 'l.statement_id', 'l.date', 'l.amount', 'l.description', 'l.reference', 's.fund', 's.status');
  if (!r) return undefined;
  const line = decodeStatementLine(r, ['id', 'statement_id', 'date', 'amount', 'description', 'reference']);
  const matched = await db('reconciliation_match_statement_lines').where({ statement_line_id: id }).first('match_id');
  return { ...line, fund: String(r.fund), statementStatus: String(r.status), matched: Boolean(matched) };
}

/** Locks the statement for a change; refuses a closed one. */
async function lockOpenStatement(trx: Knex.Transaction, id: number): Promise<StatementRow> {
  const row = await trx('bank_statements').where({ id }).forUpdate().first();
  if (!row) throw notFound(`bank statement ${id}`);
  const s = decodeStatement(row);
  if (s.status === 'closed') throw conflict('reconciliation_closed', `the reconciliation of statement ${id} is closed and cannot be changed`);
  return s;
}

/**
 * A match whose lines are all dated on or before the end of a closed statement of the fund would change
 * that closed reconciliation: refused. (A bank fee of a closed month booked in the next month may still be
 * matched: its ledger line is dated after the closed period.)
 */
async function refuseIfFrozen(trx: Knex.Transaction, fund: string, latestDate: string) {
  const closed = await trx('bank_statements').where({ fund, status: 'closed' }).where('period_to', '>=', latestDate).first('id');
  if (closed) throw conflict('reconciliation_closed', `the change would alter the closed reconciliation of statement ${closed.id}`, { statementId: closed.id });
}

const STATEMENT_PAGE_COLUMNS = ['id', 'line_no', 'date', 'amount', 'description', 'reference', 'counterparty', 'balance', 'counterparty_account', 'match_id'] as const;

export async function getStatement(db: Db, id: number, page: { limit: number; cursor?: string }) {
  const s = await findStatement(db, id);
  const after = page.cursor ? Number(page.cursor) : 0;
  const rows = await db('bank_statement_lines as l')
    .leftJoin('reconciliation_match_statement_lines as m', 'm.statement_line_id', 'l.id')
    .where('l.statement_id', id).where('l.id', '>', after)
    .orderBy('l.id').limit(page.limit + 1)
    .select('l.*', 'm.match_id')
    .then((rs) => rs.map((r) => decodeStatementLine(r, STATEMENT_PAGE_COLUMNS)));
  const matched = await db('bank_statement_lines as l').join('reconciliation_match_statement_lines as m', 'm.statement_line_id', 'l.id').where('l.statement_id', id).count<{ count: string }[]>('* as count');
  const items = rows.slice(0, page.limit).map((l) => ({
    id: l.id, lineNo: l.line_no, date: l.date, amount: money(l.amount), description: l.description,
    reference: l.reference, counterparty: l.counterparty, balance: l.balance === null ? null : money(l.balance),
    counterpartyAccount: l.counterparty_account ?? null, information: Number(l.amount) === 0,
    matchId: l.match_id,
  }));
  return {
    ...statementView(s),
    matchedLines: Number(matched[0]!.count),
    lines: { items, nextCursor: rows.length > page.limit ? String(items[items.length - 1]!.id) : null },
  };
}

/** GET /bank-statements?sort=: the columns a list may be sorted by (src/platform/list-sort.ts). */
export const STATEMENT_SORTS: SortSpec = {
  id: { expr: 'id', type: 'integer' },
  fund: { expr: 'fund', type: 'text' },
  periodFrom: { expr: 'period_from', type: 'date' },
  periodTo: { expr: 'period_to', type: 'date' },
  status: { expr: 'status', type: 'text' },
  closingBalance: { expr: 'closing_balance', type: 'numeric' },
  importedAt: { expr: 'imported_at', type: 'timestamptz' },
};

export interface StatementQuery extends SortedListQuery { fund?: string; status?: 'open' | 'closed'; from?: string; to?: string }

export async function listStatements(db: Db, q: StatementQuery) {
  const query = db('bank_statements').select('bank_statements.*');
  if (q.fund) query.where({ fund: q.fund });
  if (q.status) query.where({ status: q.status });
  // from/to: statements whose period overlaps the range.
  if (q.from) query.where('period_to', '>=', q.from);
  if (q.to) query.where('period_from', '<=', q.to);
  const page = await sortedPage<StatementRow>(db, query, { spec: STATEMENT_SORTS, sort: q.sort, cursor: q.cursor, limit: q.limit, withTotal: q.withTotal });
  return { ...page, items: page.items.map(statementView) };
}

/** Ledger line ids of a fund already in some match, among the given ones. */
async function matchedLedgerIds(db: Db, fund: string, from: string, to: string): Promise<Set<number>> {
  const rows = await db('reconciliation_match_ledger_lines').where({ fund }).whereBetween('date', [from, to]).select('ledger_line_id');
  return new Set(rows.map((r) => decodeMatchLedgerLine(r, ['ledger_line_id']).ledger_line_id));
}

let matchWindowDays = 3;
/** The auto-match window (days), from RECONCILE_MATCH_WINDOW_DAYS at start. */
export function configureMatchWindow(days: number) {
  matchWindowDays = days;
}

export type LedgerSource = (db: Db, fund: string, from: string, to: string) => Promise<LedgerBankLine[]>;

const AUTO_MATCH_COLUMNS = ['id', 'date', 'amount', 'description', 'reference'] as const;

/** POST /bank-statements/:id/auto-match. `ledger` is the ledger's bankLines (a benchmark may pass its own). */
export async function runAutoMatch(trx: Knex.Transaction, actor: string, id: number, opts: { windowDays?: number } = {}, ledger: LedgerSource = bankLines) {
  const s = await lockOpenStatement(trx, id);
  const windowDays = opts.windowDays ?? matchWindowDays;
  const stmtLines = await trx('bank_statement_lines as l')
    .whereNotExists(trx('reconciliation_match_statement_lines as m').whereRaw('m.statement_line_id = l.id'))
    .where('l.statement_id', id).whereNot('l.amount', 0) // information lines (amount 0) never match
    .orderBy('l.id')
    .select(AUTO_MATCH_COLUMNS.map((c) => `l.${c}`))
    .then((rs) => rs.map((r) => decodeStatementLine(r, AUTO_MATCH_COLUMNS)));
  const from = addDays(s.period_from, -windowDays), to = addDays(s.period_to, windowDays);
  const taken = await matchedLedgerIds(trx, s.fund, from, to);
  const ledgerLines = (await ledger(trx, s.fund, from, to)).filter((l) => !taken.has(l.lineId));
  const result: MatchResult = autoMatch(
    stmtLines.map((l) => ({ id: l.id, date: l.date, amount: money(l.amount), description: l.description, reference: l.reference })),
    ledgerLines,
    { windowDays },
  );
  // A closed reconciliation of the fund must not change: leave out pairs it would see.
  const frozen = await trx('bank_statements').where({ fund: s.fund, status: 'closed' }).max<{ max: string | null }[]>('period_to as max');
  const frozenTo = frozen[0]?.max ?? null;
  const ledgerById = new Map(ledgerLines.map((l) => [l.lineId, l]));
  const stmtById = new Map(stmtLines.map((l) => [l.id, l]));
  const proposals = result.matches.filter((m) => {
    if (!frozenTo) return true;
    const latest = [ledgerById.get(m.ledgerLineId)!.date, stmtById.get(m.statementLineId)!.date].sort()[1]!;
    return latest > frozenTo;
  });
  const created: { id: number; statementLineId: number; ledgerLineId: number; rule: string; score: number }[] = [];
  if (proposals.length) {
    const ids = (await trx.raw(`SELECT nextval(pg_get_serial_sequence('reconciliation_matches', 'id')) AS id FROM generate_series(1, ?)`, [proposals.length])).rows.map(idOf);
    const now = clock.now();
    proposals.forEach((m, i) => created.push({ id: ids[i]!, statementLineId: m.statementLineId, ledgerLineId: m.ledgerLineId, rule: m.rule, score: m.score }));
    await insertChunks(trx, 'reconciliation_matches', created.map((c) => ({ id: c.id, statement_id: id, rule: c.rule, score: c.score, created_by: actor, created_at: now })));
    await insertChunks(trx, 'reconciliation_match_statement_lines', created.map((c) => ({ match_id: c.id, statement_line_id: c.statementLineId })));
    await insertChunks(trx, 'reconciliation_match_ledger_lines', created.map((c) => {
      const l = ledgerById.get(c.ledgerLineId)!;
      return { match_id: c.id, ledger_line_id: c.ledgerLineId, fund: s.fund, date: l.date, amount: l.amount };
    }));
  }
  const byRule = { reference: created.filter((c) => c.rule === 'reference').length, amount_date: created.filter((c) => c.rule === 'amount_date').length };
  await appendAudit(trx, {
    actor, action: 'reconciliation.auto_matched', subject: `bank-statement:${id}`,
    publicPayload: { fund: s.fund, matched: created.length, ambiguous: result.ambiguous.length },
    privatePayload: { windowDays, byRule, matchIds: created.length <= 1000 ? created.map((c) => c.id) : undefined },
  });
  return {
    statementId: id,
    windowDays,
    matched: created.length,
    byRule,
    matches: created,
    ambiguous: result.ambiguous,
    unmatchedStatementLines: stmtLines.length - created.length,
  };
}

export interface ManualMatchInput {
  statementLineIds: number[];
  ledgerLineIds: number[];
  note?: string;
}

async function matchView(db: Db, matchId: number) {
  const row = await db('reconciliation_matches').where({ id: matchId }).first();
  if (!row) throw notFound(`match ${matchId}`);
  const m = decodeMatch(row);
  const sl = await db('reconciliation_match_statement_lines as ms').join('bank_statement_lines as l', 'l.id', 'ms.statement_line_id').where('ms.match_id', matchId).orderBy('l.id').select('l.id', 'l.date', 'l.amount', 'l.description')
    .then((rs) => rs.map((r) => decodeStatementLine(r, ['id', 'date', 'amount', 'description'])));
  const ll = (await db('reconciliation_match_ledger_lines').where({ match_id: matchId }).orderBy('ledger_line_id'))
    .map((r) => decodeMatchLedgerLine(r, ['ledger_line_id', 'date', 'amount']));
  return {
    id: m.id, statementId: m.statement_id, rule: m.rule, score: m.score, note: m.note,
    createdBy: m.created_by, createdAt: new Date(m.created_at).toISOString(),
    statementLines: sl.map((l) => ({ id: l.id, date: l.date, amount: money(l.amount), description: l.description })),
    ledgerLines: ll.map((l) => ({ id: l.ledger_line_id, date: l.date, amount: money(l.amount) })),
  };
}

export async function getMatch(db: Db, id: number) {
  return matchView(db, id);
}

/** POST /reconciliation/matches: one-to-one, one-to-many or many-to-one, when the amounts sum exactly. */
export async function createManualMatch(trx: Knex.Transaction, actor: string, input: ManualMatchInput) {
  const sIds = [...new Set(input.statementLineIds)], lIds = [...new Set(input.ledgerLineIds)];
  if (sIds.length > 1 && lIds.length > 1) {
    throw unprocessable('invalid_match', 'a match joins one statement line to several ledger lines, or several statement lines to one ledger line, not several to several');
  }
  const sLines = (await trx('bank_statement_lines').whereIn('id', sIds).select('id', 'statement_id', 'date', 'amount'))
    .map((r) => decodeStatementLine(r, ['id', 'statement_id', 'date', 'amount']));
  const info = sLines.find((l) => isInformationLine(l.amount));
  if (info) throw unprocessable('invalid_match', `statement line ${info.id} is an information line (amount 0): it is never matched`, { statementLineId: info.id });
  if (sLines.length !== sIds.length) {
    const found = new Set(sLines.map((l) => l.id));
    throw notFound(`statement line ${sIds.filter((i) => !found.has(i)).join(', ')}`);
  }
  const statementIds = new Set(sLines.map((l) => l.statement_id));
  if (statementIds.size !== 1) throw badRequest('the statement lines of one match must come from one statement');
  const s = await lockOpenStatement(trx, [...statementIds][0]!);
  const already = await trx('reconciliation_match_statement_lines').whereIn('statement_line_id', sIds).first('statement_line_id', 'match_id');
  if (already) throw conflict('already_matched', `statement line ${already.statement_line_id} is already in match ${already.match_id}`, { matchId: Number(already.match_id) });
  const alreadyL = await trx('reconciliation_match_ledger_lines').whereIn('ledger_line_id', lIds).first('ledger_line_id', 'match_id');
  if (alreadyL) throw conflict('already_matched', `ledger line ${alreadyL.ledger_line_id} is already in match ${alreadyL.match_id}`, { matchId: Number(alreadyL.match_id) });
  // Ledger lines must be 1002 lines of the statement's fund; a year either side of the period is searched.
  const want = new Set(lIds);
  const lLines = (await bankLines(trx, s.fund, addDays(s.period_from, -366), addDays(s.period_to, 366))).filter((l) => want.has(l.lineId));
  if (lLines.length !== lIds.length) {
    const found = new Set(lLines.map((l) => l.lineId));
    throw notFound(`ledger line ${lIds.filter((i) => !found.has(i)).join(', ')} among the bank (1002) lines of fund ${s.fund} within a year of the statement period`);
  }
  const sTotal = sum(sLines.map((l) => l.amount)), lTotal = sum(lLines.map((l) => l.amount));
  if (!sTotal.eq(lTotal)) {
    throw unprocessable('match_amounts_differ', `the statement lines total ${money(sTotal)} and the ledger lines total ${money(lTotal)}; a match needs them equal`, { statementTotal: money(sTotal), ledgerTotal: money(lTotal) });
  }
  const latest = [...sLines.map((l) => l.date), ...lLines.map((l) => l.date)].sort().at(-1)!;
  await refuseIfFrozen(trx, s.fund, latest);
  const [m] = await trx('reconciliation_matches').insert({ statement_id: s.id, rule: 'manual', score: 100, note: input.note ?? null, created_by: actor, created_at: clock.now() }).returning('id');
  const matchId = Number(m.id);
  await trx('reconciliation_match_statement_lines').insert(sIds.map((id) => ({ match_id: matchId, statement_line_id: id })));
  await trx('reconciliation_match_ledger_lines').insert(lLines.map((l) => ({ match_id: matchId, ledger_line_id: l.lineId, fund: s.fund, date: l.date, amount: l.amount })));
  await appendAudit(trx, {
    actor, action: 'reconciliation.matched', subject: `bank-statement:${s.id}`,
    publicPayload: { fund: s.fund, matchId, amount: money(sTotal) },
    privatePayload: { statementLineIds: sIds, ledgerLineIds: lIds, note: input.note ?? null },
  });
  return matchView(trx, matchId);
}

/** DELETE /reconciliation/matches/:id */
export async function deleteMatch(trx: Knex.Transaction, actor: string, matchId: number) {
  const before = await matchView(trx, matchId);
  const s = await lockOpenStatement(trx, before.statementId);
  const latest = [...before.statementLines.map((l) => l.date), ...before.ledgerLines.map((l) => l.date)].sort().at(-1)!;
  await refuseIfFrozen(trx, s.fund, latest);
  await trx('reconciliation_matches').where({ id: matchId }).delete();
  await appendAudit(trx, {
    actor, action: 'reconciliation.unmatched', subject: `bank-statement:${s.id}`,
    publicPayload: { fund: s.fund, matchId },
    privatePayload: { rule: before.rule, statementLineIds: before.statementLines.map((l) => l.id), ledgerLineIds: before.ledgerLines.map((l) => l.id) },
  });
  return { ...before, deleted: true };
}

/**
 * Withdraws a wrongly imported statement (wrong fund, wrong period, wrong file) so the right one can be
 * imported: only while it is open and has no match; the audit row keeps its fingerprint and counts.
 */
export async function deleteStatement(trx: Knex.Transaction, actor: string, id: number) {
  const s = await lockOpenStatement(trx, id);
  const matched = await trx('reconciliation_matches').where({ statement_id: id }).first('id');
  if (matched) throw conflict('invalid_state', `statement ${id} has matches: undo them first`, { statementId: id });
  const lines = await trx('bank_statement_lines').where({ statement_id: id }).delete();
  await trx('bank_statements').where({ id }).delete();
  await appendAudit(trx, {
    actor, action: 'reconciliation.statement_deleted', subject: `bank-statement:${id}`,
    publicPayload: { fund: s.fund, periodFrom: s.period_from, periodTo: s.period_to, lineCount: lines },
    privatePayload: { fingerprint: s.fingerprint },
  });
  return { id, deleted: true, lineCount: lines };
}

interface ReportLine {
  id: number;
  date: string;
  amount: string;
  description: string;
}

/**
 * GET /bank-statements/:id/reconciliation, as at the statement's period end (periodTo):
 *   difference = statement closing balance − ledger 1002 balance at periodTo
 * What may explain it (timing differences, as a bank reconciliation allows):
 *   - ledger lines dated up to periodTo that the bank had not cleared by periodTo (payments and deposits in
 *     transit): `unmatchedLedgerLines`, total `ledgerItemsNotInBank`;
 *   - bank lines matched to ledger lines booked after periodTo: `bankItemsBookedLater`;
 *   - a reversed entry and its reversal, both unmatched, cancel out (`cancelledLedgerLines`).
 * What does not: bank lines no ledger line answers yet (`unmatchedStatementLines`, e.g. a bank fee not
 * booked, or two payments of one amount a person has to tell apart), and an opening balance the ledger does
 * not agree with. They stay in
 *   unexplainedDifference = difference + ledgerItemsNotInBank − bankItemsBookedLater,
 * which must be zero to close. Bank lines of this and earlier statements of the fund count; a match is
 * cleared at periodTo when every line in it is dated on or before periodTo.
 */
export async function reconciliationReport(db: Db, id: number) {
  const s = await findStatement(db, id);
  const periodTo = s.period_to;
  const scope = (await db('bank_statements').where({ fund: s.fund }).where('period_to', '<=', periodTo).select('id', 'period_from'))
    .map((r) => ({ id: idOf(r), periodFrom: String(r.period_from) }));
  const scopeFrom = scope.reduce((min, r) => (r.periodFrom < min ? r.periodFrom : min), s.period_from);
  const scopeIds = scope.map((r) => r.id);
  // One after the other: db may be a transaction (one connection).
  const ledgerBalance = await bankBalanceAsOf(db, s.fund, periodTo);
  const ledger = await bankLines(db, s.fund, scopeFrom, periodTo);
  // Matches of the fund that are not cleared at periodTo: some line in them is dated after it.
  const late = await db.raw(
    `SELECT m.id FROM reconciliation_matches m JOIN bank_statements b ON b.id = m.statement_id
      WHERE b.fund = ?
        AND (EXISTS (SELECT 1 FROM reconciliation_match_statement_lines ms JOIN bank_statement_lines l ON l.id = ms.statement_line_id WHERE ms.match_id = m.id AND l.date > ?)
          OR EXISTS (SELECT 1 FROM reconciliation_match_ledger_lines ml WHERE ml.match_id = m.id AND ml.date > ?))`,
    [s.fund, periodTo, periodTo],
  );
  const notCleared = new Set<number>(late.rows.map(idOf));
  const stmtLines = await db('bank_statement_lines as l')
    .leftJoin('reconciliation_match_statement_lines as ms', 'ms.statement_line_id', 'l.id')
    .whereIn('l.statement_id', scopeIds).where('l.date', '<=', periodTo).whereNot('l.amount', 0) // information lines are no open item
    .orderBy(['l.date', 'l.id'])
    .select('l.id', 'l.statement_id', 'l.date', 'l.amount', 'l.description', 'ms.match_id')
    .then((rs) => rs.map((r) => decodeStatementLine(r, ['id', 'statement_id', 'date', 'amount', 'description', 'match_id'])));
  const ledgerMatch = new Map<number, number>();
  if (ledger.length) {
    const rows = await db('reconciliation_match_ledger_lines').where({ fund: s.fund }).whereBetween('date', [scopeFrom, periodTo]).select('ledger_line_id', 'match_id');
    for (const r of rows) ledgerMatch.set(Number(r.ledger_line_id), Number(r.match_id));
  }
  const unmatchedStatementLines: (ReportLine & { statementId: number })[] = [];
  const bookedLater: (ReportLine & { statementId: number; matchId: number })[] = [];
  let matchedTotal = new Decimal(0);
  for (const l of stmtLines) {
    const mid = l.match_id;
    const line = { id: l.id, statementId: l.statement_id, date: l.date, amount: money(l.amount), description: l.description };
    if (mid !== null && l.statement_id === s.id) matchedTotal = matchedTotal.plus(l.amount);
    if (mid === null) unmatchedStatementLines.push(line);
    else if (notCleared.has(mid)) bookedLater.push({ ...line, matchId: mid });
  }
  let outstanding = ledger.filter((l) => {
    const mid = ledgerMatch.get(l.lineId);
    return mid === undefined || notCleared.has(mid);
  });
  // A reversed entry and its reversal (sourceRef = the original's number), both outstanding, cancel out.
  const byNumber = new Map(outstanding.filter((l) => l.reversed).map((l) => [l.entryNumber, l]));
  const cancelled = new Set<number>();
  for (const r of outstanding) {
    if (!r.reversed || !r.sourceRef) continue;
    const o = byNumber.get(r.sourceRef);
    if (o && o.lineId !== r.lineId && !cancelled.has(o.lineId) && new Decimal(o.amount).plus(r.amount).isZero()) {
      cancelled.add(o.lineId);
      cancelled.add(r.lineId);
    }
  }
  const cancelledLedgerLines = outstanding.filter((l) => cancelled.has(l.lineId)).map(ledgerReportLine);
  outstanding = outstanding.filter((l) => !cancelled.has(l.lineId));
  const unmatchedLedgerLines = outstanding.map(ledgerReportLine);
  const difference = new Decimal(s.closing_balance).minus(ledgerBalance);
  const bankOnly = sum(unmatchedStatementLines.map((l) => l.amount));
  const later = sum(bookedLater.map((l) => l.amount));
  const inTransit = sum(unmatchedLedgerLines.map((l) => l.amount));
  const unexplained = difference.plus(inTransit).minus(later);
  invariant(sum(cancelledLedgerLines.map((l) => l.amount)).isZero(), 'cancelled ledger lines must net to zero');
  return {
    statementId: s.id,
    fund: s.fund,
    periodFrom: s.period_from,
    periodTo,
    status: s.status,
    statementClosingBalance: money(s.closing_balance),
    ledgerBalance: money(ledgerBalance),
    matchedTotal: money(matchedTotal),
    unmatchedStatementLines,
    unmatchedLedgerLines,
    difference: money(difference),
    explained: {
      ledgerItemsNotInBank: money(inTransit),
      bankItemsBookedLater: money(later),
      bookedLaterLines: bookedLater,
      cancelledLedgerLines,
      /** Not an explanation: bank lines still to book or match (fees, interest, ambiguous payments). */
      bankItemsNotInLedger: money(bankOnly),
      /** The rest: the opening balance against the ledger, or a statement missing between two others. */
      other: money(unexplained.minus(bankOnly)),
    },
    unexplainedDifference: money(unexplained),
    canClose: s.status === 'open' && unexplained.isZero(),
  };
}

const ledgerReportLine = (l: LedgerBankLine): ReportLine & { entryNumber: string; reversed: boolean } => ({
  id: l.lineId, date: l.date, amount: l.amount, description: l.description, entryNumber: l.entryNumber, reversed: l.reversed,
});

/** POST /bank-statements/:id/close: only when the unexplained difference is zero; then nothing changes. */
export async function closeStatement(trx: Knex.Transaction, actor: string, id: number) {
  const s = await lockOpenStatement(trx, id);
  const report = await reconciliationReport(trx, id);
  if (!new Decimal(report.unexplainedDifference).isZero()) {
    throw unprocessable('unreconciled_difference', `the reconciliation leaves ${report.unexplainedDifference} unexplained; match or book the open items first`, {
      difference: report.difference, unexplainedDifference: report.unexplainedDifference,
      unmatchedStatementLines: report.unmatchedStatementLines.length, unmatchedLedgerLines: report.unmatchedLedgerLines.length,
    });
  }
  const [row] = await trx('bank_statements').where({ id }).update({ status: 'closed', closed_by: actor, closed_at: clock.now() }).returning('*');
  await appendAudit(trx, {
    actor, action: 'reconciliation.closed', subject: `bank-statement:${id}`,
    publicPayload: { fund: s.fund, periodTo: s.period_to, statementClosingBalance: report.statementClosingBalance, ledgerBalance: report.ledgerBalance },
    privatePayload: { difference: report.difference, ledgerItemsNotInBank: report.explained.ledgerItemsNotInBank, bankItemsBookedLater: report.explained.bankItemsBookedLater },
  });
  return { ...statementView(decodeStatement(row)), reconciliation: { ...report, status: 'closed', canClose: false } };
}

