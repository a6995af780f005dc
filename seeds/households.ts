import type { Knex } from 'knex';
import { appendAudit } from '../src/audit';
import { addDays, shanghaiDate, clock } from '../src/platform/clock';
import { Decimal, money } from '../src/platform/money';
import { encryptPersonal, keyedHash } from '../src/platform/personal-data';
import { idCheckChar, idNumberProblem, perCapita, type Category, type Cause } from '../src/households/model';
import { publicOf } from '../src/households/service';
import { sealMembers } from '../src/households/members';
import { setTarget } from '../src/households/targets';

// Demo households (DESIGN §7): ~600 files in five districts, registered last year, a year of income
// assessments, ~400 exits this year up to today (scaled to how much of the year has passed) and a few
// returns, some of which exited again. Rows go in in batches; every file and every transition gets its audit row.

// Region codes of the heads' ID numbers (GB/T 2260): in DC and XC a third carry the codes of 崇文区 110103
// and 宣武区 110104, merged into 东城/西城 in 2010, which people issued a number there keep.
const DISTRICTS: { code: string; regions: string[]; count: number; quota: number; orgs: string[] }[] = [
  { code: 'CY', regions: ['110105'], count: 150, quota: 120, orgs: ['朝阳区机械工业工会', '北京某汽车配件厂工会', '朝阳区环卫中心工会'] },
  { code: 'HD', regions: ['110108'], count: 130, quota: 110, orgs: ['海淀区电子仪表工会', '中关村某科技园区工会', '海淀区建筑公司工会'] },
  { code: 'DC', regions: ['110101', '110101', '110103'], count: 100, quota: 80, orgs: ['东城区商业服务业工会', '东城区某百货公司工会'] },
  { code: 'XC', regions: ['110102', '110102', '110104'], count: 100, quota: 80, orgs: ['西城区纺织工会', '西城区某印刷厂工会'] },
  { code: 'FT', regions: ['110106'], count: 120, quota: 110, orgs: ['丰台区铁路工会', '丰台区物流园工会', '丰台区某化工厂工会'] },
];
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '高', '罗',
  '郑', '梁', '谢', '宋', '唐', '韩', '冯', '董', '于', '曹', '欧阳', '司马', '诸葛', '上官', '亓', '禤', '邝', '阚', '冼', '佘', '逄', '訾', '眭', '厍', '翟', '钮'];
const GIVEN = ['建国', '秀兰', '桂英', '志强', '海燕', '红梅', '国庆', '淑珍', '德华', '丽娟', '文', '伟', '芳', '敏', '静', '磊', '军', '洋', '勇', '艳',
  '玉兰', '春生', '金凤', '永红', '长江', '翠花', '卫东', '晓燕', '子涵', '梓萱', '浩然', '婧', '鑫', '喆', '昇', '堃'];
const CAUSE_WEIGHTS: [Cause, number][] = [['illness', 34], ['disability', 14], ['education', 14], ['unemployment', 18], ['single_parent', 8], ['disaster', 4], ['other', 8]];
const STREETS = ['劲松路', '双井街', '学院路', '永定门外大街', '广安门内大街', '南苑路', '朝阳北路', '万寿路'];

function prng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SeedEvent {
  kind: 'created' | 'assessed' | 'transition';
  date: string;
  from?: string;
  to?: string;
  reason?: string;
  evidence?: string;
  assessment?: { monthlyIncome: string; memberCount: number; rigidExpenses: string };
}

