import { Router } from 'express';
import Joi from 'joi';
import { defineRoute, type AppContext } from '../http/route';
import { dateSchema, shanghaiDate } from '../platform/clock';
import { amountSchema } from '../platform/money';
import { pageQuery } from '../platform/paging';
import { BANK_ACCOUNT, FUND_CODE, FUND_KINDS, LIMITS, SOURCES, type LineInput } from './model';
import {
  ENTRY_SORTS, financialPosition, fundBalance, getEntry, getFund, listAccounts, listEntries, listFundsPage, listPeriods, statementOfActivities, trialBalance,
} from './queries';
import type { EntryQuery } from './queries';
import { sortQuery } from '../platform/list-sort';
import { closePeriod, createFund, setFundBankAccount, recordAllocation, recordDonation, reverseEntry, type AllocationInput, type DonationInput, type NewFund } from './service';
import { badRequest, notFound } from '../platform/errors';
import { claimOf } from '../http/idempotency';
import { MAX_BATCH, MAX_BATCH_LINES, postingBatcherFor, tooManyLines } from './batch';

// Who may do what (README role × endpoint table, docs/ledger.md):
//  - money moves (entries, reversals, donations, allocations, closing a month): finance only — an admin
//    manages users and the fund tree but does not keep the books (segregation of duties);
//  - creating funds: admin and finance;
//  - the fund tree and the chart of accounts: any logged-in user (officers pick a fund for an aid case);
//  - a fund's balance: finance, auditor, admin and approvers (an approver decides whether a fund can pay);
//  - journal entries, periods and statements: finance, auditor, admin.
const WRITE = ['finance'] as const;
const FUND_ADMIN = ['admin', 'finance'] as const;
const BOOKS = ['finance', 'auditor', 'admin'] as const;
const BALANCE = ['finance', 'auditor', 'admin', 'approver'] as const;

const fundCode = Joi.string().max(32);
const bankAccount = Joi.string().max(64).pattern(BANK_ACCOUNT).messages({ 'string.pattern.base': '{{#label}} must be letters and digits (spaces, "-" and "/" between them)' });
const accountCode = Joi.string().pattern(/^\d{4}$/).message('{{#label}} must be a four-digit account code');
const dbInt = Joi.number().integer().strict().min(1).max(2147483647);
const line = Joi.object({
  account: accountCode.required(),
  fund: fundCode.required(),
  debit: amountSchema(),
  credit: amountSchema(),
  memo: Joi.string().max(LIMITS.memo).allow(''),
  householdId: dbInt,
  aidCaseId: dbInt,
}).xor('debit', 'credit').messages({ 'object.xor': 'a line is either a debit or a credit, not both', 'object.missing': 'a line needs a debit or a credit' });
const entrySchema = Joi.object({
  date: dateSchema().required(),
  description: Joi.string().min(1).max(LIMITS.description).required(),
  sourceRef: Joi.string().max(LIMITS.sourceRef),
  lines: Joi.array().items(line).min(2).max(LIMITS.lines).required(),
});
type EntryBody = { date: string; description: string; sourceRef?: string; lines: LineInput[] };
const idParam = Joi.object({ id: Joi.number().integer().min(1).max(Number.MAX_SAFE_INTEGER).required() });

