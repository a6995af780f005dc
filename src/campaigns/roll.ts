// The roll (名单): built from the household files by the campaign's rules (one line per household, with its
// amount and the rule that gave it), recomputed with what changed, and reviewed line by line by the officers
// of each district (exclude, include, adjust within the cap — each with a reason, each audited).
import type { Knex } from 'knex';
import type { Db } from '../platform/db';
import { clock } from '../platform/clock';
import { forbidden, notFound, unprocessable, conflict, invalidState } from '../platform/errors';
import { Decimal, money, sum } from '../platform/money';
import { maskName } from '../platform/masking';
import { canSeeDistrict, districtScope, type SessionUser } from '../auth';
import { getFund, type Fund } from '../ledger';
import { eligibleFiles, type EligibleFile } from '../households';
import { amountFor, decodeCampaign, decodeLine, fundFor, quotaOrder, type CampaignRow, type LineRow, type LineStatus, type PayState } from './model';
import { campaignWorkflow } from './workflow';

export interface RollSettings {
  maxLines: number;
}

const OVER_QUOTA = '超出本区名额 over the district quota';
const NO_LONGER_ELIGIBLE = '重算名单时不再符合条件 no longer eligible at a recompute';

/** The books hold NUMERIC(18,2): a roll total above this cannot be recorded, approved or paid. */
const MAX_TOTAL = new Decimal('9999999999999999.99');
function assertTotalFits(total: Decimal.Value) {
  if (new Decimal(total).gt(MAX_TOTAL)) {
    throw unprocessable('amount_out_of_range', `the roll total ${new Decimal(total).toFixed(2)} is above ${MAX_TOTAL.toFixed(2)}, the most the books can record`, { total: new Decimal(total).toFixed(2), max: MAX_TOTAL.toFixed(2) })
      .zh(`名单总额 ${new Decimal(total).toFixed(2)} 元超出账簿可记录的上限，请降低金额或封顶`);
  }
}

export async function lockCampaign(trx: Knex.Transaction, user: SessionUser | undefined, id: number): Promise<CampaignRow> {
  const raw = await trx('campaigns').where({ id }).forUpdate().first();
  if (!raw) throw notFound(`campaign ${id}`);
  const c = decodeCampaign(raw);
  // A district campaign is another district's business: not found, as for files and cases.
  if (user && c.district && !canSeeDistrict(user, c.district)) throw notFound(`campaign ${id}`);
  return c;
}

/** A city-wide campaign is built, submitted and cancelled at the city level (a user with no district). */
export function assertMaker(user: SessionUser, c: CampaignRow) {
  if (!c.district && user.district) throw forbidden('a city-wide campaign is built and submitted by city-level staff').zh('全市活动的名单由市级经办人生成和提交；区经办人只复核本区明细');
}

export async function campaignFunds(db: Db, c: CampaignRow): Promise<Fund[]> {
  const out: Fund[] = [];
  for (const code of c.funds) {
    const f = await getFund(db, code);
    if (f) out.push(f);
  }
  return out;
}

/** The districts a campaign may reach: its eligibility's, else those its funds cover (every one with a foundation-level fund). */
export function reachableDistricts(c: Pick<CampaignRow, 'eligibility' | 'district'>, funds: Fund[]): string[] | null {
  if (c.district) return [c.district];
  if (c.eligibility.districts) return c.eligibility.districts;
  if (funds.some((f) => f.kind === 'foundation' && !f.district)) return null;
  return [...new Set(funds.flatMap((f) => (f.district ? [f.district] : [])))];
}

interface Planned {
  file: EligibleFile;
  amount: string;
  rule: string;
  fund: string;
  overQuota: boolean;
}

