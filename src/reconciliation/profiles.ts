// Import profiles (a layout mapped once, per bank and account) and the statement preview. A profile names,
// per meaning, the header (or 0-based column index) of a file the reader does not recognise; later imports of
// that fund or account use it. The preview reads a file as the import would and stores nothing.
import type { Knex } from 'knex';
import Joi from 'joi';
import type { Router } from 'express';
import type { Db } from '../platform/db';
import { appendAudit } from '../audit';
import { clock, dateSchema } from '../platform/clock';
import { Decimal, signedAmountSchema } from '../platform/money';
import { badRequest, conflict, notFound } from '../platform/errors';
import { intCursor, pageQuery } from '../platform/paging';
import { defineRoute, type AppContext } from '../http/route';
import { getFund } from '../ledger';
import { MAX_FILE_CHARS, MAX_STATEMENT_LINES, STATEMENT_FORMATS, StatementFileError, type ParsedStatementLine, type StatementProblem } from './model';
import { parseStatementFile, type StatementFile } from './parse';
import { Problems, StatementCurrencyError, assertStatementCurrency } from './parse/common';
import { csvRecords } from './parse/csv';
import { accountsAgree, metaPairs } from './parse/layouts';
import { MAX_COLUMNS, type ColumnMapping, type DateFormat, type DetectedLayout } from './parse/table';
import { decodeTableBytes, readTableFile } from './parse/tabular';

export interface ProfileInput {
  name: string;
  bank?: string | null;
  fund?: string | null;
  account?: string | null;
  headerRow?: number | null;
  columns: ColumnMapping['columns'];
  dateFormat?: DateFormat | null;
  encoding?: 'utf-8' | 'gbk' | null;
}

interface ProfileRow {
  id: number;
  name: string;
  bank: string | null;
  fund: string | null;
  account: string | null;
  header_row: number | null;
  columns: ColumnMapping['columns'];
  date_format: DateFormat | null;
  encoding: 'utf-8' | 'gbk' | null;
  created_by: string;
  created_at: Date;
  updated_by: string;
  updated_at: Date;
}

export const profileView = (p: ProfileRow) => ({
  id: p.id, name: p.name, bank: p.bank, fund: p.fund, account: p.account, headerRow: p.header_row, columns: p.columns,
  dateFormat: p.date_format, encoding: p.encoding, createdBy: p.created_by, createdAt: new Date(p.created_at).toISOString(),
  updatedBy: p.updated_by, updatedAt: new Date(p.updated_at).toISOString(),
});

const mappingOf = (p: ProfileRow): ColumnMapping => ({ headerRow: p.header_row, columns: p.columns, dateFormat: p.date_format });
/** The foundation's own account, shortened for the public audit payload. */
const maskAccount = (a: string | null | undefined) => (a ? `****${a.replace(/[\s-]/g, '').slice(-4)}` : null);

async function checkFund(db: Db, fund: string | null | undefined) {
  if (fund && !(await getFund(db, fund))) throw notFound(`fund ${fund}`);
}

const rowOf = (input: ProfileInput) => ({
  name: input.name.trim(), bank: input.bank ?? null, fund: input.fund ?? null, account: input.account?.trim() || null, header_row: input.headerRow ?? null,
  columns: JSON.stringify(input.columns), date_format: input.dateFormat ?? null, encoding: input.encoding ?? null,
});

async function refuseSameName(db: Db, name: string, exceptId?: number) {
  const q = db('bank_import_profiles').whereRaw('lower(name) = lower(?)', [name.trim()]);
  if (exceptId) q.whereNot({ id: exceptId });
  const same = await q.first('id');
  if (same) throw conflict('duplicate_profile', `an import profile named "${name.trim()}" exists (profile ${same.id})`, { profileId: same.id });
}

export async function createProfile(trx: Knex.Transaction, actor: string, input: ProfileInput) {
  await checkFund(trx, input.fund);
  await refuseSameName(trx, input.name);
  const now = clock.now();
  const [row] = await trx('bank_import_profiles').insert({ ...rowOf(input), created_by: actor, created_at: now, updated_by: actor, updated_at: now }).returning('*');
  await appendAudit(trx, {
    actor, action: 'reconciliation.profile_created', subject: `bank-import-profile:${row.id}`,
    publicPayload: { name: row.name, bank: row.bank, fund: row.fund, account: maskAccount(row.account) },
    privatePayload: { account: row.account, headerRow: row.header_row, columns: row.columns, dateFormat: row.date_format, encoding: row.encoding },
  });
  return profileView(row);
}

