// npm run bench -- loans:
// 1. the daily arrears job (accrueLoanPenalties) over 10,000 active loans of 12 instalments (120,000 rows),
//    each with instalments past due, on the embedded PostgreSQL. Target < 10 s. Then the same day again
//    (must add nothing) and the officers' arrears list.
// 2. a 360-instalment schedule (buildSchedule, exact decimals). Target < 50 ms.
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { addDays, shanghaiDate } from '../../src/platform/clock';
import { accrueLoanPenalties, arrearsList, buildSchedule } from '../../src/loans';
import { startBenchService } from '../support';

const ms = (t0: number) => `${(performance.now() - t0).toFixed(0)} ms`;

async function benchJob() {
  const { svc, dir } = await startBenchService('warmth-bench-loans');
  try {
    const db = svc.ctx.db;
    const today = shanghaiDate();
    const year = Number(today.slice(0, 4));
    const start = addDays(today, -200);
    await db('loan_programmes').insert({ year, target: '10000000.00', fund: 'BENCHLOAN', updated_at: new Date() });
    const [unit] = await db('loan_pilot_units').insert({ year, code: 'BENCH', name_zh: '试点', kind: 'district', district: 'CY', quota: '999999999.00', updated_at: new Date() }).returning('id');
    const [product] = await db('loan_products').insert({
      code: 'BENCH', name_zh: '创业贷', min_amount: '1000', max_amount: '300000', term_months: 12, annual_rate: '4.35', subsidy_percent: '50',
      method: 'equal_instalment', grace_months: 0, penalty_rate: '18.25', created_at: new Date(),
    }).returning('id');
    const schedule = buildSchedule({ principal: '50000.00', annualRatePercent: '4.35', termMonths: 12, method: 'equal_instalment', graceMonths: 0, subsidyPercent: '50', startDate: start });
    const N = 10_000;
    const t0 = performance.now();
    for (let b = 0; b < N; b += 1000) {
      const ids = await db('loans').insert(Array.from({ length: Math.min(1000, N - b) }, (_, k) => ({
        loan_no: `L${year}-B${String(b + k).padStart(6, '0')}`, year, pilot_unit_id: unit.id, product_id: product.id, district: 'CY', fund: 'BENCHLOAN',
        status: 'active', masked_name: '张*', name_enc: 'sealed', id_number_enc: 'sealed', id_number_hash: `h${b + k}`, union_org: '工会',
        business_plan: '计划', requested_amount: '50000.00', requested_term: 12, approved_amount: '50000.00', applied_date: start, approved_date: start, disbursed_date: start,
        disbursement_entry: `B-${b + k}`, schedule_version: 1, principal_outstanding: '50000.00', created_by: 1, created_at: new Date(), updated_at: new Date(),
      }))).returning('id');
      const rows = ids.flatMap(({ id }: { id: number }) => schedule.map((s) => ({
        loan_id: id, version: 1, no: s.no, due_date: s.dueDate, principal: s.principal, interest: s.interest, subsidy: s.subsidy, borrower_interest: s.borrowerInterest,
      })));
      for (let i = 0; i < rows.length; i += 2000) await db('loan_instalments').insert(rows.slice(i, i + 2000));
    }
    console.log(`seeded ${N} active loans × 12 instalments in ${ms(t0)}`);
    await db.raw('ANALYZE loans; ANALYZE loan_instalments');
    let t = performance.now();
    const charged = await accrueLoanPenalties(db, today);
    console.log(`daily arrears job, first run of the day: ${charged} loans charged in ${ms(t)} (target < 10 s)`);
    t = performance.now();
    const again = await accrueLoanPenalties(db, today);
    console.log(`same day again: ${again} loans charged in ${ms(t)} (must be 0)`);
    t = performance.now();
    const list = await arrearsList(db, { id: 1, username: 'bench', displayName: 'bench', roles: ['officer'], district: 'CY' }, { limit: 100 });
    console.log(`arrears list of ${Object.values(list.buckets).reduce((s, b) => s + b.loans, 0)} loans in arrears (first page of 100): ${ms(t)}`);
  } finally {
    await svc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function benchSchedule() {
  const input = { principal: '300000.00', annualRatePercent: '4.35', termMonths: 360, method: 'equal_instalment' as const, graceMonths: 0, subsidyPercent: '50', startDate: '2026-01-31' };
  buildSchedule(input); // warm-up
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    buildSchedule(input);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(`360-instalment schedule: median ${times[25]!.toFixed(1)} ms, max ${times[49]!.toFixed(1)} ms over 50 runs (target < 50 ms)`);
}

export async function run() {
  benchSchedule();
  await benchJob();
}