/** The roll the rules give now: every eligible file with its amount, rule, fund and whether it is over its district's quota. */
async function plan(db: Db, c: CampaignRow, settings: RollSettings): Promise<Planned[]> {
  const funds = await campaignFunds(db, c);
  const files = await eligibleFiles(db, {
    statuses: c.eligibility.statuses, categories: c.eligibility.categories, districts: reachableDistricts(c, funds),
    notExitedInYear: c.eligibility.notExitedThisYear ? c.year : null, limit: settings.maxLines + 1,
  });
  if (files.length > settings.maxLines) {
    throw unprocessable('roll_too_large', `the rules pick more than ${settings.maxLines} households (CAMPAIGN_ROLL_MAX_LINES)`, { maxLines: settings.maxLines })
      .zh(`按此规则名单将超过 ${settings.maxLines} 户的上限，请收窄条件`);
  }
  const planned: Planned[] = [];
  const outOfScope = new Set<string>();
  for (const file of files) {
    const a = amountFor(c.rules, file);
    if (!a) continue;
    const fund = fundFor(funds, file.district);
    if (!fund) {
      outOfScope.add(file.district);
      continue;
    }
    planned.push({ file, ...a, fund, overQuota: false });
  }
  if (outOfScope.size) {
    const ds = [...outOfScope].sort();
    throw unprocessable('fund_out_of_scope', `no fund of the campaign may pay households of district ${ds.join(', ')}`, { districts: ds, funds: c.funds })
      .zh(`活动的基金不能支付 ${ds.join('、')} 区的家庭（须为本区基金或基金会本级基金）`);
  }
  // Quotas: the first `quota` of each district in quota order are in; the rest are excluded.
  const byDistrict = new Map<string, Planned[]>();
  for (const p of planned) byDistrict.set(p.file.district, [...(byDistrict.get(p.file.district) ?? []), p]);
  for (const [district, list] of byDistrict) {
    const quota = c.quotas[district];
    if (quota === undefined || list.length <= quota) continue;
    const ranked = list.map((p) => ({ p, category: p.file.category, id: p.file.id, perCapita: new Decimal(p.file.monthlyIncome).div(p.file.memberCount) })).sort(quotaOrder);
    ranked.slice(quota).forEach((r) => (r.p.overQuota = true));
  }
  return planned;
}

export interface RollDiff {
  lines: number;
  included: number;
  total: string;
  added: number;
  removed: number;
  amountChanged: number;
  /** The first 200 changes of each kind, for a page to show. */
  changes: {
    added: { householdId: number; maskedName: string; district: string; amount: string }[];
    removed: { lineNo: number; householdId: number; maskedName: string; district: string; amount: string }[];
    amountChanged: { lineNo: number; householdId: number; from: string; to: string; rule: string }[];
  };
}

const LINE_COLUMNS = 'campaign_id integer, line_no integer, household_id integer, masked_name text, district text, category text, fund text, rule_amount numeric, amount numeric, rule text, status text, review_note text';

