// Demo ledger: the fund tree, a year of donations (current year, dates before today in Asia/Shanghai),
// allocations down the tree and some manual entries, all through the ledger's services (so all audited).
import type { Knex } from 'knex';
import { shanghaiDate, addDays } from '../src/platform/clock';
import { createFund, getFund, postJournalEntry, recordAllocation, recordDonation } from '../src/ledger';
import type { FundKind } from '../src/ledger';

const ACTOR = 'finance';

export const DEMO_FUNDS: { code: string; nameZh: string; nameEn: string; kind: FundKind; parentCode?: string; district?: string; restricted?: boolean }[] = [
  { code: 'WF', nameZh: '温暖基金会', nameEn: 'Warmth Foundation', kind: 'foundation' },
  { code: 'WF-CY', nameZh: '温暖基金会朝阳区专项基金', nameEn: 'Chaoyang District Special Fund', kind: 'district', parentCode: 'WF', district: 'CY' },
  { code: 'WF-HD', nameZh: '温暖基金会海淀区专项基金', nameEn: 'Haidian District Special Fund', kind: 'district', parentCode: 'WF', district: 'HD' },
  { code: 'WF-DC', nameZh: '温暖基金会东城区专项基金', nameEn: 'Dongcheng District Special Fund', kind: 'district', parentCode: 'WF', district: 'DC' },
  { code: 'WF-XC', nameZh: '温暖基金会西城区专项基金', nameEn: 'Xicheng District Special Fund', kind: 'district', parentCode: 'WF', district: 'XC' },
  { code: 'WF-FT', nameZh: '温暖基金会丰台区专项基金', nameEn: 'Fengtai District Special Fund', kind: 'district', parentCode: 'WF', district: 'FT' },
  { code: 'WF-TZ', nameZh: '温暖基金会通州区专项基金', nameEn: 'Tongzhou District Special Fund', kind: 'district', parentCode: 'WF', district: 'TZ' },
  { code: 'WF-CY-JT', nameZh: '朝阳某建工集团工会专项基金', nameEn: 'Chaoyang Construction Group Union Fund', kind: 'enterprise_group', parentCode: 'WF-CY', restricted: true },
  { code: 'WF-HD-JY', nameZh: '海淀区教育系统工会专项基金', nameEn: 'Haidian Education Institutions Union Fund', kind: 'institution', parentCode: 'WF-HD', restricted: true },
];

const ORG_DONORS = ['北京某控股集团有限公司', '某银行北京分行工会', '某科技股份有限公司', '某建工集团', '市总工会机关工会'];
const PERSON_DONORS = ['王建国', '李秀兰', '张伟', '刘芳', '陈明', '杨静', '赵强', '黄丽娟'];