const dayDiff = (a: string, b: string) => (Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000;

export async function seedHouseholds(trx: Knex.Transaction, opts: { threshold?: string } = {}) {
  if (await trx('households').first('id')) return;
  const rnd = prng(20261125);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const threshold = new Decimal(opts.threshold ?? '1450.00');
  const today = shanghaiDate();
  const year = Number(today.slice(0, 4));
  const yearStart = `${year}-01-01`;
  const elapsed = Math.max(0, dayDiff(yearStart, today));
  // ~400 exits by late November: scale to the part of the year already gone.
  const exitsWanted = Math.round(410 * Math.min(1, elapsed / 330));
  const total = DISTRICTS.reduce((n, d) => n + d.count, 0);
  const exitEvery = exitsWanted / total;

  const usedIds = new Set<string>();
  const files: { row: Record<string, unknown>; events: SeedEvent[]; name: string; district: string; category: Category }[] = [];
  let k = 0;
  for (const d of DISTRICTS) {
    for (let i = 0; i < d.count; i++, k++) {
      const name = pick(SURNAMES) + pick(GIVEN);
      let idNumber: string;
      do {
        const birth = addDays('1962-01-01', int(0, 33 * 365)).replace(/-/g, '');
        const first17 = `${d.regions[i % d.regions.length]}${birth}${String(int(0, 999)).padStart(3, '0')}`;
        idNumber = first17 + idCheckChar(first17);
      } while (usedIds.has(idNumber));
      const problem = idNumberProblem(idNumber, today);
      if (problem) throw new Error(`demo ID number ${idNumber} ${problem}`); // the demo data passes the API's own check
      usedIds.add(idNumber);
      const size = int(1, 5);
      const members = [];
      if (size >= 2) members.push({ name: pick(SURNAMES) + pick(GIVEN), relation: 'spouse', age: int(35, 62), health: rnd() < 0.3 ? '慢性病' : '健康', workStatus: rnd() < 0.5 ? '无业' : '灵活就业' });
      for (let c = 2; c < size; c++) members.push({ name: name.slice(0, 1) + pick(GIVEN), relation: c === 4 ? 'parent' : 'child', age: c === 4 ? int(70, 88) : int(3, 22), health: rnd() < 0.15 ? '残疾' : '健康', workStatus: c === 4 ? '退休' : '在校' });
      const r = rnd();
      const category: Category = r < 0.3 ? 'deep' : r < 0.8 ? 'relative' : 'accidental';
      const causes = new Set<Cause>();
      const nCauses = rnd() < 0.7 ? 1 : 2;
      while (causes.size < nCauses) {
        let x = rnd() * 100;
        for (const [c, w] of CAUSE_WEIGHTS) if ((x -= w) <= 0) { causes.add(c); break; }
        if (x > 0) causes.add('other');
      }
      const registered = addDays(`${year - 1}-01-10`, int(0, 340));
      const lowPerCapita = int(category === 'deep' ? 350 : 600, category === 'deep' ? 900 : 1300);
      const income = money(new Decimal(lowPerCapita * size).plus(int(0, 99) / 100));
      const events: SeedEvent[] = [{ kind: 'created', date: registered, to: 'registered' }];
      const assessment = (date: string, perCap: number, note: string) =>
        events.push({ kind: 'assessed', date, evidence: note, assessment: { monthlyIncome: money(new Decimal(perCap).times(size).plus(int(0, 99) / 100)), memberCount: size, rigidExpenses: money(int(0, 30) * 50) } });
      assessment(registered, lowPerCapita, '建档入户调查，收入证明');
      // Exactly exitsWanted exits, spread over the year and a little faster in the later months.
      const exits = Math.floor((k + 1) * exitEvery) > Math.floor(k * exitEvery) && elapsed > 20;
      let exitDate: string | undefined;
      if (exits) exitDate = addDays(yearStart, Math.min(elapsed - 1, Math.floor(rnd() ** 0.85 * elapsed)));
      // Quarterly reviews up to the exit (or today).
      const until = exitDate ? addDays(exitDate, -45) : today;
      for (let dte = addDays(registered, int(80, 100)); dte < until; dte = addDays(dte, int(85, 100))) {
        assessment(dte, Math.round(lowPerCapita * (1 + rnd() * 0.35)), '季度回访核查');
      }
      let status = 'registered';
      let statusDate = registered;
      if (exitDate) {
        const qualifying = int(1480, 2600);
        assessment(addDays(exitDate, -int(5, 40)), qualifying, '再就业，工资流水与社保缴费证明');
        events.push({ kind: 'transition', date: exitDate, from: status, to: 'exited', reason: '家庭人均月收入稳定超过脱困标准', evidence: '收入核查表、工资流水' });
        status = 'exited';
        statusDate = exitDate;
        // A few return to hardship; some of them exit again.
        if (rnd() < 0.05 && dayDiff(exitDate, today) > 40) {
          const back = addDays(exitDate, int(20, Math.min(120, dayDiff(exitDate, today) - 1)));
          assessment(back, int(500, 1000), '突发重病，医疗费用票据');
          events.push({ kind: 'transition', date: back, from: 'exited', to: 'returned', reason: pick(['家庭成员突发重病', '企业停产失业', '意外事故致残']), evidence: '医院诊断证明' });
          status = 'returned';
          statusDate = back;
          if (rnd() < 0.4 && dayDiff(back, today) > 30) {
            const again = addDays(back, int(25, dayDiff(back, today) - 1));
            assessment(addDays(again, -int(3, 20)), int(1500, 2200), '复核：重新就业');
            events.push({ kind: 'transition', date: again, from: 'returned', to: 'exited', reason: '重新就业，收入恢复', evidence: '劳动合同' });
            status = 'exited';
            statusDate = again;
          }
        }
      } else if (rnd() < 0.15) {
        // Some are close to, or just over, the line: the tracker's candidates.
        assessment(addDays(today, -int(3, 60)), int(1300, 1700), '近期入户核查');
      }
      events.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.kind === 'transition' ? 1 : b.kind === 'transition' ? -1 : 0));
      const now = clock.now();
      files.push({
        name,
        district: d.code,
        category,
        events,
        row: {
          head_name: name,
          id_number_enc: encryptPersonal(idNumber),
          id_number_hash: keyedHash(idNumber),
          phone_enc: encryptPersonal(`1${pick(['33', '35', '37', '38', '39', '58', '86'])}${String(int(0, 99_999_999)).padStart(8, '0')}`),
          address_enc: encryptPersonal(`北京市${pick(STREETS)}${int(1, 200)}号院${int(1, 12)}号楼${int(1, 6)}0${int(1, 4)}`),
          district: d.code,
          union_org: pick(d.orgs),
          members: JSON.stringify(sealMembers(members)), // health and work status encrypted, as the service stores them
          monthly_income: income,
          member_count: size,
          category,
          causes: [...causes],
          notes: k % 7 === 0 ? '需重点关注' : null,
          status,
          status_date: statusDate,
          created_by: 'seed',
          created_at: now,
          updated_at: now,
        },
      });
    }
  }

  // Files in batches, then their assessments and events in batches; audit rows one per event (the chain).
  const ids: number[] = [];
  for (let i = 0; i < files.length; i += 200) {
    const rows = await trx('households').insert(files.slice(i, i + 200).map((f) => f.row)).returning('id');
    ids.push(...rows.map((r: { id: number }) => r.id));
  }
  const now = clock.now();
  const assessments: Record<string, unknown>[] = [];
  const events: Record<string, unknown>[] = [];
  const audits: { action: string; householdId: number; file: (typeof files)[number]; e: SeedEvent; status: string; pc?: string }[] = [];
  files.forEach((f, i) => {
    const householdId = ids[i]!;
    let status = 'registered';
    for (const e of f.events) {
      let changes: unknown = null;
      let pc: string | undefined;
      if (e.kind === 'assessed') {
        pc = money(perCapita(e.assessment!.monthlyIncome, e.assessment!.memberCount));
        assessments.push({ household_id: householdId, date: e.date, monthly_income: e.assessment!.monthlyIncome, member_count: e.assessment!.memberCount, rigid_expenses: e.assessment!.rigidExpenses, per_capita_income: pc, evidence: e.evidence, created_by: 'seed', created_at: now });
        changes = JSON.stringify({ perCapitaIncome: pc });
      }
      if (e.kind === 'transition') status = e.to!;
      events.push({ household_id: householdId, kind: e.kind, from_status: e.from ?? null, to_status: e.to ?? null, date: e.date, actor: 'seed', at: now, reason: e.reason ?? null, evidence: e.evidence ?? null, changes });
      audits.push({ action: e.kind === 'created' ? 'household.created' : e.kind === 'assessed' ? 'household.assessed' : `household.${e.to}`, householdId, file: f, e, status, pc });
    }
  });
  for (let i = 0; i < assessments.length; i += 1000) await trx('household_assessments').insert(assessments.slice(i, i + 1000));
  for (let i = 0; i < events.length; i += 1000) await trx('household_events').insert(events.slice(i, i + 1000));
  // Sanity: every seeded exit meets the rule it would meet through the API.
  for (const a of audits) {
    if (a.e.to !== 'exited') continue;
    const q = a.file.events.filter((x) => x.kind === 'assessed' && x.date <= a.e.date && dayDiff(x.date, a.e.date) <= 90).pop();
    if (!q || perCapita(q.assessment!.monthlyIncome, q.assessment!.memberCount).lt(threshold)) throw new Error(`seed: exit of household ${a.householdId} breaks the exit rule`);
  }
  // One audit row per file (its imported assessments summarised in the private payload) and one per
  // transition: the exits and returns the public log must show. A row per seeded assessment would triple
  // the first start for nothing the public can see.
  for (const a of audits) {
    if (a.e.kind === 'assessed') continue;
    const pub = publicOf({ id: a.householdId, head_name: a.file.name, district: a.file.district, category: a.file.category, status: a.status }, a.e.kind === 'created' ? {} : { from: a.e.from, date: a.e.date });
    await appendAudit(trx, {
      actor: 'seed',
      action: a.action,
      subject: `household:${a.householdId}`,
      publicPayload: pub,
      privatePayload: a.e.kind === 'created'
        ? {
            headName: a.file.name, district: a.file.district, category: a.file.category, seeded: true,
            importedAssessments: a.file.events.filter((x) => x.kind === 'assessed').map((x) => ({ date: x.date, ...x.assessment, perCapitaIncome: money(perCapita(x.assessment!.monthlyIncome, x.assessment!.memberCount)), evidence: x.evidence })),
          }
        : { from: a.e.from, to: a.e.to, date: a.e.date, reason: a.e.reason, evidence: a.e.evidence },
    });
  }
  await setTarget(trx, 'seed', year, { target: 500, quotas: Object.fromEntries(DISTRICTS.map((d) => [d.code, d.quota])) });
  return { households: files.length, assessments: assessments.length, events: events.length };
}