export async function updateProfile(trx: Knex.Transaction, actor: string, id: number, input: ProfileInput) {
  const old = await trx('bank_import_profiles').where({ id }).forUpdate().first();
  if (!old) throw notFound(`import profile ${id}`);
  await checkFund(trx, input.fund);
  await refuseSameName(trx, input.name, id);
  const [row] = await trx('bank_import_profiles').where({ id }).update({ ...rowOf(input), updated_by: actor, updated_at: clock.now() }).returning('*');
  await appendAudit(trx, {
    actor, action: 'reconciliation.profile_updated', subject: `bank-import-profile:${id}`,
    publicPayload: { name: row.name, bank: row.bank, fund: row.fund, account: maskAccount(row.account) },
    privatePayload: { before: profileView(old), account: row.account, headerRow: row.header_row, columns: row.columns, dateFormat: row.date_format, encoding: row.encoding },
  });
  return profileView(row);
}

export async function deleteProfile(trx: Knex.Transaction, actor: string, id: number) {
  const old = await trx('bank_import_profiles').where({ id }).forUpdate().first();
  if (!old) throw notFound(`import profile ${id}`);
  await trx('bank_import_profiles').where({ id }).delete();
  await appendAudit(trx, {
    actor, action: 'reconciliation.profile_deleted', subject: `bank-import-profile:${id}`,
    publicPayload: { name: old.name, fund: old.fund },
    privatePayload: { profile: profileView(old) },
  });
  return { id, deleted: true };
}

export async function getProfile(db: Db, id: number) {
  const p = await db('bank_import_profiles').where({ id }).first();
  if (!p) throw notFound(`import profile ${id}`);
  return profileView(p);
}

export async function listProfiles(db: Db, q: { fund?: string; limit: number; cursor?: string }) {
  const query = db('bank_import_profiles').orderBy('id').limit(q.limit + 1);
  if (q.fund) query.where({ fund: q.fund });
  if (q.cursor) query.where('id', '>', Number(q.cursor));
  const rows = await query;
  const items = rows.slice(0, q.limit).map(profileView);
  return { items, nextCursor: rows.length > q.limit ? String(items[items.length - 1]!.id) : null };
}

/** The account number printed above the header of a CSV file (cheap: the first rows only). */
function peekAccount(file: StatementFile): string | null {
  if (file.format !== 'csv') return null;
  let text = file.content ?? '';
  if (file.contentBase64 !== undefined) {
    try {
      text = decodeTableBytes(Buffer.from(file.contentBase64.slice(0, 40_000), 'base64'), file.encoding).text;
    } catch {
      return null;
    }
  }
  let n = 0;
  try {
    for (const { cells } of csvRecords(text.slice(0, 20_000).replace(/^\ufeff/, ''))) {
      const account = metaPairs(cells).find(([k, v]) => k === 'account' && /\d/.test(v));
      if (account) return account[1];
      if (++n >= 40) break;
    }
  } catch {
    // a broken quote: the full read names it
  }
  return null;
}

/**
 * The profile an import uses: the one named, else one saved for the file's account (masked numbers agree
 * with full ones), else one of the fund without an account or with the file's; the latest updated wins.
 * Never for camt.053 or MT940 (they have no columns).
 */
export async function resolveProfile(db: Db, file: StatementFile & { fund?: string; profileId?: number }): Promise<ProfileRow | null> {
  if (file.profileId !== undefined) {
    const p = await db('bank_import_profiles').where({ id: file.profileId }).first();
    if (!p) throw notFound(`import profile ${file.profileId}`);
    if (!['csv', 'xls', 'xlsx'].includes(file.format)) throw badRequest('an import profile maps the columns of a CSV or spreadsheet file', [{ in: 'body', path: 'profileId', message: `is not for format ${file.format}` }]);
    return p;
  }
  if (!['csv', 'xls', 'xlsx'].includes(file.format)) return null;
  const candidates: ProfileRow[] = await db('bank_import_profiles')
    .where((q) => { if (file.fund) q.where({ fund: file.fund }); q.orWhereNotNull('account'); })
    .orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(200);
  if (!candidates.length) return null;
  const fileAccount = candidates.some((p) => p.account) ? peekAccount(file) : null;
  if (fileAccount) {
    const byAccount = candidates.find((p) => p.account && accountsAgree(p.account, fileAccount));
    if (byAccount) return byAccount;
  }
  return candidates.find((p) => file.fund && p.fund === file.fund && (!p.account || !fileAccount)) ?? null;
}

