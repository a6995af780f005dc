import { Router } from 'express';
import Joi from 'joi';
import { defineRoute, type AppContext } from '../http/route';
import { dateSchema } from '../platform/clock';
import { signedAmountSchema } from '../platform/money';
import { intCursor, pageQuery } from '../platform/paging';
import { sortQuery } from '../platform/list-sort';
import { MAX_FILE_CHARS, MAX_MATCH_LINES, MULTI_STATEMENT_FORMATS, STATEMENT_FORMATS } from './model';
import { fileBodyFields, profileRoutes } from './profiles';
import {
  closeStatement, configureMatchWindow, createManualMatch, deleteMatch, deleteStatement, getMatch, getStatement, importStatement, listStatements,
  reconciliationReport, runAutoMatch, importEachStatement, STATEMENT_SORTS, type ImportEachInput, type ImportInput, type ManualMatchInput, type StatementQuery,
} from './service';

const WRITE = ['finance', 'admin'] as const;
const READ = ['finance', 'admin', 'auditor'] as const;
const id = Joi.object({ id: Joi.number().integer().min(1).max(2 ** 31 - 1).required() });
const lineIds = Joi.array().items(Joi.number().strict().integer().min(1).max(Number.MAX_SAFE_INTEGER)).min(1).max(MAX_MATCH_LINES).unique();

