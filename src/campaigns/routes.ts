import { Router } from 'express';
import Joi from 'joi';
import { defineRoute, type AppContext } from '../http/route';
import { perClientLimit } from '../http/rate-limit';
import { dateSchema } from '../platform/clock';
import { amountSchema } from '../platform/money';
import { intCursor, pageQuery } from '../platform/paging';
import { postingBatcherFor } from '../ledger';
import { CATEGORIES, CAUSES, STATUSES } from '../households';
import { KINDS, LINE_STATUSES, PAY_STATES } from './model';
import { buildRoll, listLines, reviewLine, type LineQuery, type ReviewAction } from './roll';
import {
  approveCampaign, campaignProgress, cancelCampaign, createCampaign, fileObjection, getCampaign, listCampaigns, listPublicCampaigns, payCampaign, payLineInCash,
  publicRoll, resolveObjection, sendBackCampaign, submitCampaign, type CampaignSettings, type NewCampaign,
} from './service';
import { exportBankFile, importBankResult, type ResultInput } from './bank-file';

const STAFF = ['officer', 'approver', 'finance', 'auditor', 'admin'] as const;
const MAKERS = ['officer', 'admin'] as const;
const id = Joi.number().integer().min(1).max(2147483647).required();
const lineNo = Joi.number().integer().min(1).max(999999).required();
const idParams = Joi.object({ id });
const district = Joi.string().max(8).pattern(/^[A-Z]{2,3}$/).message('{{#label}} must be a district code such as CY');
const reason = Joi.string().trim().min(1).max(500);
/** A result file of 50,000 lines fits; the body limit of the path is raised in src/domains.ts. */
const MAX_RESULT_CHARS = 8_000_000;

export const campaignBody = Joi.object({
  name: Joi.string().trim().min(1).max(100).pattern(/^[^\u0000-\u001f<>]*$/).required(),
  kind: Joi.string().valid(...KINDS).required(),
  year: Joi.number().integer().strict().min(2000).max(2099).required(),
  funds: Joi.array().items(Joi.string().max(40)).min(1).max(10).unique().required(),
  rules: Joi.object({
    perCategory: Joi.object(Object.fromEntries(CATEGORIES.map((c) => [c, amountSchema()]))).min(1).required(),
    perAdditionalMember: amountSchema(),
    perCause: Joi.object(Object.fromEntries(CAUSES.map((c) => [c, amountSchema()]))),
    cap: amountSchema().required(),
  }).required(),
  eligibility: Joi.object({
    statuses: Joi.array().items(Joi.string().valid(...STATUSES.filter((s) => s !== 'archived'))).min(1).max(STATUSES.length).unique(),
    categories: Joi.array().items(Joi.string().valid(...CATEGORIES)).min(1).max(CATEGORIES.length).unique(),
    districts: Joi.array().items(district).min(1).max(50).unique(),
    notExitedThisYear: Joi.boolean().strict(),
  }),
  quotas: Joi.object().pattern(district, Joi.number().integer().strict().min(0).max(50_000)).max(50),
});