/** The file read with a profile's mapping and encoding (the request's own encoding wins). */
export const withProfile = (file: StatementFile, p: ProfileRow | null): [StatementFile, ColumnMapping | undefined] =>
  p ? [{ ...file, ...(file.encoding === undefined && p.encoding ? { encoding: p.encoding } : {}) }, mappingOf(p)] : [file, undefined];

export interface PreviewInput extends Partial<Omit<StatementFile, 'format'>> {
  format: StatementFile['format'];
  fund?: string;
  profileId?: number;
}

const lineView = (l: ParsedStatementLine) => ({
  line: l.lineNo, date: l.date, amount: l.amount, balance: l.balance, counterparty: l.counterparty,
  counterpartyAccount: l.counterpartyAccount ?? null, description: l.description, reference: l.reference, information: new Decimal(l.amount).isZero(),
});

/**
 * POST /bank-statements/preview: the layout as detected (or as the profile maps it), the first 20 lines,
 * the number of lines and every problem by line; nothing is stored, nothing audited. A file that the import
 * would refuse is still a 200 here: its problems are the answer.
 */
export async function previewStatement(db: Db, input: PreviewInput) {
  let bankAccount: string | null | undefined;
  if (input.fund) {
    const fund = await getFund(db, input.fund);
    if (!fund) throw notFound(`fund ${input.fund}`);
    bankAccount = (fund as { bankAccount?: string | null }).bankAccount;
  }
  const profile = await resolveProfile(db, input as StatementFile & { fund?: string; profileId?: number });
  const [file, mapping] = withProfile(input as StatementFile, profile);
  const problems = new Problems();
  let lines: ParsedStatementLine[] = [];
  let layout: DetectedLayout = { headerRow: null, order: 'oldest_first', columns: [] };
  let encoding = 'utf-8';
  let fileRows: { line: number; cells: string[] }[] = [];
  if (file.format === 'csv' || file.format === 'xls' || file.format === 'xlsx') {
    const r = readTableFile({ ...file, format: file.format }, problems, mapping);
    ({ lines, layout, encoding } = r);
    fileRows = r.fileRows;
    try {
      assertStatementCurrency(layout.currency ?? null);
    } catch (e) {
      if (!(e instanceof StatementCurrencyError)) throw e;
      problems.add(null, `currency_mismatch: ${e.message}`);
    }
    if (bankAccount && layout.account && !accountsAgree(bankAccount, layout.account)) {
      problems.add(null, `the file is of account ${layout.account}, the fund's bank account is ${bankAccount}`);
    }
  } else if (file.periodFrom && file.periodTo && file.openingBalance !== undefined && file.closingBalance !== undefined) {
    // camt.053 / MT940 have no columns: the preview is the import's own reading.
    try {
      const r = parseStatementFile({ ...file, bankAccount } as StatementFile);
      lines = r.lines;
      encoding = r.encoding;
    } catch (e) {
      if (e instanceof StatementFileError) for (const p of e.problems) problems.add(p.line, p.problem, p.column);
      else if (e instanceof StatementCurrencyError) problems.add(e.line, `currency_mismatch: ${e.message}`);
      else throw e;
    }
  } else {
    problems.add(null, `a ${file.format} preview needs periodFrom, periodTo, openingBalance and closingBalance`);
  }
  return {
    format: file.format,
    encoding,
    ...(layout.bank ? { bank: layout.bank } : {}),
    headerRow: layout.headerRow,
    order: layout.order,
    columns: layout.columns,
    ...(layout.account ? { account: layout.account } : {}),
    ...(layout.currency ? { currency: layout.currency } : {}),
    ...(layout.periodFrom ? { periodFrom: layout.periodFrom } : {}),
    ...(layout.periodTo ? { periodTo: layout.periodTo } : {}),
    ...(layout.openingBalance ? { openingBalance: layout.openingBalance } : {}),
    ...(layout.closingBalance ? { closingBalance: layout.closingBalance } : {}),
    profileId: profile?.id ?? null,
    rows: lines.slice(0, 20).map(lineView),
    lineCount: lines.length,
    informationLines: lines.filter((l) => new Decimal(l.amount).isZero()).length,
    problems: problems.list as StatementProblem[],
    fileRows,
  };
}

// --- routes -------------------------------------------------------------------------------------------

