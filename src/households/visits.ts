import type { Router } from 'express';
import Joi from 'joi';
import type { Knex } from 'knex';
import type { Db } from '../platform/db';
import { addDays, clock, dateSchema, shanghaiDate } from '../platform/clock';
import { badRequest, invalidState, notFound, unprocessable } from '../platform/errors';
import { decryptPersonal, encryptPersonal } from '../platform/personal-data';
import { intCursor, pageQuery, type Page } from '../platform/paging';
import { type Raw, str, strOrNull, date as toDate, dateOrNull } from '../platform/rows';
import { defineRoute, type AppContext } from '../http/route';
import { appendAudit } from '../audit';
import { districtScope, type SessionUser } from '../auth';
import { decodeHousehold } from './model';
import { loadVisible, loadWritable, publicOf, seesIdentifiers } from './service';

// Home visits (入户走访): an officer records who went, what they found (housing, health, employment, needs) and
// the follow-up actions with due dates. Health findings are personal data: sealed with DATA_KEY (as members'
// health notes are), shown only to the viewers who see identifiers in full, never in history or audit rows.

export const HOUSING = ['stable', 'crowded', 'poor_repair', 'unsafe', 'no_home'] as const;
export const HEALTH = ['good', 'chronic_illness', 'serious_illness', 'disability', 'needs_care'] as const;
export const EMPLOYMENT = ['employed', 'underemployed', 'unemployed', 'unable_to_work', 'retired', 'student'] as const;
export const NEEDS = ['living', 'medical', 'education', 'housing', 'employment', 'care', 'legal', 'other'] as const;

interface Finding { status: string; note?: string }
export interface VisitInput {
  date: string;
  visitors: { name: string; username?: string }[];
  findings: { housing?: Finding; health?: Finding; employment?: Finding; needs?: { items: string[]; note?: string } };
  summary?: string;
  followUps?: { action: string; dueDate: string }[];
}

interface VisitRow {
  id: number; household_id: number; visit_date: string; visitors: { name: string; username?: string }[];
  findings: Omit<VisitInput['findings'], 'health'>; health_sealed: string | null; summary: string | null; created_by: string; created_at: Date;
}
interface ActionRow { id: number; visit_id: number; household_id: number; action: string; due_date: string; done_at: Date | null; done_by: string | null; done_note: string | null }

const decodeVisit = (r: Raw): VisitRow => ({
  id: Number(r.id), household_id: Number(r.household_id), visit_date: str(r.visit_date),
  visitors: Array.isArray(r.visitors) ? (r.visitors as VisitRow['visitors']) : [],
  findings: (r.findings && typeof r.findings === 'object' ? r.findings : {}) as VisitRow['findings'],
  health_sealed: strOrNull(r.health_sealed), summary: strOrNull(r.summary), created_by: str(r.created_by), created_at: toDate(r.created_at),
});
const decodeAction = (r: Raw): ActionRow => ({
  id: Number(r.id), visit_id: Number(r.visit_id), household_id: Number(r.household_id), action: str(r.action), due_date: str(r.due_date),
  done_at: dateOrNull(r.done_at), done_by: strOrNull(r.done_by), done_note: strOrNull(r.done_note),
});

function actionView(a: ActionRow, today: string) {
  return {
    id: a.id, visitId: a.visit_id, action: a.action, dueDate: a.due_date, done: a.done_at !== null,
    doneAt: a.done_at ? a.done_at.toISOString() : null, doneBy: a.done_by, doneNote: a.done_note,
    overdue: a.done_at === null && a.due_date < today,
  };
}

function visitView(v: VisitRow, actions: ActionRow[], viewer: SessionUser, district: string) {
  const full = seesIdentifiers(viewer, district);
  const health = v.health_sealed && full ? (JSON.parse(decryptPersonal(v.health_sealed)) as Finding) : null;
  const today = shanghaiDate();
  return {
    id: v.id, householdId: v.household_id, date: v.visit_date, visitors: v.visitors,
    findings: { ...v.findings, health },
    // Health was recorded but this viewer does not see it (auditors, finance, other districts' approvers).
    healthMasked: !!v.health_sealed && !full,
    summary: v.summary, createdBy: v.created_by, createdAt: v.created_at.toISOString(),
    followUps: actions.map((a) => actionView(a, today)),
  };
}

