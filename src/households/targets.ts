import type { Knex } from 'knex';
import type { Db } from '../platform/db';
import { clock, shanghaiDate, addDays } from '../platform/clock';
import { badRequest } from '../platform/errors';
import { Decimal, money } from '../platform/money';
import { appendAudit } from '../audit';
import { districtScope, type SessionUser } from '../auth';
import { listDistricts } from '../reference';
import { CATEGORIES, DEFAULT_TARGET, decodeExitCandidate } from './model';
import { aidReceived } from './ledger-port';

export interface TargetProgress {
  year: number;
  asOf: string;
  target: number;
  exited: number;
  remaining: number;
  percent: number;
  daysLeft: number;
  requiredPerWeek: number;
  currentPerWeek: number;
  projectedYearEnd: number;
  onTrack: boolean;
  byDistrict: { district: string; quota: number | null; exited: number; remaining: number | null; percent: number | null }[];
  byCategory: { category: string; exited: number }[];
  byMonth: { month: string; exited: number }[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const dayNumber = (date: string) => Date.UTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10)) / 86_400_000;

export async function getTarget(db: Db, year: number): Promise<{ year: number; target: number; quotas: Record<string, number> }> {
  const row = await db('household_targets').where({ year }).first();
  return { year, target: row?.target ?? DEFAULT_TARGET, quotas: row?.quotas ?? {} };
}

export async function setTarget(trx: Knex.Transaction, actor: string, year: number, input: { target?: number; quotas?: Record<string, number> }) {
  const current = await getTarget(trx, year);
  const target = input.target ?? current.target;
  const quotas = input.quotas ?? current.quotas;
  const known = new Set((await listDistricts(trx)).map((d) => d.code));
  const unknown = Object.keys(quotas).filter((d) => !known.has(d));
  if (unknown.length) throw badRequest(`unknown district in quotas: ${unknown.join(', ')}`, unknown.map((d) => ({ in: 'body', path: `quotas.${d}`, message: `"${d}" is not a district code` })));
  await trx('household_targets')
    .insert({ year, target, quotas: JSON.stringify(quotas), updated_by: actor, updated_at: clock.now() })
    .onConflict('year')
    .merge();
  await appendAudit(trx, {
    actor,
    action: 'target.set',
    subject: `target:${year}`,
    publicPayload: { year, target, quotas },
    privatePayload: { year, target, quotas, before: current },
  });
  return { year, target, quotas };
}

/**
 * Households that count as exited in `year` as of `today`: their last exit-or-return event dated in the year
 * (up to today) is an exit. A household that exits, returns and exits again counts once, in the month of its
 * last exit; one that exits and then returns in the year does not count.
 */
async function exitsOfYear(db: Db, year: number, today: string) {
  const from = `${year}-01-01`;
  const to = `${year}-12-31` < today ? `${year}-12-31` : today;
  if (to < from) return [];
  const rows = await db.raw(
    `SELECT DISTINCT ON (e.household_id) e.household_id, e.to_status, e.date, h.district, h.category
       FROM household_events e JOIN households h ON h.id = e.household_id
      WHERE e.kind = 'transition' AND e.to_status IN ('exited', 'returned') AND e.date BETWEEN ? AND ?
      ORDER BY e.household_id, e.date DESC, e.id DESC`,
    [from, to],
  );
  return (rows.rows as { household_id: number; to_status: string; date: string; district: string; category: string }[]).filter((r) => r.to_status === 'exited');
}

