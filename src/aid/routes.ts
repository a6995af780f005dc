import { Router } from 'express';
import Joi from 'joi';
import { defineRoute, type AppContext } from '../http/route';
import { perClientLimit } from '../http/rate-limit';
import { cachedPublic } from '../http/conditional';
import { amountSchema } from '../platform/money';
import { dateSchema } from '../platform/clock';
import { intCursor, pageQuery } from '../platform/paging';
import { sortQuery } from '../platform/list-sort';
import { AID_REASONS, AID_STATUSES } from './model';
import {
  approveCase, createCase, disburseCase, fileObjection, getCase, listCases, listDisclosures, listObjections, listPublicNotices, noticeBoardTimeline, rejectCase,
  resolveObjection, reviewCase, submitCase, withdrawCase, CASE_SORTS, type AidSettings, type CaseQuery, type NewCase,
} from './service';

const id = Joi.number().integer().min(1).max(2147483647).required();
const note = Joi.string().max(2000).allow('');
/** An amount bound of a filter: a decimal string, 0 allowed. */
const amountFilter = Joi.string().max(20).pattern(/^(0|[1-9]\d{0,15})(\.\d{1,2})?$/).message('{{#label}} must be a decimal string such as "1000.00"');
const READERS = ['officer', 'approver', 'finance', 'auditor', 'admin'] as const;

