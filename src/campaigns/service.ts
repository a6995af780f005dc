// Campaigns: create, view, submit / send back / cancel, approval (maker-checker, tiers), the public notice and
// its objections, the notice sweep, payment through the ledger's batch path, cash payment, progress.
import type { Knex } from 'knex';
import type { Db } from '../platform/db';
import { clock, shanghaiDate } from '../platform/clock';
import { AppError, badRequest, conflict, forbidden, invalidState, invariant, messageZhOf, notFound, unprocessable } from '../platform/errors';
import { Decimal, money, sum } from '../platform/money';
import { encryptPersonal } from '../platform/personal-data';
import { canSeeDistrict, districtScope, type SessionUser } from '../auth';
import { fundBalance, getFund, type EntryInput, type Fund, type PostingBatcher } from '../ledger';
import { claimKeys, claimOf, finishClaims, type IdempotencyClaim, type WriteResult } from '../http/idempotency';
import { householdsWithBankAccount, type Category, type HouseholdStatus } from '../households';
import {
  KIND_ZH, approvalsNeeded, decodeCampaign, decodeEvent, decodeLine, decodeObjection, lineRef, tierFor,
  type AmountRules, type CampaignKind, type CampaignRow, type CampaignTierLimits, type LineRow, type Quotas,
} from './model';
import { assertMaker, lockCampaign, reachableDistricts } from './roll';
import { campaignWorkflow, STATUS_ZH, type ApproveInput } from './workflow';