// ---------------------------------------------------------------------------------------------- service

export async function recordVisit(trx: Knex.Transaction, actor: SessionUser, householdId: number, input: VisitInput) {
  const row = await loadWritable(trx, actor, householdId);
  if (row.status === 'archived') throw invalidState(`household ${householdId} is archived`, { status: row.status }).zh(`档案 ${householdId} 已归档，不能录入走访`);
  const today = shanghaiDate();
  if (input.date > today) {
    throw unprocessable('future_date', `the visit date ${input.date} is later than today (${today}, Asia/Shanghai)`, { date: input.date, today }).zh(`走访日期 ${input.date} 晚于今天 ${today}`);
  }
  // A follow-up is something to do after the visit: one due before it is a typing mistake.
  const early = (input.followUps ?? []).map((f, i) => ({ f, i })).filter(({ f }) => f.dueDate < input.date);
  if (early.length) {
    throw badRequest(`a follow-up may not be due before the visit (${input.date})`, early.map(({ f, i }) => ({ in: 'body', path: `followUps.${i}.dueDate`, message: `"followUps[${i}].dueDate" ${f.dueDate} is before the visit date ${input.date}` })))
      .zh(`跟进事项的完成期限不能早于走访日期 ${input.date}`);
  }
  const { health, ...clear } = input.findings;
  const [v] = (await trx('household_visits').insert({
    household_id: householdId,
    visit_date: input.date,
    visitors: JSON.stringify(input.visitors.map((p) => ({ name: p.name.trim(), ...(p.username ? { username: p.username } : {}) }))),
    findings: JSON.stringify(clear),
    health_sealed: health ? encryptPersonal(JSON.stringify(health)) : null,
    summary: input.summary || null,
    created_by: actor.username,
    created_at: clock.now(),
  }).returning('*')).map(decodeVisit);
  const actions = input.followUps?.length
    ? (await trx('household_visit_actions').insert(input.followUps.map((f) => ({ visit_id: v.id, household_id: householdId, action: f.action, due_date: f.dueDate }))).returning('*')).map(decodeAction)
    : [];
  await appendAudit(trx, {
    actor: actor.username,
    action: 'household.visited',
    subject: `household:${householdId}`,
    publicPayload: publicOf(row, { visitId: v.id, date: input.date }),
    // Health only as "recorded": its content stays sealed in the visit row.
    privatePayload: { visitId: v.id, date: input.date, visitors: v.visitors, findings: clear, healthRecorded: !!health, summary: v.summary, followUps: input.followUps ?? [] },
  });
  return visitView(v, actions, actor, row.district);
}