/** Builds the roll, or recomputes it: added files get new lines (numbers never reused), files no longer eligible have theirs removed (kept, status 'removed'), amounts follow the rules (a reviewer's adjustment stays while within the cap). */
export async function buildRoll(trx: Knex.Transaction, user: SessionUser, id: number, settings: RollSettings, opts: { dryRun?: boolean } = {}): Promise<RollDiff> {
  const c = await lockCampaign(trx, user, id);
  assertMaker(user, c);
  const refusal = await campaignWorkflow.check(trx, c, 'build', user);
  if (refusal) throw refusal;
  const planned = await plan(trx, c, settings);
  const existing = (await trx('campaign_lines').where({ campaign_id: c.id }).orderBy('line_no')).map(decodeLine);
  const byHousehold = new Map(existing.map((l) => [l.household_id, l]));
  const wanted = new Set(planned.map((p) => p.file.id));
  // Line numbers are never reused: a line whose household drops out stays as 'removed' with its number (its
  // reference C<id>-<n> may already be on the notice board, a bank file or a memo), so the next is above them all.
  let nextNo = existing.reduce((m, l) => Math.max(m, l.line_no), 0);

  const inserts: Record<string, unknown>[] = [];
  const updates: Record<string, unknown>[] = [];
  const diff: RollDiff['changes'] = { added: [], removed: [], amountChanged: [] };
  let added = 0;
  let changed = 0;
  for (const p of planned) {
    const old = byHousehold.get(p.file.id);
    const masked = maskName(p.file.headName);
    if (!old || old.status === 'removed') {
      added++;
      if (diff.added.length < 200) diff.added.push({ householdId: p.file.id, maskedName: masked, district: p.file.district, amount: p.amount });
    }
    if (old?.status === 'removed') {
      // Eligible again: its own line (the same household, the same number) comes back as the rules give it now.
      updates.push({
        id: old.id, masked_name: masked, district: p.file.district, category: p.file.category, fund: p.fund, rule_amount: p.amount, amount: p.amount, rule: p.rule,
        status: p.overQuota ? 'excluded' : 'included', review_note: p.overQuota ? OVER_QUOTA : null, revive: true,
      });
      continue;
    }
    if (!old) {
      inserts.push({
        campaign_id: c.id, line_no: ++nextNo, household_id: p.file.id, masked_name: masked, district: p.file.district, category: p.file.category, fund: p.fund,
        rule_amount: p.amount, amount: p.amount, rule: p.rule, status: p.overQuota ? 'excluded' : 'included', review_note: p.overQuota ? OVER_QUOTA : null,
      });
      continue;
    }
    // A hand-reviewed line keeps its status; its adjusted amount stays while within the cap, else the rule's.
    const handReviewed = old.reviewed_by !== null;
    const adjusted = !new Decimal(old.amount).eq(old.rule_amount);
    const amount = handReviewed && adjusted && new Decimal(old.amount).lte(c.rules.cap) ? money(old.amount) : p.amount;
    const status: LineStatus = handReviewed ? old.status : p.overQuota ? 'excluded' : 'included';
    const note = handReviewed ? old.review_note : p.overQuota ? OVER_QUOTA : null;
    if (!new Decimal(old.amount).eq(amount)) {
      changed++;
      if (diff.amountChanged.length < 200) diff.amountChanged.push({ lineNo: old.line_no, householdId: old.household_id, from: money(old.amount), to: amount, rule: p.rule });
    }
    if (!new Decimal(old.rule_amount).eq(p.amount) || !new Decimal(old.amount).eq(amount) || old.status !== status || old.rule !== p.rule || old.district !== p.file.district
      || old.category !== p.file.category || old.fund !== p.fund || old.masked_name !== masked || old.review_note !== note) {
      updates.push({ id: old.id, masked_name: masked, district: p.file.district, category: p.file.category, fund: p.fund, rule_amount: p.amount, amount, rule: p.rule, status, review_note: note });
    }
  }
  const gone = existing.filter((l) => !wanted.has(l.household_id) && l.status !== 'removed');
  for (const l of gone.slice(0, 200)) diff.removed.push({ lineNo: l.line_no, householdId: l.household_id, maskedName: l.masked_name, district: l.district, amount: money(l.amount) });

  // The roll after the change, for the totals.
  const after = new Map<number, { status: string; amount: string }>();
  for (const l of existing) if (wanted.has(l.household_id)) after.set(l.id, { status: l.status, amount: l.amount });
  for (const u of updates) after.set(u.id as number, { status: u.status as string, amount: u.amount as string });
  const includedAmounts = [...after.values(), ...inserts.map((i) => ({ status: i.status as string, amount: i.amount as string }))].filter((l) => l.status === 'included').map((l) => l.amount);
  assertTotalFits(sum(includedAmounts));
  const result: RollDiff = {
    lines: after.size + inserts.length, included: includedAmounts.length, total: money(sum(includedAmounts)),
    added, removed: gone.length, amountChanged: changed, changes: diff,
  };
  if (opts.dryRun) return result;

  // Set-based: one statement per 10,000 rows of each kind. A line that drops out is kept as removed (never deleted: its number stays taken).
  for (let i = 0; i < gone.length; i += 10_000) {
    await trx('campaign_lines').whereIn('id', gone.slice(i, i + 10_000).map((l) => l.id)).update({ status: 'removed', review_note: NO_LONGER_ELIGIBLE, reviewed_by: null, reviewed_at: null });
  }
  for (let i = 0; i < updates.length; i += 10_000) {
    await trx.raw(
      `UPDATE campaign_lines l SET masked_name = x.masked_name, district = x.district, category = x.category, fund = x.fund, rule_amount = x.rule_amount,
              amount = x.amount, rule = x.rule, status = x.status, review_note = x.review_note,
              reviewed_by = CASE WHEN x.revive THEN NULL ELSE l.reviewed_by END, reviewed_at = CASE WHEN x.revive THEN NULL ELSE l.reviewed_at END
         FROM jsonb_to_recordset(?::jsonb) AS x(id integer, masked_name text, district text, category text, fund text, rule_amount numeric, amount numeric, rule text, status text, review_note text, revive boolean)
        WHERE l.id = x.id`,
      [JSON.stringify(updates.slice(i, i + 10_000))],
    );
  }
  for (let i = 0; i < inserts.length; i += 10_000) {
    await trx.raw(
      `INSERT INTO campaign_lines (campaign_id, line_no, household_id, masked_name, district, category, fund, rule_amount, amount, rule, status, review_note)
       SELECT * FROM jsonb_to_recordset(?::jsonb) AS x(${LINE_COLUMNS})`,
      [JSON.stringify(inserts.slice(i, i + 10_000))],
    );
  }
  await campaignWorkflow.apply(trx, c, 'build', user, {
    amount: result.total,
    note: `lines ${result.lines}, added ${added}, removed ${gone.length}, amount changed ${changed}`,
    patch: { built_at: clock.now() },
    publicExtra: { lines: result.lines, included: result.included, total: result.total, added, removed: gone.length, amountChanged: changed },
  });
  return result;
}

export type ReviewAction = 'exclude' | 'include' | 'adjust';

