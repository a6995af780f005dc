import { Router } from 'express';
import Joi from 'joi';
import type { Knex } from 'knex';
import type { SessionUser } from '../auth';
import { defineRoute, type AppContext } from '../http/route';
import { dateSchema, shanghaiDate } from '../platform/clock';
import { intCursor, pageQuery } from '../platform/paging';
import { sortQuery } from '../platform/list-sort';
import { CATEGORIES, CAUSES, STATUSES, idNumberProblem, normalizeIdNumber, type AssessmentInput, type HouseholdChange, type HouseholdInput, type TransitionInput } from './model';
import { HOUSEHOLD_SORTS, addAssessment, archiveHousehold, createHousehold, exitHousehold, getHousehold, listHouseholds, returnHousehold, updateHousehold, type HouseholdQuery } from './service';
import { exitCandidates, getTarget, setTarget, targetProgress } from './targets';
import { visitRoutes } from './visits';
import { importRoutes } from './imports';
import { bankAccountRoutes } from './bank-account';

const WRITERS = ['officer', 'admin'] as const;
const READERS = ['officer', 'approver', 'admin', 'auditor', 'finance'] as const;
const STAFF = ['admin', 'officer', 'approver', 'finance', 'auditor'] as const;

/** A money string that may be zero (an income, an expense): "0.00" is allowed, a JSON number is not. */
const nonNegativeAmount = () =>
  Joi.string()
    .strict()
    .max(20)
    .pattern(/^(0|[1-9]\d{0,15})(\.\d{1,2})?$/)
    .messages({
      'string.base': '{{#label}} must be a string such as "1234.50", not a JSON number',
      'string.pattern.base': '{{#label}} must be a decimal string, at least 0, with at most 2 decimals, such as "1234.50"',
    });

const text = (max: number) => Joi.string().max(max).pattern(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f]*$/).messages({ 'string.pattern.base': '{{#label}} must not contain control characters' });
const name = () => text(50).min(1);

const idNumber = () =>
  Joi.string()
    .strict()
    .max(40)
    .custom((v: string, h) => {
      const problem = idNumberProblem(normalizeIdNumber(v), shanghaiDate());
      return problem ? h.error('idNumber.invalid', { problem }) : normalizeIdNumber(v);
    })
    .messages({ 'idNumber.invalid': '{{#label}} {{#problem}}' });

const phone = () => Joi.string().strict().pattern(/^\+?[0-9][0-9 -]{4,19}$/).message('{{#label}} must be a phone number of 5 to 20 digits');

const member = Joi.object({
  name: name().required(),
  relation: text(20).min(1).required(),
  age: Joi.number().integer().min(0).max(130),
  health: text(200).allow(''),
  workStatus: text(50).allow(''),
});

const fields = {
  headName: name(),
  idNumber: idNumber(),
  phone: phone().allow(null),
  district: Joi.string().max(8),
  unionOrg: text(200).allow(null, ''),
  address: text(300).allow(null, ''),
  members: Joi.array().items(member).max(20),
  monthlyIncome: nonNegativeAmount(),
  memberCount: Joi.number().integer().strict().min(1).max(30),
  category: Joi.string().valid(...CATEGORIES),
  causes: Joi.array().items(Joi.string().valid(...CAUSES)).min(1).max(CAUSES.length).unique(),
  notes: text(2000).allow(null, ''),
};

/** POST /households: also each row of a bulk import (imports.ts). */
export const createBody = Joi.object({
  ...fields,
  headName: fields.headName.required(),
  idNumber: fields.idNumber.required(),
  district: fields.district.required(),
  monthlyIncome: fields.monthlyIncome.required(),
  memberCount: fields.memberCount.required(),
  category: fields.category.required(),
  causes: fields.causes.required(),
});

const transitionBody = Joi.object({ date: dateSchema().required(), reason: text(1000).min(1).required(), evidence: text(1000).allow('') });
const idParams = Joi.object({ id: Joi.number().integer().min(1).max(2147483647).required() });
const yearParams = Joi.object({ year: Joi.number().integer().min(2000).max(2099).required() });

