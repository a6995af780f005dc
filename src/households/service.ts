import type { Knex } from 'knex';
import type { Db } from '../platform/db';
import { clock, shanghaiDate, addDays } from '../platform/clock';
import { badRequest, conflict, forbidden, invalidState, notFound, unprocessable } from '../platform/errors';
import { Decimal, money } from '../platform/money';
import { decryptPersonal, encryptPersonal, keyedHash } from '../platform/personal-data';
import { maskIdNumber, maskName, maskPhone } from '../platform/masking';
import type { Page } from '../platform/paging';
import { sortedPage, type SortedListQuery, type SortSpec } from '../platform/list-sort';
import { appendAudit } from '../audit';
import { canSeeDistrict, districtScope, type SessionUser } from '../auth';
import { districtExists } from '../reference';
import { openMembers, redactMembers, sameMembers, sealMembers } from './members';
import { assertVisitBeforeExit } from './visits';
import {
  EXIT_ASSESSMENT_WINDOW_DAYS, TARGET_STATUS, TRANSITIONS, idNumberProblem, normalizeIdNumber, perCapita,
  decodeAssessment, decodeHousehold, decodeHouseholdEvent,
  type AssessmentInput, type AssessmentRow, type HouseholdChange, type HouseholdEventRow, type HouseholdRow, type HouseholdInput, type HouseholdStatus, type Transition, type TransitionInput,
} from './model';

// ---------------------------------------------------------------------------------------------- access

/**
 * Full ID numbers, phones and addresses: admins, foundation approvers, and the officers and approvers of the
 * file's district. A user with a district (an officer, a district approver) sees them in full for that
 * district only, whatever other roles they hold (an officer of CY who is also an auditor sees HD masked).
 */
export function seesIdentifiers(u: SessionUser, district: string) {
  if (u.district && u.roles.some((r) => r === 'officer' || r === 'approver')) return u.district === district;
  return u.roles.some((r) => r === 'admin' || r === 'approver') && canSeeDistrict(u, district);
}

/** Officers change files of their own district only; admins any. */
export function canWriteDistrict(u: SessionUser, district: string) {
  return u.roles.includes('admin') || (u.roles.includes('officer') && u.district === district);
}

const fieldError = (path: string, message: string) => badRequest(`"${path}" ${message}`, [{ in: 'body', path, message: `"${path}" ${message}` }]);

// ---------------------------------------------------------------------------------------------- views

export interface HouseholdSummaryView {
  id: number;
  headName: string;
  district: string;
  unionOrg: string | null;
  category: string;
  causes: string[];
  status: HouseholdStatus;
  statusDate: string;
  monthlyIncome: string;
  memberCount: number;
  perCapitaIncome: string;
  createdAt: string;
  updatedAt: string;
}