export function reconciliationRoutes(app: AppContext) {
  configureMatchWindow(app.config.reconcileMatchWindowDays);
  const r = Router();
  // statements: "all" (camt.053, MT940) imports each statement of the file as its own, period and balances
  // from the file: then fund is optional and the declared period and balances are not sent.
  const eachOrRequired = <T extends Joi.Schema>(s: T) => s.when('statements', { is: Joi.exist(), then: Joi.forbidden(), otherwise: Joi.required() });
  defineRoute<ImportInput | ImportEachInput>(r, app, {
    method: 'post', path: '/bank-statements', tag: 'reconciliation', access: WRITE, write: true, status: 201,
    summary: 'Import a bank statement (CSV in UTF-8, UTF-16 or GBK, XLS/XLSX as contentBase64, camt.053 XML or MT940) for a fund, read with a saved import profile when one applies (profileId, or the fund\'s/account\'s); a bad file is a 400 naming the line, a foreign currency 422 currency_mismatch, nothing stored. statements: "all" imports each statement of a camt.053/MT940 file as its own statement of the fund whose bankAccount it names → {statements, skipped}',
    body: Joi.object({
      fund: Joi.string().max(40).when('statements', { is: Joi.exist(), then: Joi.optional(), otherwise: Joi.required() }),
      periodFrom: eachOrRequired(dateSchema()),
      periodTo: eachOrRequired(dateSchema()),
      openingBalance: eachOrRequired(signedAmountSchema()),
      closingBalance: eachOrRequired(signedAmountSchema()),
      statements: Joi.string().valid('all').when('format', { is: Joi.valid(...MULTI_STATEMENT_FORMATS), otherwise: Joi.forbidden().messages({ 'any.unknown': '"statements" is only for camt053 and mt940 files' }) }),
      format: Joi.string().valid(...STATEMENT_FORMATS).required(),
      content: Joi.string().allow('').max(MAX_FILE_CHARS),
      contentBase64: Joi.string().allow('').max(Math.ceil((MAX_FILE_CHARS * 4) / 3) + 4).base64({ paddingRequired: false }),
      encoding: Joi.string().valid('utf-8', 'gbk'),
      profileId: fileBodyFields.profileId,
    }).xor('content', 'contentBase64'),
    handler: async ({ trx, user, body }) => ('statements' in body && body.statements === 'all' ? importEachStatement(trx, user!.username, body) : importStatement(trx, user!.username, body as ImportInput)),
  });
  profileRoutes(r, app); // POST /bank-statements/preview and /bank-import-profiles
  defineRoute<unknown, StatementQuery>(r, app, {
    method: 'get', path: '/bank-statements', tag: 'reconciliation', access: READ,
    summary: 'Imported statements, newest first; filters fund, status (open/closed), from/to (the statement period overlaps); sort= one of id, fund, periodFrom, periodTo, status, closingBalance, importedAt (- for descending); withTotal=true adds total',
    query: Joi.object({ fund: Joi.string().max(40), status: Joi.string().valid('open', 'closed'), from: dateSchema(), to: dateSchema(), ...pageQuery, ...sortQuery(STATEMENT_SORTS) }),
    handler: async ({ query }) => listStatements(app.db, query),
  });
  defineRoute<unknown, { limit: number; cursor?: string }, { id: number }>(r, app, {
    method: 'get', path: '/bank-statements/:id', tag: 'reconciliation', access: READ,
    summary: 'A statement with its lines (paged: limit, cursor) and the match each line is in',
    params: id,
    query: Joi.object({ ...pageQuery, limit: Joi.number().integer().min(1).max(500).default(500), cursor: intCursor }),
    handler: async ({ params, query }) => getStatement(app.db, params.id, query),
  });
  defineRoute<{ windowDays?: number }, unknown, { id: number }>(r, app, {
    method: 'post', path: '/bank-statements/:id/auto-match', tag: 'reconciliation', access: WRITE, write: true,
    summary: 'Match unmatched statement lines one-to-one to 1002 ledger lines of the fund (exact amount and side, date window, reference preferred); ambiguous lines are left',
    params: id,
    body: Joi.object({ windowDays: Joi.number().strict().integer().min(0).max(31) }),
    handler: async ({ trx, user, params, body }) => runAutoMatch(trx, user!.username, params.id, body),
  });
  defineRoute<unknown, unknown, { id: number }>(r, app, {
    method: 'get', path: '/bank-statements/:id/reconciliation', tag: 'reconciliation', access: READ,
    summary: 'The reconciliation at the period end: balances, matched total, unmatched lines of both sides, the difference and what explains it',
    params: id,
    handler: async ({ params }) => reconciliationReport(app.db, params.id),
  });
  defineRoute<unknown, unknown, { id: number }>(r, app, {
    method: 'post', path: '/bank-statements/:id/close', tag: 'reconciliation', access: WRITE, write: true,
    summary: 'Close the reconciliation (only when the unexplained difference is zero); a closed one cannot change',
    params: id,
    handler: async ({ trx, user, params }) => closeStatement(trx, user!.username, params.id),
  });
  defineRoute<ManualMatchInput>(r, app, {
    method: 'post', path: '/reconciliation/matches', tag: 'reconciliation', access: WRITE, write: true, status: 201,
    summary: 'Match by hand: one statement line to one or several ledger lines, or several statement lines to one ledger line, when the amounts sum exactly',
    body: Joi.object({ statementLineIds: lineIds.required(), ledgerLineIds: lineIds.required(), note: Joi.string().max(500) }),
    handler: async ({ trx, user, body }) => createManualMatch(trx, user!.username, body),
  });
  defineRoute<unknown, unknown, { id: number }>(r, app, {
    method: 'get', path: '/reconciliation/matches/:id', tag: 'reconciliation', access: READ,
    summary: 'One match with its lines, rule and score',
    params: Joi.object({ id: Joi.number().integer().min(1).max(Number.MAX_SAFE_INTEGER).required() }),
    handler: async ({ params }) => getMatch(app.db, params.id),
  });
  defineRoute<unknown, unknown, { id: number }>(r, app, {
    method: 'delete', path: '/reconciliation/matches/:id', tag: 'reconciliation', access: WRITE, write: true,
    summary: 'Undo a match (not in a closed reconciliation)',
    params: Joi.object({ id: Joi.number().integer().min(1).max(Number.MAX_SAFE_INTEGER).required() }),
    handler: async ({ trx, user, params }) => deleteMatch(trx, user!.username, params.id),
  });
  defineRoute<unknown, unknown, { id: number }>(r, app, {
    method: 'delete', path: '/bank-statements/:id', tag: 'reconciliation', access: WRITE, write: true,
    summary: 'Withdraw a wrongly imported statement: only while it is open and has no match',
    params: id,
    handler: async ({ trx, user, params }) => deleteStatement(trx, user!.username, params.id),
  });
  return r;
}
