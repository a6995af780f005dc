// Demo start-up micro-loans (issue 20), through the loans domain's own steps: this year's programme (target
// 10,000,000.00, lending fund WF) with three pilot units and their quotas, two products (等额本息 12 months at
// 4.35 % with a 50 % interest subsidy; an interest-free 到期一次还本付息), and loans in each state the pages
// show: submitted, reviewed, refused, approved (awaiting disbursement), active and repaid on time, active and
// interest-free (not yet due), active in arrears (one instalment paid, later ones missed, penalty accrued day by
// day). Dates are business dates relative to today and kept inside this year (the programme's year); early in
// January there is not yet a month for an instalment to fall due, so the loans are all current then.
import type { Knex } from 'knex';
import {
  accrueLoanPenalties, approveLoan, createApplication, createProduct, disburseLoan, getSchedule, recordRepayment, refuseLoan, reviewLoan,
  setPilotUnit, setProgramme, type LoanSettings, type NewApplication,
} from '../src/loans';
import { postJournalEntry } from '../src/ledger';
import { idCheckChar } from '../src/households';
import { addDays, shanghaiDate } from '../src/platform/clock';
import { Decimal, money } from '../src/platform/money';
import { demoUser } from './users';

const FUND = 'WF';

/** A valid resident ID number for the demo's borrowers and guarantors (GB 11643 check character). */
const demoId = (region: string, birth: string, seq: number) => {
  const first17 = `${region}${birth}${String(900 + seq).padStart(3, '0')}`;
  return first17 + idCheckChar(first17);
};

type Stage = 'submitted' | 'reviewed' | 'refused' | 'approved' | 'current' | 'interest_free' | 'arrears';

const PLAN: { stage: Stage; unit: string; product: string; amount: string; term: number; name: string; birth: string; plan: string; daysAgo: number }[] = [
  { stage: 'current', unit: 'CY-ZGH', product: 'SD-EQ12', amount: '50000.00', term: 12, name: '王志刚', birth: '19820314', daysAgo: 120, plan: '开办社区早餐店，已租得门面 Opening a neighbourhood breakfast shop; premises rented' },
  { stage: 'arrears', unit: 'HD-ZGH', product: 'SD-EQ12', amount: '30000.00', term: 12, name: '李春燕', birth: '19870902', daysAgo: 110, plan: '家政服务工作室，雇用三名下岗职工 Home-care studio employing three laid-off workers' },
  { stage: 'interest_free', unit: 'CY-JT', product: 'FREE-BULLET', amount: '20000.00', term: 12, name: '张海峰', birth: '19900521', daysAgo: 64, plan: '电动车维修铺 E-bike repair stall' },
  { stage: 'approved', unit: 'HD-ZGH', product: 'SD-EQ12', amount: '80000.00', term: 12, name: '陈晓梅', birth: '19850117', daysAgo: 12, plan: '社区生鲜便利店 Neighbourhood fresh-food store' },
  { stage: 'reviewed', unit: 'CY-ZGH', product: 'SD-EQ12', amount: '40000.00', term: 12, name: '赵国栋', birth: '19791208', daysAgo: 6, plan: '小型物流配送站 Small delivery depot' },
  { stage: 'refused', unit: 'HD-ZGH', product: 'SD-EQ12', amount: '100000.00', term: 12, name: '孙丽华', birth: '19830630', daysAgo: 20, plan: '网络直播带货 Live-stream retail (no premises, no sales record)' },
  { stage: 'submitted', unit: 'CY-JT', product: 'FREE-BULLET', amount: '15000.00', term: 12, name: '周建平', birth: '19881025', daysAgo: 0, plan: '修鞋配钥匙便民摊点 Shoe repair and key cutting stall' },
];

const UNITS: { code: string; nameZh: string; kind: 'district' | 'enterprise_group'; district: string; quota: string; org: string }[] = [
  { code: 'CY-ZGH', nameZh: '朝阳区总工会 Chaoyang District Federation of Trade Unions', kind: 'district', district: 'CY', quota: '3000000.00', org: '朝阳区机械工业工会' },
  { code: 'HD-ZGH', nameZh: '海淀区总工会 Haidian District Federation of Trade Unions', kind: 'district', district: 'HD', quota: '2500000.00', org: '海淀区电子仪表工会' },
  { code: 'CY-JT', nameZh: '朝阳某建工集团工会 Chaoyang Construction Group Union', kind: 'enterprise_group', district: 'CY', quota: '1500000.00', org: '朝阳某建工集团工会' },
];