/** A district officer's decision on one line of their district (admins and city-wide officers: any line). */
export async function reviewLine(trx: Knex.Transaction, user: SessionUser, id: number, lineNo: number, input: { action: ReviewAction; amount?: string; reason: string }) {
  const c = await lockCampaign(trx, user, id);
  const refusal = await campaignWorkflow.check(trx, c, 'review_line', user);
  if (refusal) throw refusal;
  const raw = await trx('campaign_lines').where({ campaign_id: c.id, line_no: lineNo }).forUpdate().first();
  if (!raw) throw notFound(`line ${lineNo} of campaign ${id}`);
  const line = decodeLine(raw);
  if (user.district && user.district !== line.district) {
    throw forbidden(`line ${lineNo} belongs to district ${line.district}`).zh(`第 ${lineNo} 行属于 ${line.district} 区，只能复核本区（${user.district}）的明细`);
  }
  const patch: Record<string, unknown> = { review_note: input.reason, reviewed_by: user.username, reviewed_at: clock.now() };
  if (input.action === 'exclude') {
    if (line.status !== 'included') throw invalidState(`line ${lineNo} is ${line.status}`).zh(`第 ${lineNo} 行已不在名单内`);
    patch.status = 'excluded';
  } else if (input.action === 'include') {
    if (line.status !== 'excluded') throw invalidState(`line ${lineNo} is ${line.status}`).zh(`第 ${lineNo} 行不是已剔除的明细`);
    const quota = c.quotas[line.district];
    if (quota !== undefined) {
      const n = Number((await trx('campaign_lines').where({ campaign_id: c.id, district: line.district, status: 'included' }).count<{ n: string }[]>('* as n'))[0]!.n);
      if (n >= quota) throw conflict('over_quota', `district ${line.district} already has its quota of ${quota} households`, { district: line.district, quota }).zh(`${line.district} 区名额 ${quota} 户已满：请先剔除一户`);
    }
    patch.status = 'included';
  } else {
    const amount = input.amount!;
    if (line.status !== 'included') throw invalidState(`line ${lineNo} is ${line.status}`).zh(`第 ${lineNo} 行不在名单内，不能调整金额`);
    if (new Decimal(amount).gt(c.rules.cap)) {
      throw unprocessable('amount_above_cap', `the amount is above the campaign's cap of ${money(c.rules.cap)} per household`, { cap: money(c.rules.cap) }).zh(`调整后金额 ${money(amount)} 元超过每户封顶 ${money(c.rules.cap)} 元`);
    }
    patch.amount = amount;
  }
  await trx('campaign_lines').where({ id: line.id }).update(patch);
  if (patch.status === 'included' || patch.amount !== undefined) {
    // Summed in the database (unbounded numeric): an inclusion or adjustment may not push the total off the books.
    assertTotalFits((await trx('campaign_lines').where({ campaign_id: c.id, status: 'included' }).sum<{ s: string | null }[]>('amount as s'))[0]!.s ?? 0);
  }
  await campaignWorkflow.apply(trx, c, 'review_line', user, {
    note: `line ${lineNo} ${input.action}: ${input.reason}`,
    amount: input.action === 'adjust' ? input.amount : null,
    publicExtra: { lineNo, district: line.district, maskedName: line.masked_name, action: input.action, ...(input.action === 'adjust' ? { from: money(line.amount), to: money(input.amount!) } : {}) },
  });
  return lineView(decodeLine(await trx('campaign_lines').where({ id: line.id }).first()));
}

export function lineView(l: LineRow) {
  return {
    lineNo: l.line_no, householdId: l.household_id, maskedName: l.masked_name, district: l.district, category: l.category, fund: l.fund,
    ruleAmount: money(l.rule_amount), amount: money(l.amount), rule: l.rule, status: l.status, reviewNote: l.review_note, reviewedBy: l.reviewed_by,
    reviewedAt: l.reviewed_at?.toISOString() ?? null, payState: l.pay_state, payAttempt: l.pay_attempt, entryNumber: l.entry_number, paidDate: l.paid_date,
    payMethod: l.pay_method, bankReason: l.bank_reason,
  };
}

export interface LineQuery {
  district?: string;
  status?: LineStatus;
  payState?: PayState;
  limit: number;
  cursor?: string;
}

/** The roll's lines in line order; district users see their district's lines only. */
export async function listLines(db: Db, user: SessionUser, id: number, q: LineQuery) {
  const raw = await db('campaigns').where({ id }).first();
  const c = raw ? decodeCampaign(raw) : undefined;
  if (!c || (c.district && !canSeeDistrict(user, c.district))) throw notFound(`campaign ${id}`);
  const scope = districtScope(user);
  if (scope && q.district && q.district !== scope) throw forbidden(`you see only district ${scope}`).zh(`只能查看本区（${scope}）的明细`);
  const query = db('campaign_lines').where({ campaign_id: id }).orderBy('line_no').limit(q.limit + 1);
  if (scope ?? q.district) query.where('district', scope ?? q.district);
  if (q.status) query.where('status', q.status);
  if (q.payState) query.where('pay_state', q.payState);
  if (q.cursor) query.where('line_no', '>', Number(q.cursor));
  const rows = (await query).map(decodeLine);
  const items = rows.slice(0, q.limit).map(lineView);
  return { items, nextCursor: rows.length > q.limit ? String(items[items.length - 1]!.lineNo) : null };
}