export function aidRoutes(app: AppContext) {
  const r = Router();
  const settings: AidSettings = {
    districtLimit: app.config.aidDistrictLimit,
    foundationLimit: app.config.aidFoundationLimit,
    noticePeriodMs: app.config.noticePeriodMs,
  };
  const view = (trx: Parameters<typeof getCase>[0], user: Parameters<typeof getCase>[1], caseId: number) => getCase(trx, user, caseId, settings);

  defineRoute<NewCase>(r, app, {
    method: 'post', path: '/aid-cases', tag: 'aid', access: ['officer', 'admin'], write: true, status: 201,
    summary: 'Open an aid case (draft) for a household file, or for a new applicant (creates an accidental file)',
    body: Joi.object({
      householdId: Joi.number().integer().min(1).max(2147483647),
      applicant: Joi.object({
        headName: Joi.string().min(1).max(50).required(),
        idNumber: Joi.string().max(18).required(),
        phone: Joi.string().max(20),
        unionOrg: Joi.string().max(200),
        address: Joi.string().max(300),
        district: Joi.string().max(8),
      }),
      fund: Joi.string().max(40).required(),
      reason: Joi.string().valid(...AID_REASONS).required(),
      description: Joi.string().max(2000).allow('').required(),
      requestedAmount: amountSchema().required(),
      urgent: Joi.boolean().strict().default(false),
      attachments: Joi.array().max(20).items(Joi.object({ fileName: Joi.string().max(200).required(), sha256: Joi.string().pattern(/^[0-9a-f]{64}$/).required(), note: Joi.string().max(500) })),
    }).xor('householdId', 'applicant'),
    handler: async ({ trx, user, body }) => view(trx, user!, await createCase(trx, user!, body)),
  });

  defineRoute<unknown, CaseQuery>(r, app, {
    method: 'get', path: '/aid-cases', tag: 'aid', access: READERS,
    summary: 'Aid cases, newest first (officers and district approvers: their district only); filters status, district, reason, fund, householdId, q (part of the case number), minAmount/maxAmount (approved amount, else requested), from/to (created, Asia/Shanghai dates); sort= one of id, createdAt, caseNo, district, reason, status, fund, amount, requestedAmount (- for descending); withTotal=true adds total',
    query: Joi.object({
      status: Joi.string().valid(...AID_STATUSES), district: Joi.string().max(8), reason: Joi.string().valid(...AID_REASONS), fund: Joi.string().max(40),
      householdId: Joi.number().integer().min(1).max(2147483647), q: Joi.string().trim().min(1).max(40),
      minAmount: amountFilter, maxAmount: amountFilter, from: dateSchema(), to: dateSchema(),
      ...pageQuery, ...sortQuery(CASE_SORTS),
    }),
    handler: async ({ user, query }) => listCases(app.db, user!, query),
  });

  defineRoute<unknown, unknown, { id: number }>(r, app, {
    method: 'get', path: '/aid-cases/:id', tag: 'aid', access: READERS,
    summary: 'One case with its timeline, approvals, objections and the household’s aid this year',
    params: Joi.object({ id }),
    handler: async ({ user, params }) => view(app.db, user!, params.id),
  });

  const action = <B>(verb: string, access: readonly ('officer' | 'approver' | 'finance' | 'admin')[], summary: string, body: Joi.ObjectSchema, run: (ctx: any) => Promise<void>, idempotent = false) =>
    defineRoute<B, unknown, { id: number }>(r, app, {
      method: 'post', path: `/aid-cases/:id/${verb}`, tag: 'aid', access, write: true, idempotent, summary,
      params: Joi.object({ id }),
      body,
      handler: async (ctx) => {
        await run(ctx);
        return view(ctx.trx, ctx.user!, ctx.params.id);
      },
    });

  action('submit', ['officer', 'admin'], 'Submit a draft for review', Joi.object({ note }), ({ trx, user, params }) => submitCase(trx, user, params.id));
  action('review', ['officer', 'approver', 'admin'], 'Review: recommend an amount (not by the creator)', Joi.object({ recommendedAmount: amountSchema().required(), note }), ({ trx, user, params, body }) => reviewCase(trx, user, params.id, body));
  action('approve', ['approver'], 'Approve within your tier (never by the creator or reviewer); opens the public notice', Joi.object({ approvedAmount: amountSchema().required(), note }), ({ trx, user, params, body }) => approveCase(trx, user, params.id, body, settings));
  action('reject', ['approver'], 'Reject a submitted or reviewed case', Joi.object({ note: Joi.string().min(1).max(2000).required() }), ({ trx, user, params, body }) => rejectCase(trx, user, params.id, body));
  action('withdraw', ['officer', 'admin'], 'Withdraw a case before approval', Joi.object({ note }), ({ trx, user, params, body }) => withdrawCase(trx, user, params.id, body));
  action('disburse', ['finance'], 'Pay a payable case through the ledger (idempotent)', Joi.object({ paymentRef: Joi.string().min(1).max(100).required(), date: dateSchema().required() }), ({ trx, user, params, body }) => disburseCase(trx, user, params.id, body, settings), true);

  defineRoute<{ outcome: 'upheld' | 'dismissed'; note: string }, unknown, { id: number; oid: number }>(r, app, {
    method: 'post', path: '/aid-cases/:id/objections/:oid/resolve', tag: 'aid', access: ['approver'], write: true,
    summary: 'Resolve a public objection: upheld cancels the case (or opens a recovery note if paid), dismissed lets it proceed',
    params: Joi.object({ id, oid: id }),
    body: Joi.object({ outcome: Joi.string().valid('upheld', 'dismissed').required(), note: Joi.string().min(1).max(2000).required() }),
    handler: async ({ trx, user, params, body }) => {
      await resolveObjection(trx, user!, params.id, params.oid, body);
      return view(trx, user!, params.id);
    },
  });

  defineRoute<unknown, { status?: 'open' | 'upheld' | 'dismissed'; limit: number; cursor?: string }>(r, app, {
    method: 'get', path: '/aid-objections', tag: 'aid', access: ['approver', 'auditor', 'admin'],
    summary: 'Objections across the cases you may see (default: open ones), oldest first, with their case',
    query: Joi.object({ status: Joi.string().valid('open', 'upheld', 'dismissed'), ...pageQuery, cursor: intCursor }),
    handler: async ({ user, query }) => listObjections(app.db, user!, query),
  });

  defineRoute<unknown, { limit: number; cursor?: string }>(r, app, {
    method: 'get', path: '/public/notices', tag: 'public', access: 'public',
    summary: '公示 Cases in public notice now, masked',
    query: Joi.object({ ...pageQuery, cursor: intCursor }),
    // A notice that ends leaves the board without an audit row: the validator follows the notice ends too.
    handler: cachedPublic(app.db, { scope: 'shared', timeline: () => noticeBoardTimeline(app.db) }, async ({ query }) => listPublicNotices(app.db, query)),
  });

  // Anyone may object without logging in, so the route is rate-limited per client address.
  const objectionPath = '/public/notices/:caseNo/objections';
  r.post(objectionPath, perClientLimit(app.config.objectionRateLimit, 'objections'));
  defineRoute<{ text: string; contact?: string }, unknown, { caseNo: string }>(r, app, {
    method: 'post', path: objectionPath, tag: 'public', access: 'public', write: true, status: 201,
    summary: 'File an objection to a case in notice (no login; text only, ≤ 2,000 characters; rate-limited)',
    params: Joi.object({ caseNo: Joi.string().pattern(/^\d{4}-[A-Z]{2,3}-\d{4,6}$/).required() }),
    body: Joi.object({ text: Joi.string().min(1).max(2000).required(), contact: Joi.string().max(200).allow('') }),
    handler: async ({ trx, params, body }) => fileObjection(trx, params.caseNo, body),
  });

  defineRoute<unknown, { from?: string; to?: string; fund?: string; limit: number; cursor?: string }>(r, app, {
    method: 'get', path: '/public/disclosures', tag: 'public', access: 'public',
    summary: 'Every paid aid case, masked (name, district, reason, amount, dates)',
    query: Joi.object({ from: dateSchema(), to: dateSchema(), fund: Joi.string().max(40), ...pageQuery, cursor: intCursor }),
    handler: cachedPublic(app.db, { scope: 'shared' }, async ({ query }) => listDisclosures(app.db, query)),
  });
  return r;
}