/** The body of GET /targets/:year. `today` (Asia/Shanghai) defaults to the clock's business date. */
export async function targetProgress(db: Db, year: number, opts: { today?: string } = {}): Promise<TargetProgress> {
  const today = opts.today ?? shanghaiDate();
  const { target, quotas } = await getTarget(db, year);
  const exits = await exitsOfYear(db, year, today);
  const yearStart = `${year}-01-01`;
  const yearEnd = `${year}-12-31`;
  const daysInYear = dayNumber(yearEnd) - dayNumber(yearStart) + 1;
  // Days left counts today: an exit recorded today still counts for the year.
  const daysLeft = today < yearStart ? daysInYear : today > yearEnd ? 0 : dayNumber(yearEnd) - dayNumber(today) + 1;
  const exited = exits.length;
  const remaining = Math.max(0, target - exited);
  const last4WeeksFrom = addDays(today, -27);
  const recent = exits.filter((e) => e.date >= last4WeeksFrom && e.date <= today).length;
  const currentPerWeek = today < yearStart ? 0 : round2(recent / 4);
  const requiredPerWeek = remaining === 0 ? 0 : daysLeft === 0 ? remaining : round2((remaining * 7) / daysLeft);
  const projectedYearEnd = Math.round(exited + (currentPerWeek * daysLeft) / 7);

  const perDistrict = new Map<string, number>();
  const perCategory = new Map<string, number>();
  const perMonth = new Map<string, number>();
  for (const e of exits) {
    perDistrict.set(e.district, (perDistrict.get(e.district) ?? 0) + 1);
    perCategory.set(e.category, (perCategory.get(e.category) ?? 0) + 1);
    perMonth.set(e.date.slice(0, 7), (perMonth.get(e.date.slice(0, 7)) ?? 0) + 1);
  }
  const districts = [...new Set([...Object.keys(quotas), ...perDistrict.keys()])].sort();
  return {
    year,
    asOf: today,
    target,
    exited,
    remaining,
    percent: target > 0 ? round2((exited * 100) / target) : 100,
    daysLeft,
    requiredPerWeek,
    currentPerWeek,
    projectedYearEnd,
    onTrack: remaining === 0 || projectedYearEnd >= target,
    byDistrict: districts.map((district) => {
      const quota = quotas[district] ?? null;
      const n = perDistrict.get(district) ?? 0;
      return { district, quota, exited: n, remaining: quota === null ? null : Math.max(0, quota - n), percent: quota ? round2((n * 100) / quota) : null };
    }),
    byCategory: CATEGORIES.map((category) => ({ category, exited: perCategory.get(category) ?? 0 })),
    byMonth: Array.from({ length: 12 }, (_, i) => {
      const month = `${year}-${String(i + 1).padStart(2, '0')}`;
      return { month, exited: perMonth.get(month) ?? 0 };
    }),
  };
}

/**
 * Households not exited (registered, assisted, returned), nearest to exit first: those already at or above
 * their district's threshold, then by how far below it their latest per-capita income is. The latest
 * assessment's figure is used, else the file's own income / member count.
 */
export async function exitCandidates(db: Db, viewer: SessionUser, year: number, defaultThreshold: string, page: { limit: number; offset: number; district?: string }) {
  const scope = districtScope(viewer);
  const q = db
    .from('households as h')
    .joinRaw(
      `LEFT JOIN LATERAL (SELECT a.date, a.per_capita_income FROM household_assessments a WHERE a.household_id = h.id ORDER BY a.date DESC, a.id DESC LIMIT 1) la ON true`,
    )
    .leftJoin('household_exit_thresholds as t', 't.district', 'h.district')
    .whereIn('h.status', ['registered', 'assisted', 'returned'])
    .select(
      'h.id', 'h.head_name', 'h.district', 'h.category', 'h.status',
      db.raw('la.date AS assessment_date'),
      db.raw('COALESCE(la.per_capita_income, trunc(h.monthly_income / h.member_count, 2)) AS per_capita'),
      db.raw('COALESCE(t.threshold, ?::numeric) AS threshold', [defaultThreshold]),
    )
    .orderByRaw('(COALESCE(la.per_capita_income, trunc(h.monthly_income / h.member_count, 2)) >= COALESCE(t.threshold, ?::numeric)) DESC', [defaultThreshold])
    .orderByRaw('COALESCE(t.threshold, ?::numeric) - COALESCE(la.per_capita_income, trunc(h.monthly_income / h.member_count, 2)) ASC', [defaultThreshold])
    .orderBy('h.id')
    .limit(page.limit + 1)
    .offset(page.offset);
  if (scope) q.where('h.district', scope);
  if (page.district) q.where('h.district', page.district);
  const rows = (await q).map(decodeExitCandidate);
  const items = rows.slice(0, page.limit);
  const aid = await aidReceived(db, items.map((r) => r.id));
  const aidThisYear = await aidReceived(db, items.map((r) => r.id), `${year}-01-01`, `${year}-12-31`);
  return {
    year,
    items: items.map((r) => {
      const gap = new Decimal(r.threshold).minus(r.per_capita);
      return {
        householdId: r.id,
        headName: r.head_name,
        district: r.district,
        category: r.category,
        status: r.status,
        perCapitaIncome: money(r.per_capita),
        assessmentDate: r.assessment_date ?? null,
        threshold: money(r.threshold),
        gap: money(gap.gt(0) ? gap : 0),
        ready: gap.lte(0),
        aidReceived: aid.get(r.id) ?? '0.00',
        aidReceivedThisYear: aidThisYear.get(r.id) ?? '0.00',
      };
    }),
    nextCursor: rows.length > page.limit ? String(page.offset + page.limit) : null,
  };
}
