// Demo home visits (入户走访) through the households domain's own steps, by the district officers: one file last
// visited longer ago than VISIT_OVERDUE_DAYS (so the dashboard's overdue list has it: the seeded files were opened
// today, so no other is overdue), visits with follow-ups done, open and overdue (one past its due date), and a
// health finding (sealed; shown only to those who see the file's identifiers).
import type { Knex } from 'knex';
import { completeFollowUp, listHouseholds, recordVisit, type VisitInput } from '../src/households';
import { addDays, shanghaiDate } from '../src/platform/clock';
import { demoUser } from './users';

export async function seedVisits(trx: Knex.Transaction, opts: { overdueDays: number }) {
  if (await trx('household_visits').first('id')) return;
  const today = shanghaiDate();
  const ago = (n: number) => addDays(today, -n);
  const admin = await demoUser(trx, 'admin');
  const officer = { CY: await demoUser(trx, 'officer.cy'), HD: await demoUser(trx, 'officer.hd') };
  // The oldest registered files of each district (the aid demo takes the newest ones).
  const files = async (district: 'CY' | 'HD') =>
    (await listHouseholds(trx, admin, { district, status: 'registered', limit: 100, sort: 'id' })).items.map((h) => h.id);
  const [cy, hd] = [await files('CY'), await files('HD')];
  const by = (d: 'CY' | 'HD') => [{ name: d === 'CY' ? '朝阳区帮扶专干 CY officer' : '海淀区帮扶专干 HD officer', username: officer[d].username }, { name: '社区工会主席 community union chair' }];

  const plan: { district: 'CY' | 'HD'; householdId: number | undefined; visit: VisitInput; done?: number[] }[] = [
    {
      // Last visited long ago: on the overdue list until someone goes again.
      district: 'CY', householdId: cy[0],
      visit: {
        date: ago(opts.overdueDays + 25), visitors: by('CY'),
        findings: { housing: { status: 'poor_repair', note: '屋顶漏雨 roof leaks' }, employment: { status: 'unemployed' }, needs: { items: ['living', 'housing'], note: '冬季取暖 heating in winter' } },
        summary: '年初走访，已协调街道修缮 Visited early in the year; repairs arranged with the sub-district',
        followUps: [{ action: '联系街道房管所修缮屋顶 Ask the housing office to repair the roof', dueDate: ago(opts.overdueDays + 5) }],
      },
      done: [0],
    },
    {
      // A follow-up past its due date (overdue) and one still open.
      district: 'CY', householdId: cy[1],
      visit: {
        date: ago(21), visitors: by('CY'),
        findings: { health: { status: 'chronic_illness', note: '户主糖尿病，需长期用药 diabetes, long-term medication' }, employment: { status: 'underemployed', note: '打零工 odd jobs' }, needs: { items: ['medical', 'employment'] } },
        summary: '收入不稳定，医疗支出大 Unsteady income, high medical costs',
        followUps: [
          { action: '协助申请门诊慢特病报销 Help claim chronic-illness outpatient reimbursement', dueDate: ago(7) },
          { action: '推荐参加区职业技能培训 Refer to the district skills course', dueDate: addDays(today, 20) },
        ],
      },
    },
    {
      district: 'CY', householdId: cy[2],
      visit: {
        date: ago(9), visitors: by('CY'),
        findings: { housing: { status: 'stable' }, employment: { status: 'employed', note: '已在物业公司就业 now works for a property company' }, needs: { items: ['education'], note: '子女高中学费 child’s school fees' } },
        summary: '已再就业，收入接近脱困标准，下季度复核 Back in work, income near the exit line: re-assess next quarter',
        followUps: [{ action: '下季度收入复核 Income re-assessment next quarter', dueDate: addDays(today, 60) }],
      },
    },
    {
      district: 'HD', householdId: hd[0],
      visit: {
        date: ago(14), visitors: by('HD'),
        findings: { health: { status: 'needs_care', note: '老人卧床需照护 bedridden parent needs care' }, housing: { status: 'crowded' }, needs: { items: ['care', 'living'] } },
        summary: '照护负担重，已联系社区养老驿站 Heavy care burden; community elderly-care station contacted',
        followUps: [{ action: '联系社区养老驿站上门服务 Arrange home visits by the elderly-care station', dueDate: ago(4) }],
      },
      done: [0],
    },
  ];
  for (const p of plan) {
    if (p.householdId === undefined) continue;
    const v = await recordVisit(trx, officer[p.district], p.householdId, p.visit);
    for (const k of p.done ?? []) {
      await completeFollowUp(trx, officer[p.district], p.householdId, v.followUps[k]!.id, { note: '已办结 done' });
    }
  }
}