const WRITE = ['finance', 'admin'] as const;
const READ = ['finance', 'admin', 'auditor'] as const;
const idParam = Joi.object({ id: Joi.number().integer().min(1).max(2 ** 31 - 1).required() });
const columnRef = Joi.alternatives().try(Joi.string().trim().min(1).max(100), Joi.number().strict().integer().min(0).max(MAX_COLUMNS - 1));
const columnsSchema = Joi.object({
  date: columnRef.required(), time: columnRef, amount: columnRef, in: columnRef, out: columnRef, direction: columnRef, balance: columnRef,
  counterparty: columnRef, counterpartyAccount: columnRef, reference: columnRef, currency: columnRef,
  description: Joi.alternatives().try(columnRef, Joi.array().items(columnRef).min(1).max(4)),
}).or('amount', 'in', 'out').and('in', 'out').required()
  .messages({ 'object.missing': '"columns" needs an amount column, or both in and out', 'object.and': '"columns" needs both in and out, or a signed amount' });
const profileBody = Joi.object({
  name: Joi.string().trim().min(1).max(100).required(),
  bank: Joi.string().trim().max(20).allow(null),
  fund: Joi.string().max(40).allow(null),
  account: Joi.string().trim().max(40).pattern(/^[0-9A-Za-z*\s/-]+$/).allow(null),
  headerRow: Joi.number().strict().integer().min(1).max(1000).allow(null),
  columns: columnsSchema,
  dateFormat: Joi.string().valid('YMD', 'DMY', 'MDY').allow(null),
  encoding: Joi.string().valid('utf-8', 'gbk').allow(null),
});

/** The file fields of POST /bank-statements and its preview. */
export const fileBodyFields = {
  content: Joi.string().allow('').max(MAX_FILE_CHARS),
  contentBase64: Joi.string().allow('').max(Math.ceil((MAX_FILE_CHARS * 4) / 3) + 4).base64({ paddingRequired: false }),
  encoding: Joi.string().valid('utf-8', 'gbk'),
  profileId: Joi.number().strict().integer().min(1).max(2 ** 31 - 1),
};

export function profileRoutes(r: Router, app: AppContext) {
  defineRoute<PreviewInput>(r, app, {
    method: 'post', path: '/bank-statements/preview', tag: 'reconciliation', access: WRITE,
    summary: `Read a statement file as the import would and store nothing: the detected layout (bank, header row, order, each column's meaning, account, currency, period, balances), the first 20 lines, the line count and every problem by line (at most ${MAX_STATEMENT_LINES} lines)`,
    body: Joi.object({
      fund: Joi.string().max(40),
      periodFrom: dateSchema(),
      periodTo: dateSchema(),
      openingBalance: signedAmountSchema(),
      closingBalance: signedAmountSchema(),
      format: Joi.string().valid(...STATEMENT_FORMATS).required(),
      ...fileBodyFields,
    }).xor('content', 'contentBase64'),
    handler: async ({ body }) => previewStatement(app.db, body),
  });
  defineRoute<ProfileInput>(r, app, {
    method: 'post', path: '/bank-import-profiles', tag: 'reconciliation', access: WRITE, write: true, status: 201,
    summary: 'Save an import profile: which header (or 0-based column) holds the date, amounts, balance, counterparty … of a layout, per bank, fund and account; later imports of that fund or account use it',
    body: profileBody,
    handler: async ({ trx, user, body }) => createProfile(trx, user!.username, body),
  });
  defineRoute<unknown, { fund?: string; limit: number; cursor?: string }>(r, app, {
    method: 'get', path: '/bank-import-profiles', tag: 'reconciliation', access: READ,
    summary: 'Import profiles, oldest first, optionally of one fund',
    query: Joi.object({ fund: Joi.string().max(40), ...pageQuery, cursor: intCursor }),
    handler: async ({ query }) => listProfiles(app.db, query),
  });
  defineRoute<unknown, unknown, { id: number }>(r, app, {
    method: 'get', path: '/bank-import-profiles/:id', tag: 'reconciliation', access: READ,
    summary: 'One import profile',
    params: idParam,
    handler: async ({ params }) => getProfile(app.db, params.id),
  });
  defineRoute<ProfileInput, unknown, { id: number }>(r, app, {
    method: 'put', path: '/bank-import-profiles/:id', tag: 'reconciliation', access: WRITE, write: true,
    summary: 'Replace an import profile',
    params: idParam,
    body: profileBody,
    handler: async ({ trx, user, params, body }) => updateProfile(trx, user!.username, params.id, body),
  });
  defineRoute<unknown, unknown, { id: number }>(r, app, {
    method: 'delete', path: '/bank-import-profiles/:id', tag: 'reconciliation', access: WRITE, write: true,
    summary: 'Delete an import profile (statements read with it keep their lines)',
    params: idParam,
    handler: async ({ trx, user, params }) => deleteProfile(trx, user!.username, params.id),
  });
}
