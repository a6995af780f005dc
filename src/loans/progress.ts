// The programme tracker: progress to the year's target by month and pilot unit, portfolio at risk (PAR30,
// PAR90) and the repayment rate. The public view is the same figures without any borrower.
import type { Db } from '../platform/db';
import { shanghaiDate } from '../platform/clock';
import { notFound } from '../platform/errors';
import { Decimal, money } from '../platform/money';
import { decodePilotUnit, decodeProgramme, PILOT_KIND_ZH } from './model';

const ratio = (a: Decimal, b: Decimal) => (b.isZero() ? '0.0000' : a.div(b).toDecimalPlaces(4, Decimal.ROUND_HALF_UP).toFixed(4));

/**
 * Lent = principal disbursed in the year (by disbursement date). PAR30/PAR90 = principal outstanding of
 * active loans with an instalment more than 30/90 days past due ÷ principal outstanding of all active loans
 * of the programme. Repayment rate = what was repaid of the principal and borrower interest that fell due up
 * to asOf ÷ what fell due (waived interest left out of both), over the current schedules.
 */
export async function programmeProgress(db: Db, year: number, asOf: string = shanghaiDate()) {
  const raw = await db('loan_programmes').where({ year }).first();
  if (!raw) throw notFound(`loan programme ${year}`);
  const p = decodeProgramme(raw);
  const units = (await db('loan_pilot_units').where({ year }).orderBy('code')).map(decodePilotUnit);
  const lent = await db('loans').where({ year }).whereNotNull('disbursed_date').where('disbursed_date', '<=', asOf)
    .select('pilot_unit_id', db.raw(`to_char(disbursed_date, 'YYYY-MM') AS month`))
    .sum({ amount: 'approved_amount' }).count({ n: '*' }).groupBy('pilot_unit_id', 'month');
  const byMonth = new Map<string, { amount: Decimal; loans: number }>();
  const byUnit = new Map<number, { amount: Decimal; loans: number }>();
  let total = new Decimal(0);
  let count = 0;
  for (const r of lent as { pilot_unit_id: number; month: string; amount: string; n: string }[]) {
    const m = byMonth.get(r.month) ?? { amount: new Decimal(0), loans: 0 };
    m.amount = m.amount.plus(r.amount);
    m.loans += Number(r.n);
    byMonth.set(r.month, m);
    const u = byUnit.get(Number(r.pilot_unit_id)) ?? { amount: new Decimal(0), loans: 0 };
    u.amount = u.amount.plus(r.amount);
    u.loans += Number(r.n);
    byUnit.set(Number(r.pilot_unit_id), u);
    total = total.plus(r.amount);
    count += Number(r.n);
  }
  const months: { month: string; lent: string; loans: number; cumulative: string; cumulativeShareOfTarget: string }[] = [];
  let cumulative = new Decimal(0);
  for (let m = 1; m <= 12; m++) {
    const key = `${year}-${String(m).padStart(2, '0')}`;
    const v = byMonth.get(key) ?? { amount: new Decimal(0), loans: 0 };
    cumulative = cumulative.plus(v.amount);
    months.push({ month: key, lent: money(v.amount), loans: v.loans, cumulative: money(cumulative), cumulativeShareOfTarget: ratio(cumulative, new Decimal(p.target)) });
  }
  const owed = 'i.principal - i.paid_principal + i.borrower_interest - i.paid_interest - i.waived_interest';
  const risk = await db.raw(
    `SELECT COALESCE(SUM(l.principal_outstanding), 0) AS outstanding,
            COALESCE(SUM(l.principal_outstanding) FILTER (WHERE o.oldest < ?::date - 30), 0) AS par30,
            COALESCE(SUM(l.principal_outstanding) FILTER (WHERE o.oldest < ?::date - 90), 0) AS par90,
            COUNT(*) AS active
       FROM loans l
       LEFT JOIN LATERAL (SELECT MIN(i.due_date) AS oldest FROM loan_instalments i
                           WHERE i.loan_id = l.id AND i.version = l.schedule_version AND i.due_date < ?::date AND ${owed} > 0) o ON true
      WHERE l.year = ? AND l.status = 'active'`,
    [asOf, asOf, asOf, year],
  );
  const rate = await db.raw(
    `SELECT COALESCE(SUM(i.principal + i.borrower_interest - i.waived_interest), 0) AS due,
            COALESCE(SUM(i.paid_principal + i.paid_interest), 0) AS paid
       FROM loans l JOIN loan_instalments i ON i.loan_id = l.id AND i.version = l.schedule_version
      WHERE l.year = ? AND l.status IN ('active', 'closed', 'written_off') AND i.due_date <= ?::date`,
    [year, asOf],
  );
  const r0 = risk.rows[0] as { outstanding: string; par30: string; par90: string; active: string };
  const q0 = rate.rows[0] as { due: string; paid: string };
  const outstanding = new Decimal(r0.outstanding);
  return {
    year, asOf, target: money(p.target), lent: money(total), loans: count, shareOfTarget: ratio(total, new Decimal(p.target)),
    months,
    pilotUnits: units.map((u) => {
      const v = byUnit.get(u.id) ?? { amount: new Decimal(0), loans: 0 };
      return { code: u.code, nameZh: u.name_zh, kind: u.kind, kindZh: PILOT_KIND_ZH[u.kind], district: u.district, quota: money(u.quota), lent: money(v.amount), loans: v.loans, shareOfQuota: ratio(v.amount, new Decimal(u.quota)) };
    }),
    portfolio: {
      activeLoans: Number(r0.active), principalOutstanding: money(outstanding),
      par30: ratio(new Decimal(r0.par30), outstanding), par90: ratio(new Decimal(r0.par90), outstanding),
      par30Amount: money(r0.par30), par90Amount: money(r0.par90),
    },
    repayment: { due: money(q0.due), repaid: money(q0.paid), rate: ratio(new Decimal(q0.paid), new Decimal(q0.due)) },
  };
}

/** What the public sees: the same totals, nothing about any borrower (no loan numbers, names or amounts of one loan). */
export async function publicProgrammeProgress(db: Db, year: number) {
  const p = await programmeProgress(db, year);
  return {
    year: p.year, asOf: p.asOf, target: p.target, lent: p.lent, loans: p.loans, shareOfTarget: p.shareOfTarget,
    months: p.months.map((m) => ({ month: m.month, lent: m.lent, loans: m.loans, cumulative: m.cumulative })),
    pilotUnits: p.pilotUnits.map((u) => ({ nameZh: u.nameZh, kind: u.kind, quota: u.quota, lent: u.lent, loans: u.loans })),
    par30: p.portfolio.par30, par90: p.portfolio.par90, repaymentRate: p.repayment.rate,
  };
}