export async function listVisits(db: Db, viewer: SessionUser, householdId: number) {
  const row = await loadVisible(db, viewer, householdId);
  const visits = (await db('household_visits').where({ household_id: householdId }).orderBy([{ column: 'visit_date', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(500)).map(decodeVisit);
  const actions = visits.length ? (await db('household_visit_actions').whereIn('visit_id', visits.map((v) => v.id)).orderBy('id')).map(decodeAction) : [];
  return { items: visits.map((v) => visitView(v, actions.filter((a) => a.visit_id === v.id), viewer, row.district)), lastVisitDate: visits[0]?.visit_date ?? null };
}

export async function completeFollowUp(trx: Knex.Transaction, actor: SessionUser, householdId: number, actionId: number, input: { note?: string }) {
  const row = await loadWritable(trx, actor, householdId);
  const found = await trx('household_visit_actions').where({ id: actionId, household_id: householdId }).forUpdate().first();
  if (!found) throw notFound(`follow-up action ${actionId}`);
  const a = decodeAction(found);
  if (a.done_at) throw invalidState(`follow-up action ${actionId} is already done`, { doneAt: a.done_at.toISOString() }).zh(`跟进事项 ${actionId} 已完成`);
  const [done] = (await trx('household_visit_actions').where({ id: actionId }).update({ done_at: clock.now(), done_by: actor.username, done_note: input.note || null }).returning('*')).map(decodeAction);
  await appendAudit(trx, {
    actor: actor.username,
    action: 'household.follow_up_done',
    subject: `household:${householdId}`,
    publicPayload: publicOf(row, { visitId: a.visit_id, followUpId: actionId }),
    privatePayload: { visitId: a.visit_id, followUpId: actionId, action: a.action, dueDate: a.due_date, note: input.note || null },
  });
  return actionView(done, shanghaiDate());
}

/** Files still in hardship (not exited or archived) whose last visit — or opening, if never visited — is more than `days` days ago. */
export async function overdueVisits(db: Db, viewer: SessionUser, q: { days: number; limit: number; cursor?: string; district?: string }) {
  const today = shanghaiDate();
  const cutoff = addDays(today, -q.days);
  const scope = districtScope(viewer);
  if (scope && q.district && q.district !== scope) throw notFound(`district ${q.district}`);
  const base = db('households as h')
    .leftJoin(db('household_visits').groupBy('household_id').select('household_id').max({ last_visit: 'visit_date' }).as('v'), 'v.household_id', 'h.id')
    .whereIn('h.status', ['registered', 'assisted', 'returned'])
    .whereRaw(`COALESCE(v.last_visit, (h.created_at AT TIME ZONE 'Asia/Shanghai')::date) < ?::date`, [cutoff]);
  if (scope ?? q.district) base.where('h.district', scope ?? q.district);
  const offset = q.cursor ? Number(q.cursor) : 0;
  const total = Number((await base.clone().count({ n: '*' }).first())?.n ?? 0);
  const rows = await base.clone()
    .select('h.*', 'v.last_visit')
    .orderByRaw(`COALESCE(v.last_visit, (h.created_at AT TIME ZONE 'Asia/Shanghai')::date), h.id`)
    .offset(offset).limit(q.limit + 1);
  const items = rows.slice(0, q.limit).map((r: Raw) => {
    const h = decodeHousehold(r);
    const last = r.last_visit ? str(r.last_visit) : null;
    const since = last ?? shanghaiDate(h.created_at);
    return {
      householdId: h.id, headName: h.head_name, district: h.district, status: h.status, lastVisitDate: last,
      daysSinceVisit: Math.round((Date.parse(`${today}T00:00:00Z`) - Date.parse(`${since}T00:00:00Z`)) / 86_400_000),
    };
  });
  const page: Page<(typeof items)[number]> & { total: number; overdueDays: number } = {
    items, nextCursor: rows.length > q.limit ? String(offset + q.limit) : null, total, overdueDays: q.days,
  };
  return page;
}

/** The exit rule (EXIT_REQUIRES_VISIT_DAYS): with days > 0, an exit needs a visit within `days` days before its date. */
export async function assertVisitBeforeExit(db: Db, householdId: number, exitDate: string, days: number) {
  if (days <= 0) return;
  const windowFrom = addDays(exitDate, -days);
  const visit = await db('household_visits').where({ household_id: householdId }).whereBetween('visit_date', [windowFrom, exitDate]).first('id');
  if (visit) return;
  throw unprocessable('exit_visit_required', `no home visit between ${windowFrom} and ${exitDate} (an exit needs one within ${days} days)`, { windowFrom, windowTo: exitDate, days })
    .zh(`${windowFrom} 至 ${exitDate} 之间没有入户走访（脱困须有 ${days} 天内的走访记录）`);
}

// ---------------------------------------------------------------------------------------------- for the documents domain

export type HouseholdRecordKind = 'household' | 'assessment' | 'exit' | 'visit';

/** The file a household record (the file itself, an assessment, an exit, a visit) belongs to; undefined when there is none. */
export async function householdRecordOwner(db: Db, kind: HouseholdRecordKind, id: number): Promise<{ householdId: number; district: string } | undefined> {
  if (!Number.isSafeInteger(id) || id < 1 || id > 2147483647) return undefined;
  const q = kind === 'household' ? db('households as h').where('h.id', id)
    : kind === 'assessment' ? db('household_assessments as r').join('households as h', 'h.id', 'r.household_id').where('r.id', id)
    : kind === 'visit' ? db('household_visits as r').join('households as h', 'h.id', 'r.household_id').where('r.id', id)
    : db('household_events as r').join('households as h', 'h.id', 'r.household_id').where({ 'r.id': id, 'r.kind': 'transition', 'r.to_status': 'exited' });
  const row = await q.first('h.id', 'h.district');
  return row ? { householdId: Number(row.id), district: str(row.district) } : undefined;
}

// ---------------------------------------------------------------------------------------------- routes

const text = (max: number) => Joi.string().max(max).pattern(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f]*$/).messages({ 'string.pattern.base': '{{#label}} must not contain control characters' });
const finding = (statuses: readonly string[]) => Joi.object({ status: Joi.string().valid(...statuses).required(), note: text(500).allow('') });
const idParam = Joi.number().integer().min(1).max(2147483647).required();

export function visitRoutes(r: Router, app: AppContext) {
  const WRITERS = ['officer', 'admin'] as const;
  const READERS = ['officer', 'approver', 'admin', 'auditor'] as const;
  defineRoute<VisitInput, unknown, { id: number }>(r, app, {
    method: 'post', path: '/households/:id/visits', tag: 'households', access: WRITERS, write: true, status: 201,
    summary: 'Record a home visit (入户走访): date, visitors, findings (housing, health, employment, needs), follow-up actions with due dates',
    params: Joi.object({ id: idParam }),
    body: Joi.object({
      date: dateSchema().required(),
      visitors: Joi.array().items(Joi.object({ name: text(50).min(1).required(), username: Joi.string().max(64).pattern(/^[a-zA-Z0-9_.-]+$/) })).min(1).max(10).required(),
      findings: Joi.object({
        housing: finding(HOUSING), health: finding(HEALTH), employment: finding(EMPLOYMENT),
        needs: Joi.object({ items: Joi.array().items(Joi.string().valid(...NEEDS)).max(NEEDS.length).unique().required(), note: text(500).allow('') }),
      }).min(1).required(),
      summary: text(2000).allow(''),
      followUps: Joi.array().items(Joi.object({ action: text(500).min(1).required(), dueDate: dateSchema().required() })).max(20),
    }),
    handler: async ({ trx, user, params, body }) => recordVisit(trx, user!, params.id, body),
  });
  defineRoute<unknown, unknown, { id: number }>(r, app, {
    method: 'get', path: '/households/:id/visits', tag: 'households', access: READERS,
    summary: 'The visits of a file, newest first, with their follow-up actions (health findings only for viewers who see identifiers)',
    params: Joi.object({ id: idParam }),
    handler: async ({ user, params }) => listVisits(app.db, user!, params.id),
  });
  defineRoute<{ note?: string }, unknown, { id: number; actionId: number }>(r, app, {
    method: 'post', path: '/households/:id/follow-ups/:actionId/done', tag: 'households', access: WRITERS, write: true,
    summary: 'Mark a follow-up action of a visit done (409 when it already is)',
    params: Joi.object({ id: idParam, actionId: idParam }),
    body: Joi.object({ note: text(1000).allow('') }),
    handler: async ({ trx, user, params, body }) => completeFollowUp(trx, user!, params.id, params.actionId, body),
  });
  defineRoute<unknown, { limit: number; cursor?: string; district?: string; days?: number }>(r, app, {
    method: 'get', path: '/households/visits/overdue', tag: 'households', access: READERS,
    summary: 'Files in hardship not visited for more than VISIT_OVERDUE_DAYS days (or days=), longest first; district-scoped',
    query: Joi.object({ ...pageQuery, cursor: intCursor, district: Joi.string().max(8), days: Joi.number().integer().min(1).max(3650) }),
    handler: async ({ user, query }) =>
      overdueVisits(app.db, user!, { days: query.days ?? app.config.visitOverdueDays, limit: query.limit, cursor: query.cursor, district: query.district }),
  });
}