export function ledgerRoutes(app: AppContext) {
  const r = Router();

  defineRoute(r, app, {
    method: 'get', path: '/funds', tag: 'ledger', access: 'authenticated',
    summary: 'The fund tree (foundation → districts → enterprise groups / institutions), by code',
    query: Joi.object({ ...pageQuery, limit: pageQuery.limit.default(500), cursor: Joi.string().max(32).pattern(FUND_CODE).message('{{#label}} must be a cursor returned by this list'), parent: fundCode, district: Joi.string().max(8), kind: Joi.string().valid(...FUND_KINDS) }),
    handler: async ({ query }) => listFundsPage(app.db, query),
  });
  defineRoute<NewFund>(r, app, {
    method: 'post', path: '/funds', tag: 'ledger', access: FUND_ADMIN, write: true, status: 201,
    summary: 'Create a fund in the tree (a foundation has no parent; a district fund hangs under a foundation)',
    body: Joi.object({
      code: Joi.string().max(32).pattern(FUND_CODE).required().messages({ 'string.pattern.base': '"code" must be upper-case letters and digits joined by "-", e.g. "WF-CY"' }),
      nameZh: Joi.string().min(1).max(LIMITS.fundName).required(),
      nameEn: Joi.string().min(1).max(LIMITS.fundNameEn).required(),
      kind: Joi.string().valid(...FUND_KINDS).required(),
      parentCode: fundCode.allow(null),
      district: Joi.string().max(8).allow(null),
      restricted: Joi.boolean().strict(),
      bankAccount: bankAccount.allow(null),
    }),
    handler: async ({ trx, user, body }) => createFund(trx, user!.username, body),
  });
  defineRoute<{ bankAccount: string | null }, unknown, { code: string }>(r, app, {
    method: 'patch', path: '/funds/:code', tag: 'ledger', access: FUND_ADMIN, write: true,
    summary: "Set or clear the fund's bank account (picks its statement in a bank file with several accounts); audited",
    params: Joi.object({ code: fundCode.required() }),
    body: Joi.object({ bankAccount: bankAccount.allow(null).required() }),
    handler: async ({ trx, user, params, body }) => setFundBankAccount(trx, user!.username, params.code, body.bankAccount),
  });
  defineRoute<unknown, unknown, { code: string }>(r, app, {
    method: 'get', path: '/funds/:code', tag: 'ledger', access: 'authenticated',
    summary: 'One fund',
    params: Joi.object({ code: fundCode.required() }),
    handler: async ({ params }) => (await getFund(app.db, params.code)) ?? Promise.reject(notFound(`fund ${params.code}`)),
  });
  defineRoute<unknown, { asOf?: string }, { code: string }>(r, app, {
    method: 'get', path: '/funds/:code/balance', tag: 'ledger', access: BALANCE,
    summary: 'Cash (1001), bank (1002), open aid payables (2209 tagged to cases) and available = cash + bank − payables, as of a date',
    params: Joi.object({ code: fundCode.required() }),
    query: Joi.object({ asOf: dateSchema() }),
    handler: async ({ params, query }) => fundBalance(app.db, params.code, { asOf: query.asOf }),
  });
  defineRoute(r, app, {
    method: 'get', path: '/accounts', tag: 'ledger', access: 'authenticated',
    summary: 'The chart of accounts (民间非营利组织会计制度): code, names, type and normal side',
    handler: async () => ({ items: await listAccounts(app.db), nextCursor: null }),
  });

  const batcher = postingBatcherFor(app.db);
  defineRoute<EntryBody>(r, app, {
    method: 'post', path: '/journal-entries', tag: 'ledger', access: WRITE, idempotent: true, status: 201,
    summary: 'Post a manual journal entry: 2–200 lines, balanced per fund (422 unbalanced_entry), no 1001/1002 overdraft at its date or any later date (409 insufficient_funds), not dated after today (422 future_date)',
    body: entrySchema,
    // Group commit (src/ledger/batch.ts): the batcher owns the transaction and claims the key in it.
    ownTransaction: true,
    handler: async ({ user, body, idempotency }) => batcher.post(user!.username, { ...body, source: 'manual' }, idempotency),
  });
  defineRoute<{ atomic?: boolean; entries: (EntryBody & { idempotencyKey?: string })[] }>(r, app, {
    method: 'post', path: '/journal-entries/batch', tag: 'ledger', access: WRITE, idempotent: true, status: 201,
    summary: `Post up to ${MAX_BATCH} manual entries in one request, each with its own idempotencyKey (a retry of an entry gives its first answer, as POST /journal-entries with that key would). atomic (default true): all or nothing, 201, or the first refusal's status and code with every refusal in details; atomic=false: 200 with one result per entry`,
    body: Joi.object({
      atomic: Joi.boolean().strict(),
      entries: Joi.array().items(entrySchema.keys({ idempotencyKey: Joi.string().min(1).max(200).pattern(/^[\x21-\x7e]+$/) })).min(1).max(MAX_BATCH).required()
        .messages({ 'array.max': `a batch holds at most ${MAX_BATCH} entries` }),
    }),
    ownTransaction: true,
    handler: async ({ user, body, req, idempotency }) => {
      const lines = body.entries.reduce((n, e) => n + e.lines.length, 0);
      if (lines > MAX_BATCH_LINES) throw tooManyLines(lines);
      const keys = body.entries.flatMap((e) => (e.idempotencyKey ? [e.idempotencyKey] : []));
      if (new Set(keys).size < keys.length) throw badRequest('two entries of the batch have the same idempotencyKey', [{ in: 'body', path: 'entries', message: 'idempotency keys must differ' }]);
      // Each entry's key is claimed as POST /journal-entries would claim it: the same key and entry there or here give one posting.
      const singlePath = req.originalUrl.split('?')[0]!.replace(/\/batch$/, '');
      const raw = (req.body as { entries: Record<string, unknown>[] }).entries;
      const entries = body.entries.map(({ idempotencyKey, ...entry }, i) => {
        const { idempotencyKey: _k, ...rawEntry } = raw[i]!;
        return {
          input: { ...entry, source: 'manual' as const },
          claim: idempotencyKey ? claimOf({ userId: user!.id, key: idempotencyKey, method: 'post', path: singlePath, body: rawEntry }) : undefined,
        };
      });
      return batcher.postBatch(user!.username, body.atomic ?? true, entries, idempotency);
    },
  });
  defineRoute<unknown, EntryQuery>(r, app, {
    method: 'get', path: '/journal-entries', tag: 'ledger', access: BOOKS,
    summary: 'Journal entries with their lines, newest first; filter by fund, account, date range, source; q searches the number and description; sort= one of id, date, number, source, createdAt (- for descending); withTotal=true adds total',
    query: Joi.object({ fund: fundCode, account: accountCode, from: dateSchema(), to: dateSchema(), source: Joi.string().valid(...SOURCES), q: Joi.string().trim().max(100).allow(''), ...pageQuery, ...sortQuery(ENTRY_SORTS) }),
    handler: async ({ query }) => listEntries(app.db, query),
  });
  defineRoute<unknown, unknown, { id: number }>(r, app, {
    method: 'get', path: '/journal-entries/:id', tag: 'ledger', access: BOOKS,
    summary: 'One journal entry with its lines (and the reversal that points at it, if any)',
    params: idParam,
    handler: async ({ params }) => (await getEntry(app.db, params.id)) ?? Promise.reject(notFound('journal entry')),
  });
  defineRoute<{ date?: string; reason: string }, unknown, { id: number }>(r, app, {
    method: 'post', path: '/journal-entries/:id/reverse', tag: 'ledger', access: WRITE, idempotent: true, status: 201,
    summary: 'Reverse an entry once (409 invalid_state after); dated in the first open period if the date is in a closed one; 409 insufficient_funds if it would leave cash/bank negative at any date from its own; 422 future_date',
    params: idParam,
    body: Joi.object({ date: dateSchema(), reason: Joi.string().min(1).max(LIMITS.reason).required() }),
    handler: async ({ trx, user, params, body }) => reverseEntry(trx, user!.username, params.id, body),
  });

  defineRoute<DonationInput>(r, app, {
    method: 'post', path: '/donations', tag: 'ledger', access: WRITE, idempotent: true, status: 201,
    summary: 'Record a donation into a fund: Dr 1002 / Cr 4101 (not dated after today: 422 future_date). The public log shows the donor masked (individuals), named (organisations) or 匿名',
    body: Joi.object({
      fund: fundCode.required(),
      amount: amountSchema().required(),
      date: dateSchema().required(),
      donor: Joi.object({
        name: Joi.string().min(1).max(LIMITS.donorName).allow(null),
        kind: Joi.string().valid('individual', 'organization').required(),
        anonymous: Joi.boolean().strict().required(),
      }).required(),
      restricted: Joi.boolean().strict(),
      purpose: Joi.string().max(LIMITS.description),
      reference: Joi.string().max(LIMITS.sourceRef),
    }),
    handler: async ({ trx, user, body }) => recordDonation(trx, user!.username, body),
  });
  defineRoute<AllocationInput>(r, app, {
    method: 'post', path: '/allocations', tag: 'ledger', access: WRITE, idempotent: true, status: 201,
    summary: 'Allocate money from one fund to another: Dr 5402 / Cr 1002 in the source, Dr 1002 / Cr 4902 in the target (409 insufficient_funds if the source lacks it on that date or any later one; 422 future_date)',
    body: Joi.object({
      fromFund: fundCode.required(),
      toFund: fundCode.required(),
      amount: amountSchema().required(),
      date: dateSchema().required(),
      purpose: Joi.string().min(1).max(LIMITS.description).required(),
    }),
    handler: async ({ trx, user, body }) => recordAllocation(trx, user!.username, body),
  });

  defineRoute<unknown, { year?: number; limit: number; cursor?: string }>(r, app, {
    method: 'get', path: '/periods', tag: 'ledger', access: BOOKS,
    summary: 'Accounting periods (months) from the first posting to now, open or closed',
    query: Joi.object({ year: Joi.number().integer().min(2000).max(2099), ...pageQuery, limit: pageQuery.limit.default(500), cursor: Joi.string().pattern(/^\d{4}-\d{2}$/) }),
    handler: async ({ query }) => listPeriods(app.db, query),
  });
  defineRoute<unknown, unknown, { period: string }>(r, app, {
    method: 'post', path: '/periods/:period/close', tag: 'ledger', access: WRITE, write: true,
    summary: 'Close a month (YYYY-MM): refused while an earlier month is open or before the month has ended',
    params: Joi.object({ period: Joi.string().pattern(/^(20\d\d)-(0[1-9]|1[0-2])$/).required().messages({ 'string.pattern.base': 'the period must be a month YYYY-MM' }) }),
    handler: async ({ trx, user, params }) => closePeriod(trx, user!.username, params.period),
  });

  const statementQuery = { fund: fundCode, subtree: Joi.boolean() };
  defineRoute<unknown, { asOf?: string; fund?: string; subtree?: boolean }>(r, app, {
    method: 'get', path: '/reports/trial-balance', tag: 'statements', access: BOOKS,
    summary: 'Trial balance as of a date, per (account, fund); one fund (subtree=true: with the funds below it) or consolidated',
    query: Joi.object({ asOf: dateSchema(), ...statementQuery }),
    handler: async ({ query }) => trialBalance(app.db, query),
  });
  defineRoute<unknown, { asOf?: string; fund?: string; subtree?: boolean }>(r, app, {
    method: 'get', path: '/reports/financial-position', tag: 'statements', access: BOOKS,
    summary: 'Statement of financial position (资产负债表) as of a date: assets = liabilities + net assets',
    query: Joi.object({ asOf: dateSchema(), ...statementQuery }),
    handler: async ({ query }) => financialPosition(app.db, query),
  });
  defineRoute<unknown, { from?: string; to?: string; fund?: string; subtree?: boolean }>(r, app, {
    method: 'get', path: '/reports/activities', tag: 'statements', access: BOOKS,
    summary: 'Statement of activities (业务活动表) for a date range; consolidated views eliminate 4902/5402 transfers',
    query: Joi.object({ from: dateSchema(), to: dateSchema(), ...statementQuery }),
    handler: async ({ query }) => {
      const to = query.to ?? shanghaiDate();
      return statementOfActivities(app.db, { from: query.from ?? `${to.slice(0, 4)}-01-01`, to, fund: query.fund, subtree: query.subtree });
    },
  });
  return r;
}