export function campaignRoutes(app: AppContext) {
  const r = Router();
  const batcher = postingBatcherFor(app.db);
  const settings = (): CampaignSettings => ({
    districtLimit: app.config.campaignDistrictLimit, foundationLimit: app.config.campaignFoundationLimit,
    noticePeriodMs: app.config.noticePeriodMs, maxLines: app.config.campaignRollMaxLines,
  });

  defineRoute<NewCampaign>(r, app, {
    method: 'post', path: '/campaigns', tag: 'campaigns', access: MAKERS, write: true, status: 201,
    summary: 'Create a relief campaign (两节送温暖 …): kind, year, funds (district scope as for aid cases: 422 fund_out_of_scope), amount rules per category with optional add-ons and a cap, eligibility, district quotas',
    body: campaignBody,
    handler: async ({ trx, user, body }) => createCampaign(trx, user!, body),
  });
  defineRoute<unknown, { year?: number; status?: string; limit: number; cursor?: string }>(r, app, {
    method: 'get', path: '/campaigns', tag: 'campaigns', access: STAFF,
    summary: 'Campaigns, newest first (district users: their district’s and the city-wide ones)',
    query: Joi.object({ year: Joi.number().integer().min(2000).max(2099), status: Joi.string().valid('draft', 'built', 'submitted', 'in_notice', 'payable', 'paying', 'paid', 'cancelled'), ...pageQuery, cursor: intCursor }),
    handler: async ({ user, query }) => listCampaigns(app.db, user!, query),
  });
  defineRoute<unknown, unknown, { id: number }>(r, app, {
    method: 'get', path: '/campaigns/:id', tag: 'campaigns', access: STAFF,
    summary: 'One campaign: rules, roll totals, tier, approvals, timeline, objections',
    params: idParams,
    handler: async ({ user, params }) => getCampaign(app.db, user!, params.id, settings()),
  });
  defineRoute<{ dryRun?: boolean }, unknown, { id: number }>(r, app, {
    method: 'post', path: '/campaigns/:id/roll', tag: 'campaigns', access: MAKERS, write: true,
    summary: `Build or recompute the roll from the household files (≤ CAMPAIGN_ROLL_MAX_LINES, else 422 roll_too_large); answers what changed (added, removed, amount changed); dryRun shows it without writing`,
    params: idParams,
    body: Joi.object({ dryRun: Joi.boolean().strict() }),
    handler: async ({ trx, user, params, body }) => buildRoll(trx, user!, params.id, { maxLines: app.config.campaignRollMaxLines }, { dryRun: body.dryRun }),
  });
  defineRoute<unknown, LineQuery, { id: number }>(r, app, {
    method: 'get', path: '/campaigns/:id/lines', tag: 'campaigns', access: STAFF,
    summary: 'The roll’s lines in order (masked names; district users: their district only)',
    params: idParams,
    query: Joi.object({ district, status: Joi.string().valid(...LINE_STATUSES), payState: Joi.string().valid(...PAY_STATES), ...pageQuery, cursor: intCursor }),
    handler: async ({ user, params, query }) => listLines(app.db, user!, params.id, query),
  });
  defineRoute<{ action: ReviewAction; amount?: string; reason: string }, unknown, { id: number; lineNo: number }>(r, app, {
    method: 'post', path: '/campaigns/:id/lines/:lineNo/review', tag: 'campaigns', access: MAKERS, write: true,
    summary: 'District review of one line: exclude, include (within the quota: 409 over_quota) or adjust the amount (≤ the cap: 422 amount_above_cap), with a reason; officers of the line’s district only',
    params: Joi.object({ id, lineNo }),
    body: Joi.object({ action: Joi.string().valid('exclude', 'include', 'adjust').required(), amount: amountSchema().when('action', { is: 'adjust', then: Joi.required(), otherwise: Joi.forbidden() }), reason: reason.required() }),
    handler: async ({ trx, user, params, body }) => reviewLine(trx, user!, params.id, params.lineNo, body),
  });
  const step = (verb: string, access: readonly ('officer' | 'approver' | 'admin')[], summary: string, body: Joi.ObjectSchema, run: (ctx: { trx: import('knex').Knex.Transaction; user: import('../auth').SessionUser; id: number; body: { note?: string } }) => Promise<void>) =>
    defineRoute<{ note?: string }, unknown, { id: number }>(r, app, {
      method: 'post', path: `/campaigns/:id/${verb}`, tag: 'campaigns', access, write: true, summary, params: idParams, body,
      handler: async ({ trx, user, params, body: b }) => {
        await run({ trx, user: user!, id: params.id, body: b });
        return getCampaign(trx, user!, params.id, settings());
      },
    });
  step('submit', MAKERS, 'Submit the roll for approval', Joi.object({ note: reason }), ({ trx, user, id: cid, body }) => submitCampaign(trx, user, cid, body.note));
  step('send-back', ['approver'], 'Send the roll back for changes (undoes a first approval)', Joi.object({ note: reason.required() }), ({ trx, user, id: cid, body }) => sendBackCampaign(trx, user, cid, body.note!));
  step('cancel', ['officer', 'admin', 'approver'], 'Cancel a campaign before approval', Joi.object({ note: reason.required() }), ({ trx, user, id: cid, body }) => cancelCampaign(trx, user, cid, body.note!));
  step('approve', ['approver'], 'Approve the whole roll: maker-checker (whoever created, built, reviewed or submitted it: 403 maker_checker), tier by the roll total, two distinct foundation approvers above the top tier; the second starts the public notice', Joi.object({ note: reason }),
    ({ trx, user, id: cid, body }) => approveCampaign(trx, user, cid, body, settings()));
  defineRoute<{ outcome: 'upheld' | 'dismissed'; note: string }, unknown, { id: number; oid: number }>(r, app, {
    method: 'post', path: '/campaigns/:id/objections/:oid/resolve', tag: 'campaigns', access: ['approver'], write: true,
    summary: 'Resolve an objection to a line: upheld removes the line from the roll, dismissed keeps it',
    params: Joi.object({ id, oid: id }),
    body: Joi.object({ outcome: Joi.string().valid('upheld', 'dismissed').required(), note: Joi.string().trim().min(1).max(2000).required() }),
    handler: async ({ trx, user, params, body }) => {
      await resolveObjection(trx, user!, params.id, params.oid, body);
      return getCampaign(trx, user!, params.id, settings());
    },
  });
  defineRoute<{ date?: string }, unknown, { id: number }>(r, app, {
    method: 'post', path: '/campaigns/:id/payments', tag: 'campaigns', access: ['finance'], idempotent: true, ownTransaction: true,
    summary: 'Pay the roll in one operation through the ledger’s batch path: one entry per household (Dr 5101 / Cr 1002; a line returned by the bank: Dr 2209 / Cr 1002), lines with a bank account; the funds checked first (409 insufficient_funds, nothing written); resumable and idempotent per line',
    params: idParams,
    body: Joi.object({ date: dateSchema() }),
    handler: async ({ user, params, body, idempotency }) => payCampaign(app.db, batcher, user!, params.id, body, idempotency),
  });
  defineRoute<{ date?: string; note: string }, unknown, { id: number; lineNo: number }>(r, app, {
    method: 'post', path: '/campaigns/:id/lines/:lineNo/cash', tag: 'campaigns', access: ['finance'], idempotent: true, ownTransaction: true,
    summary: 'Pay one unpaid or returned line in cash (the payable settled from 1001); the line is confirmed',
    params: Joi.object({ id, lineNo }),
    body: Joi.object({ date: dateSchema(), note: reason.required() }),
    handler: async ({ user, params, body, idempotency }) => payLineInCash(app.db, batcher, user!, params.id, params.lineNo, body, idempotency),
  });
  defineRoute<unknown, { format: 'csv' | 'xlsx' }, { id: number }>(r, app, {
    method: 'get', path: '/campaigns/:id/bank-file', tag: 'campaigns', access: ['finance'], produces: 'text/csv',
    summary: 'The batch-payment file (代发文件: 序号, 收款账号, 收款户名, 开户行, 金额, 附言) of the lines awaiting the bank, as CSV (GBK) or XLSX; finance only; the export is audited (without accounts)',
    params: idParams,
    query: Joi.object({ format: Joi.string().valid('csv', 'xlsx').default('csv') }),
    handler: async ({ user, params, query, res }) => {
      const f = await exportBankFile(app.db, user!, params.id, query.format);
      res.status(200).set({ 'Content-Type': f.contentType, 'Content-Disposition': `attachment; filename="${f.fileName}"`, 'Cache-Control': 'no-store', 'X-Lines': String(f.lines), 'X-Total': f.total }).send(f.body);
    },
  });
  defineRoute<ResultInput, unknown, { id: number }>(r, app, {
    method: 'post', path: '/campaigns/:id/bank-results', tag: 'campaigns', access: ['finance'], idempotent: true, ownTransaction: true,
    summary: 'Import the bank’s result file (CSV in UTF-8 or GBK, or XLSX as contentBase64; columns 附言 and 状态, optional 失败原因 and 金额): successes confirm their lines, failures post the transfer back and return the lines for a second attempt or cash; a bad row is a 400 naming it, nothing written',
    params: idParams,
    body: Joi.object({
      format: Joi.string().valid('csv', 'xlsx').required(),
      content: Joi.string().max(MAX_RESULT_CHARS),
      contentBase64: Joi.string().max(MAX_RESULT_CHARS).base64({ paddingRequired: false }),
      encoding: Joi.string().valid('utf-8', 'gbk'),
    }).xor('content', 'contentBase64'),
    handler: async ({ user, params, body, idempotency }) => importBankResult(app.db, batcher, user!, params.id, body, idempotency),
  });
  defineRoute<unknown, unknown, { id: number }>(r, app, {
    method: 'get', path: '/campaigns/:id/progress', tag: 'campaigns', access: STAFF,
    summary: 'Dashboard data: lines by state (included, excluded, removed; unpaid, paid, confirmed, returned), totals by district and category',
    params: idParams,
    handler: async ({ user, params }) => campaignProgress(app.db, user!, params.id),
  });

  // Public notice board (no login): the rolls in notice, each line masked; objections per line, rate-limited.
  defineRoute(r, app, {
    method: 'get', path: '/public/campaigns', tag: 'public', access: 'public',
    summary: '公示 Campaign rolls in public notice now',
    handler: async () => listPublicCampaigns(app.db),
  });
  defineRoute<unknown, { district?: string; limit: number; cursor?: string }, { id: number }>(r, app, {
    method: 'get', path: '/public/campaigns/:id/lines', tag: 'public', access: 'public',
    summary: '公示 A roll in notice: line number, masked name, district, category, amount',
    params: idParams,
    query: Joi.object({ district, ...pageQuery, cursor: intCursor }),
    handler: async ({ params, query }) => publicRoll(app.db, params.id, query),
  });
  const objectionPath = '/public/campaigns/:id/lines/:lineNo/objections';
  r.post(objectionPath, perClientLimit(app.config.objectionRateLimit, 'objections'));
  defineRoute<{ text: string; contact?: string }, unknown, { id: number; lineNo: number }>(r, app, {
    method: 'post', path: objectionPath, tag: 'public', access: 'public', write: true, status: 201,
    summary: 'Object to one line of a roll in notice (no login; text only, ≤ 2,000 characters; rate-limited)',
    params: Joi.object({ id, lineNo }),
    body: Joi.object({ text: Joi.string().min(1).max(2000).required(), contact: Joi.string().max(200).allow('') }),
    handler: async ({ trx, params, body }) => fileObjection(trx, params.id, params.lineNo, body),
  });
  return r;
}