export async function seedLoans(trx: Knex.Transaction, settings: LoanSettings) {
  if (await trx('loan_programmes').first('year')) return;
  const today = shanghaiDate();
  const year = Number(today.slice(0, 4));
  const yearStart = `${year}-01-01`;
  /** n days ago, but never before this year began (the programme is this year's). */
  const ago = (n: number) => {
    const d = addDays(today, -n);
    return d < yearStart ? yearStart : d;
  };
  const admin = await demoUser(trx, 'admin');
  const finance = await demoUser(trx, 'finance');
  const [officerCY, officerCY2, officerHD] = [await demoUser(trx, 'officer.cy'), await demoUser(trx, 'officer.cy2'), await demoUser(trx, 'officer.hd')];
  const [approverCY, approverHD, wf1, wf2] = [await demoUser(trx, 'approver.cy'), await demoUser(trx, 'approver.hd'), await demoUser(trx, 'approver.wf'), await demoUser(trx, 'approver.wf2')];

  // The revolving capital the programme lends from, granted at the year's start (the fund's own donations go to relief).
  await postJournalEntry(trx, finance.username, {
    date: yearStart, description: `${year} 年市级创业贷款周转金拨入 municipal start-up loan revolving capital`, source: 'manual',
    lines: [{ account: '1002', fund: FUND, debit: '1000000.00' }, { account: '4401', fund: FUND, credit: '1000000.00', memo: '创业贷款周转金' }],
  });
  await setProgramme(trx, admin, year, { target: '10000000.00', fund: FUND }, settings);
  for (const u of UNITS) await setPilotUnit(trx, admin, year, u.code, { nameZh: u.nameZh, kind: u.kind, district: u.district, quota: u.quota });
  await createProduct(trx, admin, {
    code: 'SD-EQ12', nameZh: '创业担保贷款·等额本息12期（贴息50%）Start-up loan, 12 equal instalments, 50 % subsidy',
    minAmount: '10000.00', maxAmount: '200000.00', termMonths: 12, annualRate: '4.35', subsidyPercent: '50', method: 'equal_instalment', graceMonths: 0, penaltyRate: '18.25',
  });
  await createProduct(trx, admin, {
    code: 'FREE-BULLET', nameZh: '免息创业贷款·到期一次还本付息 Interest-free loan, repaid at maturity',
    minAmount: '5000.00', maxAmount: '50000.00', termMonths: 12, annualRate: '0', subsidyPercent: '0', method: 'bullet', graceMonths: 0, penaltyRate: '18.25',
  });

  let n = 0;
  for (const p of PLAN) {
    n += 1;
    const unit = UNITS.find((u) => u.code === p.unit)!;
    const hd = unit.district === 'HD';
    const region = hd ? '110108' : '110105';
    const [maker, reviewer] = hd ? [officerHD, approverHD] : [officerCY, officerCY2];
    // Maker-checker: the approver neither took nor reviewed it; a foundation approver above the district limit.
    const approver = new Decimal(p.amount).gt(settings.districtLimit) ? wf1 : hd ? wf2 : approverCY;
    const input: NewApplication = {
      pilotUnit: p.unit, product: p.product, borrower: { name: p.name, idNumber: demoId(region, p.birth, n) },
      membership: { unionOrg: unit.org, memberNo: `${unit.district}${year - 5}-${String(100 + n).padStart(4, '0')}` },
      businessPlan: p.plan, guarantors: [{ name: `${p.name.slice(0, 1)}建华`, idNumber: demoId(region, '19700101', 50 + n), relation: '亲属 relative' }],
      requestedAmount: p.amount, termMonths: p.term, date: ago(p.daysAgo),
    };
    const id = await createApplication(trx, maker, input);
    if (p.stage === 'submitted') continue;
    if (p.stage === 'refused') {
      await refuseLoan(trx, approverHD, id, { reasons: ['plan_not_viable'], note: '无经营场所和销售记录，经营计划不可行 No premises or sales record: the plan is not viable' });
      continue;
    }
    await reviewLoan(trx, reviewer, id, { note: '资料齐全，入户核实属实 Papers complete, checked at home' });
    if (p.stage === 'reviewed') continue;
    await approveLoan(trx, approver, id, { approvedAmount: p.amount, note: '同意 Approved', date: ago(p.daysAgo - 2) }, settings);
    if (p.stage === 'approved') continue;
    const disbursed = ago(p.daysAgo - 5);
    await disburseLoan(trx, finance, id, { date: disbursed, paymentRef: `DEMO-LOAN-${String(n).padStart(3, '0')}` });
    // Repayments on their due dates: every instalment due by today, or only the first for the loan in arrears.
    const due = (await getSchedule(trx, finance, id)).instalments.filter((i) => i.dueDate <= today);
    const paid = p.stage === 'arrears' ? due.slice(0, 1) : due;
    for (const i of paid) {
      await recordRepayment(trx, finance, id, { amount: money(new Decimal(i.principal).plus(i.borrowerInterest)), date: i.dueDate, reference: `DEMO-REPAY-${n}-${i.no}` }, settings);
    }
    // The daily penalty job, run for each day since the first missed instalment (the hourly job takes over from today).
    const missed = due[paid.length];
    if (missed) for (let d = addDays(missed.dueDate, 1); d <= today; d = addDays(d, 1)) await accrueLoanPenalties(trx as unknown as Knex, d);
  }
}