export function householdRoutes(app: AppContext) {
  const r = Router();
  importRoutes(r, app); // before /households/:id
  const threshold = () => app.config.exitIncomeThreshold;

  defineRoute<HouseholdInput>(r, app, {
    method: 'post', path: '/households', tag: 'households', access: WRITERS, write: true, status: 201,
    summary: 'Open a household file (officers: own district). 409 duplicate_household when an active file has the ID number',
    body: createBody,
    handler: async ({ trx, user, body }) => createHousehold(trx, user!, body),
  });
  defineRoute<unknown, HouseholdQuery>(r, app, {
    method: 'get', path: '/households', tag: 'households', access: READERS,
    summary: 'Household files, newest first; filters district, status, category, cause, q (name, or a full ID number); sort= one of id, createdAt, headName, district, status, category, perCapitaIncome, memberCount (- for descending); withTotal=true adds total',
    query: Joi.object({
      district: Joi.string().max(8), status: Joi.string().valid(...STATUSES), category: Joi.string().valid(...CATEGORIES),
      cause: Joi.string().valid(...CAUSES), q: Joi.string().trim().min(1).max(50), ...pageQuery, ...sortQuery(HOUSEHOLD_SORTS),
    }),
    handler: async ({ user, query }) => listHouseholds(app.db, user!, query),
  });
  defineRoute<unknown, unknown, { id: number }>(r, app, {
    method: 'get', path: '/households/:id', tag: 'households', access: READERS,
    summary: 'One file with members, assessments and history (ID number and phone masked for auditors and finance)',
    params: idParams,
    handler: async ({ user, params }) => getHousehold(app.db, user!, params.id),
  });
  defineRoute<HouseholdChange, unknown, { id: number }>(r, app, {
    method: 'patch', path: '/households/:id', tag: 'households', access: WRITERS, write: true,
    summary: 'Change a file; every changed field goes into its history and the audit log',
    params: idParams,
    body: Joi.object(fields).min(1),
    handler: async ({ trx, user, params, body }) => updateHousehold(trx, user!, params.id, body),
  });
  defineRoute<AssessmentInput, unknown, { id: number }>(r, app, {
    method: 'post', path: '/households/:id/assessments', tag: 'households', access: WRITERS, write: true, status: 201,
    summary: 'Record an income assessment; per-capita income = monthly income / member count (rounded down to the fen)',
    params: idParams,
    body: Joi.object({
      date: dateSchema().required(), monthlyIncome: nonNegativeAmount().required(), memberCount: fields.memberCount.required(),
      rigidExpenses: nonNegativeAmount().default('0.00'), evidence: text(1000).allow(''),
    }),
    handler: async ({ trx, user, params, body }) => addAssessment(trx, user!, params.id, body),
  });
  // The life-cycle steps share their shape: one route each, the service decides what the step may do.
  const transition = (step: 'exit' | 'return' | 'archive', summary: string, run: (trx: Knex.Transaction, user: SessionUser, id: number, body: TransitionInput) => Promise<unknown>) =>
    defineRoute<TransitionInput, unknown, { id: number }>(r, app, {
      method: 'post', path: `/households/:id/${step}`, tag: 'households', access: WRITERS, write: true, summary,
      params: idParams,
      body: transitionBody,
      handler: async ({ trx, user, params, body }) => run(trx, user!, params.id, body),
    });
  transition('exit', 'Exit (脱困): needs an assessment within 90 days at or above the district threshold, else 422 exit_criteria_not_met', (trx, user, id, body) => exitHousehold(trx, user, id, body, threshold(), app.config.exitRequiresVisitDays));
  transition('return', 'Return to hardship (返困) after an exit', returnHousehold);
  transition('archive', 'Archive a file (its ID number may then be filed again)', archiveHousehold);

  defineRoute<unknown, { asOf?: string }, { year: number }>(r, app, {
    method: 'get', path: '/targets/:year', tag: 'targets', access: STAFF,
    summary: 'Exit-target progress for a year (Asia/Shanghai); asOf defaults to today',
    params: yearParams,
    query: Joi.object({ asOf: dateSchema() }),
    handler: async ({ params, query }) => targetProgress(app.db, params.year, { today: query.asOf }),
  });
  defineRoute<{ target?: number; quotas?: Record<string, number> }, unknown, { year: number }>(r, app, {
    method: 'put', path: '/targets/:year', tag: 'targets', access: ['admin'], write: true,
    summary: 'Set the year target (default 500) and optional district quotas',
    params: yearParams,
    body: Joi.object({
      target: Joi.number().integer().strict().min(1).max(1_000_000),
      quotas: Joi.object().pattern(Joi.string().max(8), Joi.number().integer().strict().min(0).max(1_000_000)).max(50),
    }).min(1),
    handler: async ({ trx, user, params, body }) => {
      await setTarget(trx, user!.username, params.year, body);
      return { ...(await getTarget(trx, params.year)), progress: await targetProgress(trx, params.year) };
    },
  });
  defineRoute<unknown, { limit: number; cursor?: string; district?: string }, { year: number }>(r, app, {
    method: 'get', path: '/targets/:year/candidates', tag: 'targets', access: STAFF,
    summary: 'Households not exited, nearest to the exit threshold first, with the aid they have received',
    params: yearParams,
    query: Joi.object({ ...pageQuery, cursor: intCursor, district: Joi.string().max(8) }),
    handler: async ({ user, params, query }) =>
      exitCandidates(app.db, user!, params.year, threshold(), { limit: query.limit, offset: query.cursor ? Number(query.cursor) : 0, district: query.district }),
  });
  visitRoutes(r, app); // home visits (src/households/visits.ts)
  bankAccountRoutes(r, app); // GET/PUT /households/:id/bank-account
  return r;
}