/** A small deterministic generator so the demo is the same every time. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

export async function seedLedger(trx: Knex.Transaction) {
  if (await getFund(trx, 'WF')) return;
  for (const f of DEMO_FUNDS) await createFund(trx, ACTOR, f);
  const today = shanghaiDate();
  const yearStart = `${today.slice(0, 4)}-01-01`;
  const last = today > yearStart ? addDays(today, -1) : today;
  const days: string[] = [];
  for (let d = yearStart; d <= last; d = addDays(d, 1)) days.push(d);
  const rnd = lcg(20260101);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const bank = new Map<string, number>(DEMO_FUNDS.map((f) => [f.code, 0])); // cents, to keep allocations covered
  const districts = DEMO_FUNDS.filter((f) => f.kind === 'district').map((f) => f.code);

  type Ev = { date: string; run: () => Promise<void> };
  const events: Ev[] = [];
  // Donations: about one and a half a week, most to the foundation, some straight to district funds.
  for (const date of days) {
    if (rnd() > 0.22) continue;
    const fund = rnd() < 0.7 ? 'WF' : pick(districts);
    const org = rnd() < 0.5;
    const anonymous = !org && rnd() < 0.2;
    const cents = org ? Math.round(20_000 + rnd() * 180_000) * 100 : Math.round(200 + rnd() * 5_000) * 100;
    events.push({
      date,
      run: async () => {
        await recordDonation(trx, ACTOR, { fund, amount: (cents / 100).toFixed(2), date, donor: { name: anonymous ? null : org ? pick(ORG_DONORS) : pick(PERSON_DONORS), kind: org ? 'organization' : 'individual', anonymous }, purpose: '帮扶困难职工' });
        bank.set(fund, bank.get(fund)! + cents);
      },
    });
  }
  // Monthly: the foundation allocates to each district; districts pass some on to their group/institution;
  // bank interest, a government grant each quarter, office costs, and cash drawn for small relief.
  const months = [...new Set(days.map((d) => d.slice(0, 7)))];
  for (const m of months) {
    const mDays = days.filter((d) => d.startsWith(m));
    const day = (n: number) => mDays[Math.min(n, mDays.length - 1)]!;
    events.push({ date: day(9), run: async () => {
      for (const to of districts) {
        const cents = Math.min(Math.floor(bank.get('WF')! / (districts.length + 2)), 150_000_00);
        if (cents < 100) continue;
        await recordAllocation(trx, ACTOR, { fromFund: 'WF', toFund: to, amount: (cents / 100).toFixed(2), date: day(9), purpose: `${m} 月度下拨 monthly allocation` });
        bank.set('WF', bank.get('WF')! - cents);
        bank.set(to, bank.get(to)! + cents);
      }
    } });
    events.push({ date: day(14), run: async () => {
      for (const [from, to] of [['WF-CY', 'WF-CY-JT'], ['WF-HD', 'WF-HD-JY']] as const) {
        const cents = Math.floor(bank.get(from)! * 0.2);
        if (cents < 100) continue;
        await recordAllocation(trx, ACTOR, { fromFund: from, toFund: to, amount: (cents / 100).toFixed(2), date: day(14), purpose: `${m} 转拨 onward allocation` });
        bank.set(from, bank.get(from)! - cents);
        bank.set(to, bank.get(to)! + cents);
      }
    } });
    events.push({ date: day(27), run: async () => {
      const interest = Math.round(bank.get('WF')! * 0.0015);
      if (interest >= 1) {
        await postJournalEntry(trx, ACTOR, { date: day(27), description: `${m} 银行存款利息 bank interest`, source: 'manual', lines: [{ account: '1002', fund: 'WF', debit: (interest / 100).toFixed(2) }, { account: '4601', fund: 'WF', credit: (interest / 100).toFixed(2) }] });
        bank.set('WF', bank.get('WF')! + interest);
      }
      const office = Math.min(3_000_00 + Math.round(rnd() * 2_000_00), bank.get('WF')!);
      if (office >= 1) {
        await postJournalEntry(trx, ACTOR, { date: day(27), description: `${m} 办公及差旅费用 office costs`, source: 'manual', lines: [{ account: '5201', fund: 'WF', debit: (office / 100).toFixed(2), memo: '管理费用' }, { account: '1002', fund: 'WF', credit: (office / 100).toFixed(2) }] });
        bank.set('WF', bank.get('WF')! - office);
      }
      const cy = Math.min(2_000_00, bank.get('WF-CY')!);
      if (cy >= 1000) {
        await postJournalEntry(trx, ACTOR, { date: day(27), description: `${m} 提取备用金 cash drawn for small relief`, source: 'manual', lines: [{ account: '1001', fund: 'WF-CY', debit: (cy / 100).toFixed(2) }, { account: '1002', fund: 'WF-CY', credit: (cy / 100).toFixed(2) }] });
        await postJournalEntry(trx, ACTOR, { date: day(27), description: `${m} 节日慰问品 holiday relief goods`, source: 'manual', lines: [{ account: '5101', fund: 'WF-CY', debit: ((cy / 2) / 100).toFixed(2), memo: '慰问品' }, { account: '1001', fund: 'WF-CY', credit: ((cy / 2) / 100).toFixed(2) }] });
        bank.set('WF-CY', bank.get('WF-CY')! - cy);
      }
    } });
    if (['03', '06', '09', '12'].includes(m.slice(5))) {
      events.push({ date: day(20), run: async () => {
        await postJournalEntry(trx, ACTOR, { date: day(20), description: `${m} 政府补助 municipal grant for hardship relief`, source: 'manual', lines: [{ account: '1002', fund: 'WF', debit: '300000.00' }, { account: '4401', fund: 'WF', credit: '300000.00' }] });
        bank.set('WF', bank.get('WF')! + 300_000_00);
      } });
    }
  }
  events.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  for (const e of events) await e.run();
}