export interface CampaignSettings extends CampaignTierLimits {
  noticePeriodMs: number;
  maxLines: number;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

// ---------------------------------------------------------------------------------------------- create, read

export interface NewCampaign {
  name: string;
  kind: CampaignKind;
  year: number;
  funds: string[];
  rules: AmountRules;
  eligibility?: { statuses?: HouseholdStatus[]; categories?: Category[]; districts?: string[]; notExitedThisYear?: boolean };
  quotas?: Quotas;
}

const FOUNDATION_LEVEL = (f: Fund) => f.kind === 'foundation' && !f.district;

export async function createCampaign(trx: Knex.Transaction, user: SessionUser, input: NewCampaign) {
  const funds: Fund[] = [];
  for (const [i, code] of input.funds.entries()) {
    const f = await getFund(trx, code);
    if (!f) throw badRequest(`unknown fund ${code}`, [{ in: 'body', path: `funds.${i}`, message: `"funds[${i}]" ${code} does not exist` }]);
    funds.push(f);
  }
  // Fund scope as for aid cases: a district's own funds or the foundation-level fund; a district campaign (made by
  // a district officer) only reaches its district.
  const district = user.district ?? null;
  const bad = funds.filter((f) => !(FOUNDATION_LEVEL(f) || (f.district && (!district || f.district === district))));
  if (bad.length) {
    throw unprocessable('fund_out_of_scope', `fund ${bad[0]!.code} is neither ${district ? `a fund of district ${district}` : 'a district fund'} nor the foundation-level fund`, { funds: bad.map((f) => f.code) })
      .zh(`基金 ${bad.map((f) => f.code).join('、')} 不是${district ? `本区（${district}）` : '区级'}基金，也不是基金会本级基金`);
  }
  const categories = input.eligibility?.categories ?? (Object.keys(input.rules.perCategory) as Category[]);
  const noBase = categories.filter((c) => input.rules.perCategory[c] === undefined);
  if (!categories.length || noBase.length) {
    throw badRequest(`every eligible category needs an amount in rules.perCategory (${noBase.join(', ') || 'none given'})`, [{ in: 'body', path: 'rules.perCategory', message: 'an amount for each eligible category' }]);
  }
  for (const [k, v] of Object.entries(input.rules.perCategory)) {
    if (v && new Decimal(v).gt(input.rules.cap)) throw unprocessable('amount_above_cap', `the base amount of ${k} is above the cap`, { category: k, cap: money(input.rules.cap) }).zh(`${k} 的基本金额高于每户封顶`);
  }
  let districts = input.eligibility?.districts ?? null;
  if (district) {
    if (districts && districts.some((d) => d !== district)) throw forbidden(`a district officer makes campaigns of district ${district} only`).zh(`区经办人只能为本区（${district}）设立活动`);
    districts = [district];
  }
  const reach = reachableDistricts({ district, eligibility: { statuses: [], categories, districts, notExitedThisYear: false } }, funds);
  if (districts) {
    const unpaid = districts.filter((d) => !funds.some((f) => f.district === d || FOUNDATION_LEVEL(f)));
    if (unpaid.length) {
      throw unprocessable('fund_out_of_scope', `no fund of the campaign may pay households of district ${unpaid.join(', ')}`, { districts: unpaid }).zh(`活动的基金不能支付 ${unpaid.join('、')} 区的家庭`);
    }
  }
  const eligibility = {
    statuses: input.eligibility?.statuses ?? (['registered', 'assisted', 'returned'] as HouseholdStatus[]),
    categories, districts: districts ?? reach, notExitedThisYear: input.eligibility?.notExitedThisYear ?? false,
  };
  const c = await campaignWorkflow.create(trx, user, {
    values: (now) => ({
      name: input.name, kind: input.kind, year: input.year, district, funds: input.funds, rules: JSON.stringify(input.rules), eligibility: JSON.stringify(eligibility),
      quotas: JSON.stringify(input.quotas ?? {}), created_by: user.id, created_at: now,
    }),
    publicExtra: { funds: input.funds, rules: input.rules, eligibility, quotas: input.quotas ?? {} },
  });
  return getCampaign(trx, user, c.id, undefined);
}

async function totals(db: Db, id: number) {
  const rows: { status: string; pay_state: string; n: string; amount: string }[] = await db('campaign_lines').where({ campaign_id: id })
    .groupBy('status', 'pay_state').select('status', 'pay_state', db.raw('count(*) AS n'), db.raw('coalesce(sum(amount), 0) AS amount'));
  const included = rows.filter((r) => r.status === 'included');
  return {
    // On the roll: included and excluded lines; removed ones (no longer eligible, or an upheld objection) are not.
    lines: rows.filter((r) => r.status !== 'removed').reduce((n, r) => n + Number(r.n), 0),
    included: included.reduce((n, r) => n + Number(r.n), 0),
    total: money(sum(included.map((r) => r.amount))),
  };
}

function campaignView(c: CampaignRow) {
  return {
    id: c.id, name: c.name, kind: c.kind, kindZh: KIND_ZH[c.kind], year: c.year, district: c.district, funds: c.funds, rules: c.rules, eligibility: c.eligibility,
    quotas: c.quotas, status: c.status, statusZh: STATUS_ZH[c.status], builtAt: iso(c.built_at), noticeStart: iso(c.notice_start), noticeEnd: iso(c.notice_end),
    approvedTotal: c.approved_total === null ? null : money(c.approved_total), createdAt: iso(c.created_at), updatedAt: iso(c.updated_at),
  };
}

async function readCampaign(db: Db, user: SessionUser, id: number) {
  const raw = await db('campaigns').where({ id }).first();
  const c = raw ? decodeCampaign(raw) : undefined;
  if (!c || (c.district && !canSeeDistrict(user, c.district))) throw notFound(`campaign ${id}`);
  return c;
}

/** One campaign with its roll totals, tier, approvals, timeline and objections. */
export async function getCampaign(db: Db, user: SessionUser, id: number, limits: CampaignTierLimits | undefined) {
  const c = await readCampaign(db, user, id);
  const t = await totals(db, id);
  const events = (await db('campaign_events').where({ campaign_id: id }).orderBy('id')).map(decodeEvent);
  const approvals: { approver: string; total: string; at: Date }[] = await db('campaign_approvals').where({ campaign_id: id }).orderBy('at');
  const objections = (await db('campaign_objections').where({ campaign_id: id }).orderBy('id')).map(decodeObjection);
  const tier = limits ? tierFor(t.total, limits) : null;
  return {
    ...campaignView(c), roll: t,
    ...(tier && limits ? { tier, approvalsNeeded: approvalsNeeded(tier), tierLimits: { district: money(limits.districtLimit), foundation: money(limits.foundationLimit) } } : {}),
    approvals: approvals.map((a) => ({ approver: a.approver, total: money(a.total), at: a.at.toISOString() })),
    timeline: events.map((e) => ({ action: e.action, actor: e.actor, at: e.at.toISOString(), note: e.note, amount: e.amount === null ? null : money(e.amount), fromStatus: e.from_status, toStatus: e.to_status })),
    objections: objections.map((o) => ({ id: o.id, lineId: o.line_id, status: o.status, text: o.text, createdAt: o.created_at.toISOString(), note: o.resolution_note, resolvedAt: iso(o.resolved_at) })),
  };
}

export async function listCampaigns(db: Db, user: SessionUser, q: { year?: number; status?: string; limit: number; cursor?: string }) {
  const scope = districtScope(user);
  const query = db('campaigns').orderBy('id', 'desc').limit(q.limit + 1);
  // District users see their district's campaigns and the city-wide ones (they review their lines of those).
  if (scope) query.where((w) => w.whereNull('district').orWhere('district', scope));
  if (q.year) query.where('year', q.year);
  if (q.status) query.where('status', q.status);
  if (q.cursor) query.where('id', '<', Number(q.cursor));
  const rows = (await query).map(decodeCampaign);
  const items = rows.slice(0, q.limit).map(campaignView);
  return { items, nextCursor: rows.length > q.limit ? String(items[items.length - 1]!.id) : null };
}

// ---------------------------------------------------------------------------------------------- submit, approve

export async function submitCampaign(trx: Knex.Transaction, user: SessionUser, id: number, note?: string) {
  const c = await lockCampaign(trx, user, id);
  assertMaker(user, c);
  const t = await totals(trx, id);
  if (t.included === 0) throw invalidState('the roll has no line').zh('名单为空，不能提交');
  await campaignWorkflow.apply(trx, c, 'submit', user, { note, amount: t.total, publicExtra: { lines: t.included, total: t.total } });
}

/** A city-wide roll is approved (so also sent back or cancelled) at the city level: a district approver only approves their district's. */
function assertCityLevel(user: SessionUser, c: CampaignRow) {
  if (!c.district && user.district) throw forbidden('a city-wide campaign is sent back or cancelled by city-level staff').zh('全市活动只能由市级人员退回或取消');
}

export async function sendBackCampaign(trx: Knex.Transaction, user: SessionUser, id: number, note: string) {
  const c = await lockCampaign(trx, user, id);
  assertCityLevel(user, c);
  // A send-back undoes any first approval: the roll may change before it comes back.
  await campaignWorkflow.apply(trx, c, 'send_back', user, { note, before: () => trx('campaign_approvals').where({ campaign_id: id }).delete().then(() => undefined) });
}

export async function cancelCampaign(trx: Knex.Transaction, user: SessionUser, id: number, note: string) {
  const c = await lockCampaign(trx, user, id);
  assertCityLevel(user, c);
  await campaignWorkflow.apply(trx, c, 'cancel', user, { note });
}

export async function approveCampaign(trx: Knex.Transaction, user: SessionUser, id: number, input: { note?: string }, settings: CampaignSettings) {
  const c = await lockCampaign(trx, user, id);
  const { total, included } = await totals(trx, id);
  const tier = tierFor(total, settings);
  const prior = Number((await trx('campaign_approvals').where({ campaign_id: id }).count<{ n: string }[]>('* as n'))[0]!.n);
  const approveInput: ApproveInput = { total, limits: settings };
  const record = {
    input: approveInput, note: input.note, amount: total,
    before: () => trx('campaign_approvals').insert({ campaign_id: id, approver_id: user.id, approver: user.username, total, at: clock.now() }).then(() => undefined),
  };
  if (prior + 1 < approvalsNeeded(tier)) {
    await campaignWorkflow.apply(trx, c, 'record_approval', user, { ...record, publicExtra: { total, lines: included, approvalsNeeded: 2, approvals: prior + 1 } });
    return;
  }
  const start = clock.now();
  const end = new Date(start.getTime() + settings.noticePeriodMs);
  await campaignWorkflow.apply(trx, c, 'approve', user, {
    ...record,
    patch: { approved_total: total, notice_start: start, notice_end: end },
    publicExtra: { total, lines: included, noticeStart: start.toISOString(), noticeEnd: end.toISOString() },
  });
}

// ---------------------------------------------------------------------------------------------- public notice, objections

/** Campaigns whose roll is in public notice now. */
export async function listPublicCampaigns(db: Db) {
  const rows = (await db('campaigns').where('status', 'in_notice').where('notice_end', '>', clock.now()).orderBy('id')).map(decodeCampaign);
  const items = [];
  for (const c of rows) {
    const t = await totals(db, c.id);
    items.push({ id: c.id, name: c.name, kind: c.kind, kindZh: KIND_ZH[c.kind], year: c.year, district: c.district, lines: t.included, total: t.total, noticeStart: iso(c.notice_start), noticeEnd: iso(c.notice_end) });
  }
  return { items, nextCursor: null };
}

async function noticedCampaign(db: Db, id: number) {
  const raw = await db('campaigns').where({ id }).first();
  const c = raw ? decodeCampaign(raw) : undefined;
  if (!c || c.status !== 'in_notice' || !c.notice_end || c.notice_end <= clock.now()) throw notFound(`campaign ${id} in public notice`);
  return c;
}

/** The roll as the public sees it: masked name, district, category, amount (never an ID, a phone or a bank account). */
export async function publicRoll(db: Db, id: number, q: { district?: string; limit: number; cursor?: string }) {
  const c = await noticedCampaign(db, id);
  const query = db('campaign_lines').where({ campaign_id: id, status: 'included' }).orderBy('line_no').limit(q.limit + 1)
    .select('line_no', 'masked_name', 'district', 'category', 'amount');
  if (q.district) query.where('district', q.district);
  if (q.cursor) query.where('line_no', '>', Number(q.cursor));
  const rows: { line_no: number; masked_name: string; district: string; category: string; amount: string }[] = await query;
  const items = rows.slice(0, q.limit).map((r) => ({ lineNo: r.line_no, maskedName: r.masked_name, district: r.district, category: r.category, amount: money(r.amount) }));
  return { campaign: { id: c.id, name: c.name, kind: c.kind, kindZh: KIND_ZH[c.kind], year: c.year, noticeEnd: iso(c.notice_end) }, items, nextCursor: rows.length > q.limit ? String(items[items.length - 1]!.lineNo) : null };
}

const plainText = (s: string) => s.replace(/<[^>]*>?/g, ' ').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').replace(/[ \t]+/g, ' ').trim();

export async function fileObjection(trx: Knex.Transaction, id: number, lineNo: number, input: { text: string; contact?: string }) {
  const raw = await trx('campaigns').where({ id }).forUpdate().first();
  const c = raw ? decodeCampaign(raw) : undefined;
  if (!c || c.status !== 'in_notice' || !c.notice_end || c.notice_end <= clock.now()) throw notFound(`campaign ${id} in public notice`);
  const line = await trx('campaign_lines').where({ campaign_id: id, line_no: lineNo, status: 'included' }).first();
  if (!line) throw notFound(`line ${lineNo} of the roll`);
  const text = plainText(input.text);
  if (!text) throw badRequest('the objection has no text once markup is removed', [{ in: 'body', path: 'text', message: '"text" is empty' }]);
  const [o] = await trx('campaign_objections')
    .insert({ campaign_id: id, line_id: line.id, text, contact_sealed: input.contact ? encryptPersonal(input.contact) : null, status: 'open', created_at: clock.now() })
    .returning(['id', 'created_at']);
  await campaignWorkflow.apply(trx, c, 'file_objection', 'public', { publicExtra: { objectionId: o.id, lineNo } });
  return { id: o.id, campaignId: id, lineNo, status: 'open', createdAt: new Date(o.created_at).toISOString() };
}

/** Upheld removes the line from the roll; dismissed lets it stay. The last objection resolved after the notice makes the roll payable. */
export async function resolveObjection(trx: Knex.Transaction, user: SessionUser, id: number, objectionId: number, input: { outcome: 'upheld' | 'dismissed'; note: string }) {
  const c = await lockCampaign(trx, user, id);
  const refusal = await campaignWorkflow.check(trx, c, 'dismiss_objection', user);
  if (refusal) throw refusal;
  const oRaw = await trx('campaign_objections').where({ id: objectionId, campaign_id: id }).forUpdate().first();
  if (!oRaw) throw notFound(`objection ${objectionId} of campaign ${id}`);
  const o = decodeObjection(oRaw);
  if (o.status !== 'open') throw invalidState(`the objection was already ${o.status}`).zh(`该异议已处理（${o.status === 'upheld' ? '成立' : '不成立'}）`);
  const line = decodeLine(await trx('campaign_lines').where({ id: o.line_id }).forUpdate().first());
  if (user.district && user.district !== line.district) throw forbidden(`the line belongs to district ${line.district}`).zh(`该明细属于 ${line.district} 区，不在您的范围内`);
  await trx('campaign_objections').where({ id: o.id }).update({ status: input.outcome, resolved_by: user.id, resolved_at: clock.now(), resolution_note: input.note });
  const step = { note: input.note, publicExtra: { objectionId: o.id, lineNo: line.line_no, outcome: input.outcome } };
  let after: CampaignRow;
  if (input.outcome === 'upheld') {
    invariant(line.pay_state === 'unpaid', 'objections are resolved before payment');
    await trx('campaign_lines').where({ id: line.id }).update({ status: 'removed', review_note: `异议成立 objection upheld: ${input.note}`.slice(0, 500), reviewed_by: user.username, reviewed_at: clock.now() });
    after = await campaignWorkflow.apply(trx, c, 'uphold_objection', user, { ...step, amount: line.amount });
  } else {
    after = await campaignWorkflow.apply(trx, c, 'dismiss_objection', user, step);
  }
  if (after.status === 'in_notice' && !(await campaignWorkflow.check(trx, after, 'payable', 'system'))) {
    await campaignWorkflow.apply(trx, after, 'payable', 'system', { note: 'notice ended; objections resolved' });
  }
}

/** The sweep: rolls whose notice ended with no open objection become payable. One instance at a time. */
export async function sweepCampaignNotices(ctx: { db: Knex }) {
  return ctx.db.transaction(async (trx) => {
    const { rows } = await trx.raw('SELECT pg_try_advisory_xact_lock(7304) AS got');
    if (!rows[0].got) return 0;
    const due = await trx('campaigns as c').where('c.status', 'in_notice').where('c.notice_end', '<=', clock.now())
      .whereNotExists(trx('campaign_objections as o').whereRaw('o.campaign_id = c.id').where('o.status', 'open'))
      .orderBy('c.id').limit(100).forUpdate().skipLocked().select('c.*');
    for (const raw of due) await campaignWorkflow.apply(trx, decodeCampaign(raw), 'payable', 'system', { note: 'notice ended without objection' });
    return due.length;
  });
}

// ---------------------------------------------------------------------------------------------- payment

/** Ledger accounts of a relief payment (docs/campaigns.md). */
const EXPENSE = '5101';
const PAYABLE = '2209';
const BANK = '1002';
const CASH = '1001';
/**
 * Per-line idempotency keys are claimed in the ledger's batch under this reserved user id (no user has id 0),
 * so a retry by any finance user finds the first posting of a line: keys are per user (src/http/idempotency).
 */
const CAMPAIGN_KEY_USER = 0;
export const PAYMENT_CHUNK = 500;

/** Test hook: make a payment run stop (as a crash would) once this many lines are posted, before they are marked paid. */
export const paymentTestHooks: { crashAfterPostedLines: number | null; chunkSize: number | null; beforeChunk: ((index: number) => Promise<void>) | null } = {
  crashAfterPostedLines: null, chunkSize: null, beforeChunk: null,
};

const running = new Set<number>();

/**
 * A bank payment and a cash payment of the same attempt share one key (with different bodies): whichever commits
 * first holds it and the other is refused by the ledger's idempotency check, so no two instances can settle a
 * line twice, even between a run's posting and its marking of the lines.
 */
function lineClaim(c: CampaignRow, l: LineRow, kind: 'pay' | 'return' | 'cash'): IdempotencyClaim {
  const slot = kind === 'return' ? 'return' : 'settle';
  return claimOf({
    userId: CAMPAIGN_KEY_USER, key: `campaign:${c.id}:line:${l.id}:${l.pay_attempt}:${slot}`, method: 'post', path: 'campaign-line',
    body: { campaignId: c.id, lineId: l.id, attempt: l.pay_attempt, kind, amount: money(l.amount), fund: l.fund },
  });
}

/**
 * The entry of one line. The first payment: Dr 5101 programme cost / Cr 1002 (or 1001) — the relief is spent
 * and the money leaves. A bank failure posts the transfer back as Dr 1002 / Cr 2209 (the household is owed it:
 * the payable is open); a second attempt settles that payable, Dr 2209 / Cr 1002 (or 1001 in cash).
 */
export function paymentEntry(c: CampaignRow, l: LineRow, date: string, via: 'bank' | 'cash'): EntryInput {
  const ref = lineRef(c.id, l.line_no);
  const tag = { fund: l.fund, householdId: l.household_id, memo: `${ref} ${c.name}`.slice(0, 500) };
  const amount = money(l.amount);
  const out = { account: via === 'bank' ? BANK : CASH, credit: amount, ...tag };
  const first = l.pay_state === 'unpaid';
  return {
    date, source: 'aid', sourceRef: `campaign:${c.id}:${l.line_no}`,
    description: `${KIND_ZH[c.kind]} ${c.name} ${ref} 慰问金${first ? '' : '（再次发放）'} Campaign relief${first ? '' : ' (second attempt)'} via ${via}`.slice(0, 500),
    lines: [{ account: first ? EXPENSE : PAYABLE, debit: amount, ...tag }, out],
  };
}

/** A bank failure: the transfer comes back, the payable to the household is open again. */
export function returnEntry(c: CampaignRow, l: LineRow, date: string, reason: string): EntryInput {
  const ref = lineRef(c.id, l.line_no);
  const tag = { fund: l.fund, householdId: l.household_id, memo: `${ref} 退回 ${reason}`.slice(0, 500) };
  const amount = money(l.amount);
  return {
    date, source: 'aid', sourceRef: `campaign:${c.id}:${l.line_no}:return`,
    description: `${c.name} ${ref} 代发失败退回 Bank transfer failed: ${reason}`.slice(0, 500),
    lines: [{ account: BANK, debit: amount, ...tag }, { account: PAYABLE, credit: amount, ...tag }],
  };
}

/**
 * Posts entries through the ledger's batch path (all or nothing per call), each under its line's key: a line
 * posted before a crash is answered from its key, never posted twice. Returns each line's entry.
 */
export async function postLines(batcher: PostingBatcher, actor: string, c: CampaignRow, lines: LineRow[], entry: (l: LineRow) => EntryInput, kind: 'pay' | 'return' | 'cash') {
  const answer = await batcher.postBatch(actor, true, lines.map((l) => ({ input: entry(l), claim: lineClaim(c, l, kind) })));
  const results = (answer.body as { results: { status: number; body: { id: number; number: string } }[] }).results;
  invariant(results.length === lines.length, 'one result per line');
  return results.map((r) => r.body);
}

/** Open campaign payables of a fund (returned lines not paid again), across campaigns. */
async function openPayables(db: Db, fund: string, except: number[]) {
  const q = db('campaign_lines').where({ fund, pay_state: 'returned' }).sum<{ s: string | null }[]>('amount as s');
  if (except.length) q.whereNotIn('id', except);
  return new Decimal((await q)[0]!.s ?? 0);
}

/**
 * The fund check before anything is written: per fund, the lines' total against available and bank. Lines a
 * stopped run already posted (their key holds an answer) are not counted again: their money has left.
 */
async function assertFundsCover(db: Db, c: CampaignRow, lines: LineRow[]) {
  const keys = lines.map((l) => lineClaim(c, l, 'pay').key);
  const posted = new Set<string>();
  for (let i = 0; i < keys.length; i += 5000) {
    const got: string[] = await db('idempotency_keys').where('user_id', CAMPAIGN_KEY_USER).whereIn('key', keys.slice(i, i + 5000)).whereNotNull('response_status').pluck('key');
    got.forEach((k) => posted.add(k));
  }
  const byFund = new Map<string, Decimal>();
  lines.forEach((l, i) => {
    if (!posted.has(keys[i]!)) byFund.set(l.fund, (byFund.get(l.fund) ?? new Decimal(0)).plus(l.amount));
  });
  for (const [fund, required] of byFund) {
    const b = await fundBalance(db, fund);
    const available = Decimal.min(new Decimal(b.available).minus(await openPayables(db, fund, lines.filter((l) => l.pay_state === 'returned').map((l) => l.id))), b.bank);
    if (available.lt(required)) {
      throw conflict('insufficient_funds', `fund ${fund} has ${money(available)} available; this payment needs ${money(required)}`, { fund, available: money(available), required: money(required) })
        .zh(`基金 ${fund} 可用余额 ${money(available)} 元，本次发放需 ${money(required)} 元：未记账`);
    }
  }
}

/** A run refused after some chunks were paid: 409 with what was paid, the refusal and what is still open. */
function runInterrupted(id: number, cause: AppError, done: { paid: number; amount: Decimal; entries: string[]; open: number }) {
  return conflict('payment_interrupted', `the payment run stopped after ${done.paid} lines (${money(done.amount)}) were paid: ${cause.message}`, {
    campaignId: id, status: 'paying', paidNow: done.paid, amountNow: money(done.amount), open: done.open, entries: done.entries.slice(0, 1000),
    cause: { status: cause.status, code: cause.code, message: cause.message, details: cause.details ?? null },
  }).zh(`本次发放已付 ${done.paid} 户、${money(done.amount)} 元（已记账，活动为“支付中”），其余 ${done.open} 户被拒绝未记账：${messageZhOf(cause.code, cause.messageZh) ?? cause.message}。处理后再次发起支付即可续付`);
}

export interface PaymentSummary {
  campaignId: number;
  status: string;
  paidNow: number;
  amountNow: string;
  withoutBankAccount: number;
  entries: string[];
}

/** The committed answer of a request's own Idempotency-Key, if it was used before. */
export async function priorAnswer(db: Knex, claim: IdempotencyClaim | undefined): Promise<WriteResult | null> {
  if (!claim) return null;
  const prior = await db('idempotency_keys').where({ user_id: claim.userId, key: claim.key }).whereNotNull('response_status').first();
  if (!prior) return null;
  if (prior.request_hash !== claim.requestHash) throw conflict('idempotency_conflict', 'this idempotency key was already used with a different request', { key: claim.key });
  return { status: prior.response_status, body: prior.response_body };
}

/** Stores the answer under the request's key in the transaction that commits the work (a concurrent twin gets the first answer). */
export async function keepAnswer(trx: Knex.Transaction, claim: IdempotencyClaim | undefined, result: WriteResult): Promise<WriteResult> {
  if (!claim) return result;
  const [o] = await claimKeys(trx, [claim]);
  if (!o!.claimed) {
    if ('error' in o!) throw o.error;
    return o!.replay;
  }
  await finishClaims(trx, [{ claim, result }]);
  return result;
}

/** One money-moving operation per campaign at a time in this process (a quick 409); across instances the lines' shared keys decide (lineClaim). */
function startMoving(id: number) {
  if (running.has(id)) throw conflict('payment_running', `a payment of campaign ${id} is in progress`).zh('该活动正在发放中，请稍后再试');
  running.add(id);
}

/**
 * POST /campaigns/:id/payments: every unpaid (or returned) included line with a bank account, through the
 * ledger's batch path, one entry per household, in chunks. The fund check comes first (409, nothing written).
 * Resumable: each chunk is posted under per-line keys, then its lines are marked paid; a run stopped between
 * the two is finished by the next run, which gets the posted entries back from their keys.
 */
export async function payCampaign(db: Knex, batcher: PostingBatcher, user: SessionUser, id: number, input: { date?: string }, claim?: IdempotencyClaim): Promise<WriteResult> {
  const prior = await priorAnswer(db, claim);
  if (prior) return prior;
  startMoving(id);
  try {
    const date = input.date ?? shanghaiDate();
    // Check, outside the postings: state, who, notice; the lines; the funds. Nothing written if refused.
    const { c, lines, without } = await db.transaction(async (trx) => {
      let c = await lockCampaign(trx, user, id);
      if (c.status === 'in_notice' && !(await campaignWorkflow.check(trx, c, 'payable', 'system'))) c = await campaignWorkflow.apply(trx, c, 'payable', 'system', { note: 'notice ended' });
      const refusal = await campaignWorkflow.check(trx, c, 'pay', user);
      if (refusal) throw refusal;
      const all = (await trx('campaign_lines').where({ campaign_id: id, status: 'included' }).whereIn('pay_state', ['unpaid', 'returned']).orderBy('line_no')).map(decodeLine);
      const withAccount = await householdsWithBankAccount(trx, all.map((l) => l.household_id));
      const lines = all.filter((l) => withAccount.has(l.household_id));
      await assertFundsCover(trx, c, lines);
      return { c, lines, without: all.length - lines.length };
    });
    const entries: string[] = [];
    let paid = 0;
    let amount = new Decimal(0);
    const chunk = paymentTestHooks.chunkSize ?? PAYMENT_CHUNK;
    for (let i = 0; i < lines.length; i += chunk) {
      const part = lines.slice(i, i + chunk);
      if (paymentTestHooks.beforeChunk) await paymentTestHooks.beforeChunk(i / chunk);
      let posted: { id: number; number: string }[];
      try {
        posted = await postLines(batcher, user.username, c, part, (l) => paymentEntry(c, l, date, 'bank'), 'pay');
      } catch (e) {
        // The chunk is refused whole (atomic); the chunks before it are paid and marked, the campaign already
        // 'paying': the caller learns what was paid, and a new run pays the rest.
        if (paid > 0 && e instanceof AppError && e.status < 500) throw runInterrupted(id, e, { paid, amount, entries, open: lines.length - paid });
        throw e;
      }
      if (paymentTestHooks.crashAfterPostedLines !== null && paid + part.length >= paymentTestHooks.crashAfterPostedLines) {
        throw new Error('simulated crash after posting, before marking the lines paid (test hook)');
      }
      await db.transaction(async (trx) => {
        const locked = await lockCampaign(trx, user, id);
        await trx.raw(
          `UPDATE campaign_lines l SET pay_state = 'paid', entry_id = x.entry_id, entry_number = x.entry_number, paid_date = ?::date, pay_method = 'bank', bank_reason = NULL
             FROM jsonb_to_recordset(?::jsonb) AS x(id integer, entry_id integer, entry_number text) WHERE l.id = x.id AND l.pay_state IN ('unpaid', 'returned')`,
          [date, JSON.stringify(part.map((l, k) => ({ id: l.id, entry_id: posted[k]!.id, entry_number: posted[k]!.number })))],
        );
        const partAmount = sum(part.map((l) => l.amount));
        await campaignWorkflow.apply(trx, locked, 'record_lines_paid', user, {
          amount: money(partAmount), note: `lines ${part[0]!.line_no}–${part[part.length - 1]!.line_no}`,
          publicExtra: { lines: part.length, amount: money(partAmount), firstLine: part[0]!.line_no, lastLine: part[part.length - 1]!.line_no, entries: [posted[0]!.number, posted[posted.length - 1]!.number] },
        });
        amount = amount.plus(partAmount);
      });
      paid += part.length;
      entries.push(...posted.map((p) => p.number));
    }
    const status = await db.transaction(async (trx) => {
      const locked = await lockCampaign(trx, user, id);
      const open = Number((await trx('campaign_lines').where({ campaign_id: id, status: 'included' }).whereIn('pay_state', ['unpaid', 'returned']).count<{ n: string }[]>('* as n'))[0]!.n);
      const step = open === 0 ? 'pay' : 'pay_part';
      if (!(paid === 0 && locked.status === (open === 0 ? 'paid' : 'paying'))) {
        await campaignWorkflow.apply(trx, locked, step, user, { amount: money(amount), note: `${paid} lines paid, ${open} open`, publicExtra: { paidNow: paid, amount: money(amount), open } });
      }
      const body: PaymentSummary = { campaignId: id, status: open === 0 ? 'paid' : 'paying', paidNow: paid, amountNow: money(amount), withoutBankAccount: without, entries: entries.slice(0, 1000) };
      return keepAnswer(trx, claim, { status: 200, body });
    });
    return status;
  } finally {
    running.delete(id);
  }
}

/** A returned (or never transferred) line paid in cash: the payable settled from 1001; the line is confirmed. */
export async function payLineInCash(db: Knex, batcher: PostingBatcher, user: SessionUser, id: number, lineNo: number, input: { date?: string; note: string }, claim?: IdempotencyClaim): Promise<WriteResult> {
  const prior = await priorAnswer(db, claim);
  if (prior) return prior;
  startMoving(id);
  try {
    return await cashLine(db, batcher, user, id, lineNo, input, claim);
  } finally {
    running.delete(id);
  }
}

async function cashLine(db: Knex, batcher: PostingBatcher, user: SessionUser, id: number, lineNo: number, input: { date?: string; note: string }, claim?: IdempotencyClaim): Promise<WriteResult> {
  const date = input.date ?? shanghaiDate();
  const { c, line } = await db.transaction(async (trx) => {
    const c = await lockCampaign(trx, user, id);
    const refusal = await campaignWorkflow.check(trx, c, 'pay_cash', user);
    if (refusal) throw refusal;
    const raw = await trx('campaign_lines').where({ campaign_id: id, line_no: lineNo }).first();
    if (!raw) throw notFound(`line ${lineNo} of campaign ${id}`);
    const line = decodeLine(raw);
    if (line.status !== 'included' || !(line.pay_state === 'unpaid' || line.pay_state === 'returned')) {
      throw invalidState(`line ${lineNo} is ${line.status} / ${line.pay_state}`).zh(`第 ${lineNo} 行不是待发放的明细`);
    }
    const b = await fundBalance(trx, line.fund);
    if (new Decimal(b.cash).lt(line.amount)) throw conflict('insufficient_funds', `fund ${line.fund} has ${money(b.cash)} cash`, { fund: line.fund, cash: money(b.cash), required: money(line.amount) }).zh(`基金 ${line.fund} 现金不足`);
    return { c, line };
  });
  const [posted] = await postLines(batcher, user.username, c, [line], (l) => paymentEntry(c, l, date, 'cash'), 'cash');
  return db.transaction(async (trx) => {
    const locked = await lockCampaign(trx, user, id);
    await trx('campaign_lines').where({ id: line.id }).whereIn('pay_state', ['unpaid', 'returned'])
      .update({ pay_state: 'confirmed', pay_method: 'cash', entry_id: posted!.id, entry_number: posted!.number, paid_date: date, bank_reason: line.bank_reason });
    await campaignWorkflow.apply(trx, locked, 'pay_cash', user, { amount: money(line.amount), note: input.note, publicExtra: { lineNo, district: line.district, entry: posted!.number } });
    return keepAnswer(trx, claim, { status: 200, body: { campaignId: id, lineNo, payState: 'confirmed', entryNumber: posted!.number } });
  });
}

// ---------------------------------------------------------------------------------------------- progress

/** Dashboard data: lines by state, totals by district and category. */
export async function campaignProgress(db: Db, user: SessionUser, id: number) {
  const c = await readCampaign(db, user, id);
  const scope = districtScope(user);
  const base = () => {
    const q = db('campaign_lines').where({ campaign_id: id });
    if (scope) q.where('district', scope);
    return q;
  };
  const agg = (q: Knex.QueryBuilder) => q.select(db.raw('count(*)::int AS n'), db.raw('coalesce(sum(amount), 0)::text AS amount'),
    db.raw(`coalesce(sum(amount) FILTER (WHERE pay_state IN ('paid','confirmed')), 0)::text AS paid`),
    db.raw(`count(*) FILTER (WHERE pay_state IN ('paid','confirmed'))::int AS paid_lines`));
  type Agg = { n: number; amount: string; paid: string; paid_lines: number };
  const byStatus: ({ status: string; pay_state: string } & Agg)[] = await agg(base().groupBy('status', 'pay_state').select('status', 'pay_state'));
  const byDistrict: ({ district: string } & Agg)[] = await agg(base().where('status', 'included').groupBy('district').orderBy('district').select('district'));
  const byCategory: ({ category: string } & Agg)[] = await agg(base().where('status', 'included').groupBy('category').orderBy('category').select('category'));
  const count = (f: (r: { status: string; pay_state: string }) => boolean) => byStatus.filter(f).reduce((n, r) => n + r.n, 0);
  const amt = (f: (r: { status: string; pay_state: string }) => boolean) => money(sum(byStatus.filter(f).map((r) => r.amount)));
  const inc = (r: { status: string }) => r.status === 'included';
  const view = (r: Agg) => ({ lines: r.n, amount: money(r.amount), paidLines: r.paid_lines, paid: money(r.paid) });
  return {
    campaignId: id, status: c.status, statusZh: STATUS_ZH[c.status], district: scope,
    lines: {
      total: count(() => true), included: count(inc), excluded: count((r) => r.status === 'excluded'), removed: count((r) => r.status === 'removed'),
      unpaid: count((r) => inc(r) && r.pay_state === 'unpaid'), paid: count((r) => inc(r) && r.pay_state === 'paid'),
      confirmed: count((r) => inc(r) && r.pay_state === 'confirmed'), returned: count((r) => inc(r) && r.pay_state === 'returned'),
    },
    amounts: {
      roll: amt(inc), unpaid: amt((r) => inc(r) && r.pay_state === 'unpaid'), paid: amt((r) => inc(r) && r.pay_state === 'paid'),
      confirmed: amt((r) => inc(r) && r.pay_state === 'confirmed'), returned: amt((r) => inc(r) && r.pay_state === 'returned'),
    },
    byDistrict: byDistrict.map((r) => ({ district: r.district, ...view(r) })),
    byCategory: byCategory.map((r) => ({ category: r.category, ...view(r) })),
  };
}