function summaryView(row: HouseholdRow): HouseholdSummaryView {
  return {
    id: row.id,
    headName: row.head_name,
    district: row.district,
    unionOrg: row.union_org ?? null,
    category: row.category,
    causes: row.causes,
    status: row.status,
    statusDate: row.status_date,
    monthlyIncome: money(row.monthly_income),
    memberCount: row.member_count,
    perCapitaIncome: money(perCapita(row.monthly_income, row.member_count)),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

function fileView(row: HouseholdRow, viewer: SessionUser) {
  const full = seesIdentifiers(viewer, row.district);
  const idNumber = decryptPersonal(row.id_number_enc);
  const phone = row.phone_enc ? decryptPersonal(row.phone_enc) : null;
  const address = row.address_enc ? decryptPersonal(row.address_enc) : null;
  return {
    ...summaryView(row),
    idNumber: full ? idNumber : maskIdNumber(idNumber),
    phone: phone === null ? null : full ? phone : maskPhone(phone),
    address: address === null ? null : full ? address : '***',
    identifiersMasked: !full,
    members: openMembers(row.members),
    notes: row.notes ?? null,
    createdBy: row.created_by,
  };
}

function assessmentView(a: AssessmentRow) {
  return {
    id: a.id,
    householdId: a.household_id,
    date: a.date,
    monthlyIncome: money(a.monthly_income),
    memberCount: a.member_count,
    rigidExpenses: money(a.rigid_expenses),
    perCapitaIncome: money(a.per_capita_income),
    evidence: a.evidence ?? null,
    createdBy: a.created_by,
    createdAt: new Date(a.created_at).toISOString(),
  };
}

function eventView(e: HouseholdEventRow) {
  return {
    id: e.id,
    kind: e.kind,
    at: new Date(e.at).toISOString(),
    actor: e.actor,
    date: e.date ?? null,
    fromStatus: e.from_status ?? null,
    toStatus: e.to_status ?? null,
    reason: e.reason ?? null,
    evidence: e.evidence ?? null,
    changes: e.changes ?? null,
  };
}

/** What the public side of the audit log may show of a file: no ID number, phone or address. */
export const publicOf = (row: { id: number; head_name: string; district: string; category: string; status: string }, extra: Record<string, unknown> = {}) => ({
  householdId: row.id,
  name: maskName(row.head_name),
  district: row.district,
  category: row.category,
  status: row.status,
  ...extra,
});

type EventInput = { householdId: number; kind: string; actor: string; fromStatus?: string; toStatus?: string; date?: string; reason?: string | null; evidence?: string | null; changes?: unknown };

async function addEvent(trx: Knex.Transaction, e: EventInput) {
  await trx('household_events').insert(eventRow(e));
}

/** A household_events row (the import inserts many at once). */
export function eventRow(e: EventInput) {
  return {
    household_id: e.householdId,
    kind: e.kind,
    from_status: e.fromStatus ?? null,
    to_status: e.toStatus ?? null,
    date: e.date ?? null,
    actor: e.actor,
    at: clock.now(),
    reason: e.reason ?? null,
    evidence: e.evidence ?? null,
    changes: e.changes === undefined ? null : JSON.stringify(e.changes),
  };
}

// ---------------------------------------------------------------------------------------------- loading

export async function loadVisible(db: Db, viewer: SessionUser, id: number, forUpdate = false) {
  const q = db('households').where({ id });
  const row = await (forUpdate ? q.forUpdate() : q).first();
  // Another district's file is "not found" for a district-scoped user: its existence is not theirs to know.
  if (!row || !canSeeDistrict(viewer, row.district)) throw notFound(`household ${id}`);
  return decodeHousehold(row);
}

export async function loadWritable(trx: Knex.Transaction, actor: SessionUser, id: number) {
  const row = await loadVisible(trx, actor, id, true);
  if (!canWriteDistrict(actor, row.district)) throw notFound(`household ${id}`);
  return row;
}

/**
 * One active file per ID number. A file in the actor's own district is named; one elsewhere is not (its
 * existence in another district is not the officer's to know): a plain 409 that sends them to the city office.
 */
async function assertNoActiveFile(db: Db, actor: SessionUser, hash: string, exceptId?: number) {
  const q = db('households').where({ id_number_hash: hash }).whereNot({ status: 'archived' });
  if (exceptId) q.whereNot({ id: exceptId });
  const other = await q.first('id', 'district');
  if (other) throw duplicateHousehold(actor, other);
}

/** The active files holding these ID-number hashes (the import checks a whole file at once). */
export async function activeFilesByHash(db: Db, hashes: readonly string[]): Promise<Map<string, { id: number; district: string }>> {
  const out = new Map<string, { id: number; district: string }>();
  for (let i = 0; i < hashes.length; i += 5000) {
    const rows = await db('households').whereIn('id_number_hash', hashes.slice(i, i + 5000)).whereNot({ status: 'archived' }).select('id', 'id_number_hash', 'district');
    for (const r of rows) out.set(String(r.id_number_hash), { id: Number(r.id), district: String(r.district) });
  }
  return out;
}

/** The 409 for an ID number that has an active file: named in the actor's own district only. */
export function duplicateHousehold(actor: SessionUser, other: { id: number; district: string }) {
  const disclose = actor.district ? actor.district === other.district : canSeeDistrict(actor, other.district);
  if (disclose) {
    return conflict('duplicate_household', `an active household file for this ID number already exists: household ${other.id} (${other.district})`, {
      field: 'idNumber', householdId: other.id, district: other.district,
    }).zh(`该身份证号已有在档家庭：档案 ${other.id}（${other.district} 区）`);
  }
  return conflict('duplicate_household', '该身份证号已有在档家庭，请联系市总工会核实 · an active household file for this ID number already exists: please contact the city office (市总工会)', { field: 'idNumber' })
    .zh('该身份证号已有在档家庭，请联系市总工会核实');
}

const isUniqueViolation = (e: unknown) => (e as { code?: string }).code === '23505';

function validIdNumber(raw: string) {
  const id = normalizeIdNumber(raw);
  const problem = idNumberProblem(id, shanghaiDate());
  if (problem) throw fieldError('idNumber', problem);
  return id;
}

// ---------------------------------------------------------------------------------------------- files

export async function createHousehold(trx: Knex.Transaction, actor: SessionUser, input: HouseholdInput) {
  const idNumber = validIdNumber(input.idNumber);
  if (!(await districtExists(trx, input.district))) throw fieldError('district', `is not a district code (${input.district})`);
  if (!canWriteDistrict(actor, input.district)) throw forbidden(`you may file households only in your own district (${actor.district ?? 'none'})`).zh(`只能在本区（${actor.district ?? '无'}）建档`);
  const hash = keyedHash(idNumber);
  await assertNoActiveFile(trx, actor, hash);
  const now = clock.now();
  let row: HouseholdRow;
  try {
    // In a savepoint: after a unique violation (a concurrent create) the transaction must still answer the 409's look-up.
    row = decodeHousehold((await trx.transaction((sp) => sp('households').insert(newHouseholdRow(actor, input, idNumber, hash, now)).returning('*')))[0]);
  } catch (e) {
    if (isUniqueViolation(e)) await assertNoActiveFile(trx, actor, hash);
    throw e;
  }
  await addEvent(trx, createdEvent(row, actor));
  await appendAudit(trx, createdAudit(row, actor, (input.members ?? []).length));
  return { ...fileView(row, actor), assessments: [], history: [] as unknown[] };
}

// The single create and the bulk import (imports.ts) store a new file the same way: these three.

/** The households row of a new file, identifiers sealed (idNumber already normalised and checked). */
export function newHouseholdRow(actor: SessionUser, input: HouseholdInput, idNumber: string, hash: string, now: Date) {
  return {
    head_name: input.headName.trim(),
    id_number_enc: encryptPersonal(idNumber),
    id_number_hash: hash,
    phone_enc: input.phone ? encryptPersonal(input.phone) : null,
    address_enc: input.address ? encryptPersonal(input.address) : null,
    district: input.district,
    union_org: input.unionOrg ?? null,
    members: JSON.stringify(sealMembers(input.members ?? [])),
    monthly_income: input.monthlyIncome,
    member_count: input.memberCount,
    category: input.category,
    causes: input.causes,
    notes: input.notes ?? null,
    status: 'registered',
    status_date: shanghaiDate(now),
    created_by: actor.username,
    created_at: now,
    updated_at: now,
  };
}

type CreatedFile = Pick<HouseholdRow, 'id' | 'head_name' | 'district' | 'union_org' | 'category' | 'causes' | 'monthly_income' | 'member_count' | 'status' | 'status_date'>;

export const createdEvent = (row: CreatedFile, actor: SessionUser): EventInput => ({ householdId: row.id, kind: 'created', actor: actor.username, toStatus: 'registered', date: row.status_date });

/** The `household.created` audit row of a new file (extra: what the import adds, e.g. its id). */
export const createdAudit = (row: CreatedFile, actor: SessionUser, memberListLength: number, extra: Record<string, unknown> = {}) => ({
  actor: actor.username,
  action: 'household.created',
  subject: `household:${row.id}`,
  publicPayload: publicOf(row),
  privatePayload: {
    headName: row.head_name, district: row.district, unionOrg: row.union_org, category: row.category, causes: row.causes,
    monthlyIncome: money(row.monthly_income), memberCount: row.member_count, members: memberListLength, ...extra,
  },
});

export async function getHousehold(db: Db, viewer: SessionUser, id: number) {
  const row = await loadVisible(db, viewer, id);
  // One after another: db may be the request's transaction, a single connection.
  const assessments = (await db('household_assessments').where({ household_id: id }).orderBy([{ column: 'date', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(500)).map(decodeAssessment);
  const events = (await db('household_events').where({ household_id: id }).orderBy('id').limit(2000)).map(decodeHouseholdEvent);
  return { ...fileView(row, viewer), assessments: assessments.map(assessmentView), history: events.map(eventView) };
}

export interface HouseholdQuery extends SortedListQuery {
  district?: string;
  status?: HouseholdStatus;
  category?: string;
  cause?: string;
  q?: string;
}

/** GET /households?sort=: the columns a list may be sorted by (src/platform/list-sort.ts). */
export const HOUSEHOLD_SORTS: SortSpec = {
  id: { expr: 'id', type: 'integer' },
  createdAt: { expr: 'created_at', type: 'timestamptz' },
  headName: { expr: 'head_name', type: 'text' },
  district: { expr: 'district', type: 'text' },
  status: { expr: 'status', type: 'text' },
  category: { expr: 'category', type: 'text' },
  // The income the lists show: the latest assessment's, the intake figure while there is none.
  perCapitaIncome: {
    expr: `COALESCE((SELECT a.per_capita_income FROM household_assessments a WHERE a.household_id = households.id ORDER BY a.date DESC, a.id DESC LIMIT 1), trunc(monthly_income / member_count, 2))`,
    type: 'numeric',
  },
  memberCount: { expr: 'member_count', type: 'integer' },
};

export async function listHouseholds(db: Db, viewer: SessionUser, query: HouseholdQuery): Promise<Page<HouseholdSummaryView> & { total?: number }> {
  const q = db('households').select('households.*');
  const scope = districtScope(viewer);
  if (scope) q.where({ district: scope });
  if (query.district) q.where({ district: query.district });
  if (query.status) q.where({ status: query.status });
  if (query.category) q.where({ category: query.category });
  if (query.cause) q.whereRaw('causes @> ARRAY[?]::text[]', [query.cause]);
  if (query.q) {
    const text = query.q.trim();
    const asId = normalizeIdNumber(text);
    if (/^\d{17}[\dX]$/.test(asId)) q.where({ id_number_hash: keyedHash(asId) });
    else q.whereRaw(`head_name ILIKE ? ESCAPE '\\'`, [`%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`]);
  }
  const page = await sortedPage(db, q, { spec: HOUSEHOLD_SORTS, sort: query.sort, cursor: query.cursor, limit: query.limit, withTotal: query.withTotal });
  // The latest assessment of each file: lists show today's income, not the intake figure.
  const latest = new Map<number, { date: string; perCapitaIncome: string }>();
  const rows = page.items.map(decodeHousehold);
  const ids = rows.map((r) => r.id);
  if (ids.length) {
    const la = await db('household_assessments').whereIn('household_id', ids)
      .distinctOn('household_id').orderBy([{ column: 'household_id' }, { column: 'date', order: 'desc' }, { column: 'id', order: 'desc' }])
      .select('household_id', 'date', 'per_capita_income');
    for (const a of la) latest.set(a.household_id, { date: a.date, perCapitaIncome: money(a.per_capita_income) });
  }
  return { ...page, items: rows.map((r) => ({ ...summaryView(r), latestAssessment: latest.get(r.id) ?? null })) };
}

const SIMPLE_FIELDS: [keyof HouseholdChange, keyof HouseholdRow][] = [
  ['headName', 'head_name'], ['district', 'district'], ['unionOrg', 'union_org'], ['memberCount', 'member_count'],
  ['category', 'category'], ['notes', 'notes'],
];

export async function updateHousehold(trx: Knex.Transaction, actor: SessionUser, id: number, change: HouseholdChange) {
  const row = await loadWritable(trx, actor, id);
  if (row.status === 'archived') throw invalidState(`household ${id} is archived and cannot be changed`, { status: row.status }).zh(`档案 ${id} 已归档，不能修改`);
  const patch: Record<string, unknown> = {};
  const changes: { field: string; old?: unknown; new?: unknown; changed?: true; healthOrWorkChanged?: true }[] = [];

  for (const [field, column] of SIMPLE_FIELDS) {
    if (change[field] === undefined) continue;
    const next = field === 'headName' ? String(change[field]).trim() : change[field] ?? null;
    if (next === (row[column] ?? null)) continue;
    patch[column] = next;
    changes.push({ field, old: row[column] ?? null, new: next });
  }
  if (change.district !== undefined && change.district !== row.district) {
    if (!(await districtExists(trx, change.district))) throw fieldError('district', `is not a district code (${change.district})`);
    if (!canWriteDistrict(actor, change.district)) throw forbidden('you may move files only within your own district');
  }
  if (change.monthlyIncome !== undefined && !new Decimal(change.monthlyIncome).eq(row.monthly_income)) {
    patch.monthly_income = change.monthlyIncome;
    changes.push({ field: 'monthlyIncome', old: money(row.monthly_income), new: money(change.monthlyIncome) });
  }
  if (change.causes !== undefined && JSON.stringify([...change.causes].sort()) !== JSON.stringify([...row.causes].sort())) {
    patch.causes = change.causes;
    changes.push({ field: 'causes', old: row.causes, new: change.causes });
  }
  if (change.members !== undefined) {
    const old = openMembers(row.members);
    if (!sameMembers(old, change.members)) {
      patch.members = JSON.stringify(sealMembers(change.members));
      // History and audit keep names, relations and ages; health and work status only as "changed".
      const [o, n] = [redactMembers(old), redactMembers(change.members)];
      const details = (ms: readonly { health?: string; workStatus?: string }[]) => JSON.stringify(ms.map((m) => [m.health || null, m.workStatus || null]));
      changes.push({ field: 'members', old: o, new: n, ...(details(old) !== details(change.members) ? { healthOrWorkChanged: true as const } : {}) });
    }
  }
  // Personal data: the history records that it changed, never the values.
  if (change.idNumber !== undefined) {
    const idNumber = validIdNumber(change.idNumber);
    if (idNumber !== decryptPersonal(row.id_number_enc)) {
      const hash = keyedHash(idNumber);
      await assertNoActiveFile(trx, actor, hash, id);
      patch.id_number_enc = encryptPersonal(idNumber);
      patch.id_number_hash = hash;
      changes.push({ field: 'idNumber', changed: true });
    }
  }
  for (const [field, column] of [['phone', 'phone_enc'], ['address', 'address_enc']] as const) {
    if (change[field] === undefined) continue;
    const old = row[column] ? decryptPersonal(row[column]) : null;
    const next = change[field] || null;
    if (next === old) continue;
    patch[column] = next === null ? null : encryptPersonal(next);
    changes.push({ field, changed: true });
  }
  if (!changes.length) return getHousehold(trx, actor, id);

  patch.updated_at = clock.now();
  let updated: HouseholdRow;
  try {
    updated = decodeHousehold((await trx.transaction((sp) => sp('households').where({ id }).update(patch).returning('*')))[0]); // savepoint, as in create
  } catch (e) {
    if (isUniqueViolation(e) && patch.id_number_hash) await assertNoActiveFile(trx, actor, patch.id_number_hash as string, id);
    throw e;
  }
  await addEvent(trx, { householdId: id, kind: 'updated', actor: actor.username, changes });
  await appendAudit(trx, {
    actor: actor.username,
    action: 'household.updated',
    subject: `household:${id}`,
    publicPayload: publicOf(updated, { changedFields: changes.map((c) => c.field) }),
    privatePayload: { changes },
  });
  return getHousehold(trx, actor, id);
}

// ---------------------------------------------------------------------------------------------- assessments

export async function addAssessment(trx: Knex.Transaction, actor: SessionUser, id: number, input: AssessmentInput) {
  const row = await loadWritable(trx, actor, id);
  if (row.status === 'archived') throw invalidState(`household ${id} is archived`, { status: row.status }).zh(`档案 ${id} 已归档，不能录入核查`);
  const pc = perCapita(input.monthlyIncome, input.memberCount);
  const [a] = (await trx('household_assessments')
    .insert({
      household_id: id,
      date: input.date,
      monthly_income: input.monthlyIncome,
      member_count: input.memberCount,
      rigid_expenses: input.rigidExpenses,
      per_capita_income: money(pc),
      evidence: input.evidence ?? null,
      created_by: actor.username,
      created_at: clock.now(),
    })
    .returning('*')).map(decodeAssessment);
  await addEvent(trx, { householdId: id, kind: 'assessed', actor: actor.username, date: input.date, evidence: input.evidence ?? null, changes: { assessmentId: a.id, perCapitaIncome: money(pc) } });
  await appendAudit(trx, {
    actor: actor.username,
    action: 'household.assessed',
    subject: `household:${id}`,
    publicPayload: publicOf(row, { date: input.date }),
    privatePayload: { assessmentId: a.id, date: input.date, monthlyIncome: money(input.monthlyIncome), memberCount: input.memberCount, rigidExpenses: money(input.rigidExpenses), perCapitaIncome: money(pc), evidence: input.evidence ?? null },
  });
  return assessmentView(a);
}

// ---------------------------------------------------------------------------------------------- life cycle

/** The exit threshold of a district: its override row, else the configured default. */
export async function exitThreshold(db: Db, district: string, defaultThreshold: string): Promise<string> {
  const o = await db('household_exit_thresholds').where({ district }).first();
  return money(o ? o.threshold : defaultThreshold);
}

// The Chinese of statuses and steps, for the refusals people read (messageZh).
const STATUS_ZH: Record<string, string> = { registered: '在档', assisted: '已救助', exited: '已脱困', returned: '返困', archived: '已归档' };
const STEP_ZH: Record<string, string> = { exit: '标记脱困', return: '标记返困', archive: '归档', assist: '标记已救助' };

function assertTransition(row: HouseholdRow, kind: Transition, date: string) {
  const allowed = TRANSITIONS[kind] as readonly string[];
  if (!allowed.includes(row.status)) {
    throw invalidState(`household ${row.id} is ${row.status}: ${kind} needs one of ${allowed.join(', ')}`, { status: row.status, action: kind, allowedFrom: allowed })
      .zh(`档案 ${row.id} 当前为「${STATUS_ZH[row.status] ?? row.status}」，不能${STEP_ZH[kind] ?? kind}（须为：${allowed.map((a) => STATUS_ZH[a] ?? a).join('、')}）`);
  }
  // The first aid payment may be dated before the file was opened (an applicant's file); other steps keep order.
  if (kind !== 'assist' && date < row.status_date) {
    throw fieldError('date', `must not be before the household's last status date (${row.status_date})`).zh(`日期不能早于档案上次状态变更日期（${row.status_date}）`);
  }
}

async function transition(trx: Knex.Transaction, actor: string, row: HouseholdRow, kind: Transition, input: TransitionInput, extraPrivate: Record<string, unknown> = {}) {
  assertTransition(row, kind, input.date);
  const to = TARGET_STATUS[kind];
  const updated = decodeHousehold((await trx('households').where({ id: row.id }).update({ status: to, status_date: input.date, updated_at: clock.now() }).returning('*'))[0]);
  await addEvent(trx, { householdId: row.id, kind: 'transition', actor, fromStatus: row.status, toStatus: to, date: input.date, reason: input.reason, evidence: input.evidence ?? null, changes: Object.keys(extraPrivate).length ? extraPrivate : undefined });
  await appendAudit(trx, {
    actor,
    action: `household.${to}`,
    subject: `household:${row.id}`,
    publicPayload: publicOf(updated, { from: row.status, date: input.date }),
    privatePayload: { from: row.status, to, date: input.date, reason: input.reason, evidence: input.evidence ?? null, ...extraPrivate },
  });
  return updated;
}

export async function exitHousehold(trx: Knex.Transaction, actor: SessionUser, id: number, input: TransitionInput, defaultThreshold: string, requireVisitDays = 0) {
  const row = await loadWritable(trx, actor, id);
  assertTransition(row, 'exit', input.date);
  await assertVisitBeforeExit(trx, id, input.date, requireVisitDays); // EXIT_REQUIRES_VISIT_DAYS (src/households/visits.ts)
  const threshold = await exitThreshold(trx, row.district, defaultThreshold);
  const windowFrom = addDays(input.date, -EXIT_ASSESSMENT_WINDOW_DAYS);
  const found = await trx('household_assessments')
    .where({ household_id: id })
    .whereBetween('date', [windowFrom, input.date])
    .orderBy([{ column: 'date', order: 'desc' }, { column: 'id', order: 'desc' }])
    .first();
  const a = found ? decodeAssessment(found) : undefined;
  if (!a || new Decimal(a.per_capita_income).lt(threshold)) {
    throw unprocessable(
      'exit_criteria_not_met',
      a
        ? `the latest assessment (${a.date}) shows ${money(a.per_capita_income)} per person per month, below the threshold of ${threshold}`
        : `no income assessment between ${windowFrom} and ${input.date} (an exit needs one within ${EXIT_ASSESSMENT_WINDOW_DAYS} days)`,
      {
        threshold,
        windowFrom,
        windowTo: input.date,
        assessment: a ? { id: a.id, date: a.date, perCapitaIncome: money(a.per_capita_income), monthlyIncome: money(a.monthly_income), memberCount: a.member_count } : null,
        perCapitaIncome: a ? money(a.per_capita_income) : null,
        shortfall: a ? money(new Decimal(threshold).minus(a.per_capita_income)) : null,
      },
    ).zh(
      a
        ? `最近一次收入核查（${a.date}）人均月收入 ${money(a.per_capita_income)} 元，低于脱困标准 ${threshold} 元（差 ${money(new Decimal(threshold).minus(a.per_capita_income))} 元）`
        : `${windowFrom} 至 ${input.date} 之间没有收入核查（脱困须有 ${EXIT_ASSESSMENT_WINDOW_DAYS} 天内的核查）`,
    );
  }
  await transition(trx, actor.username, row, 'exit', input, { assessmentId: a.id, assessmentDate: a.date, perCapitaIncome: money(a.per_capita_income), threshold });
  return getHousehold(trx, actor, id);
}

export async function returnHousehold(trx: Knex.Transaction, actor: SessionUser, id: number, input: TransitionInput) {
  const row = await loadWritable(trx, actor, id);
  await transition(trx, actor.username, row, 'return', input);
  return getHousehold(trx, actor, id);
}

export async function archiveHousehold(trx: Knex.Transaction, actor: SessionUser, id: number, input: TransitionInput) {
  const row = await loadWritable(trx, actor, id);
  await transition(trx, actor.username, row, 'archive', input);
  return getHousehold(trx, actor, id);
}

// ---------------------------------------------------------------------------------------------- contract (docs/contracts.md)

export async function getHouseholdSummary(db: Db, id: number): Promise<{ id: number; headName: string; district: string; status: HouseholdStatus; category: string } | undefined> {
  if (!Number.isSafeInteger(id) || id < 1 || id > 2147483647) return undefined;
  const row = await db('households').where({ id }).first('id', 'head_name', 'district', 'status', 'category');
  return row ? { id: row.id, headName: row.head_name, district: row.district, status: row.status, category: row.category } : undefined;
}

export async function createApplicantHousehold(
  trx: Knex.Transaction,
  actor: SessionUser,
  applicant: { headName: string; idNumber: string; phone?: string; district: string; unionOrg?: string; address?: string },
): Promise<number> {
  const file = await createHousehold(trx, actor, {
    headName: applicant.headName,
    idNumber: applicant.idNumber,
    phone: applicant.phone ?? null,
    district: applicant.district,
    unionOrg: applicant.unionOrg ?? null,
    address: applicant.address ?? null,
    members: [],
    monthlyIncome: '0.00',
    memberCount: 1,
    category: 'accidental',
    causes: ['other'],
    notes: 'opened with an emergency-aid application',
  });
  return file.id;
}

export async function markHouseholdAssisted(trx: Knex.Transaction, actor: string, householdId: number, date: string, reason: string): Promise<void> {
  const found = await trx('households').where({ id: householdId }).forUpdate().first();
  if (!found) throw notFound(`household ${householdId}`);
  const row = decodeHousehold(found);
  if (row.status !== 'registered') return;
  await transition(trx, actor, row, 'assist', { date, reason });
}

