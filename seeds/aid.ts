import type { Knex } from 'knex';
import { listHouseholds } from '../src/households';
import { clock, shanghaiDate } from '../src/platform/clock';
import {
  approveCase, createCase, disburseCase, fileObjection, rejectCase, resolveObjection, reviewCase, submitCase, sweepNoticePeriods, withdrawCase,
  type AidSettings,
} from '../src/aid/service';
import type { AidReason } from '../src/aid/model';
import { demoUser as user } from './users';

// Demo aid cases (DESIGN §7): every state, an urgent one paid before its notice, one in notice with an open
// objection, one cancelled by an upheld objection, a two-approver case. Cases that must be past their notice
// went through a whole notice period (NOTICE_PERIOD) that ended days before today: the aid service takes the
// notice start from `seedNoticeStart`, a setting only this seed passes, so the case, its timeline and the
// approval's audit row (noticeStart, noticeEnd) all name the same past period. The rest keep NOTICE_PERIOD from now.

type Stage = 'draft' | 'submitted' | 'reviewed' | 'in_notice' | 'objected' | 'payable' | 'paid' | 'urgent_paid' | 'rejected' | 'withdrawn' | 'cancelled' | 'two_approvers';

const PLAN: { district: 'CY' | 'HD'; fund: string; stage: Stage; amount: string; reason: AidReason; description: string }[] = [
  { district: 'CY', fund: 'WF-CY', stage: 'paid', amount: '3000.00', reason: 'illness', description: '户主突发脑梗住院，医疗费用负担重 Stroke, hospital costs' },
  { district: 'CY', fund: 'WF-CY', stage: 'paid', amount: '2000.00', reason: 'education', description: '子女考入大学，学费无着 Child entering university' },
  { district: 'CY', fund: 'WF-CY', stage: 'paid', amount: '4500.00', reason: 'accident', description: '工伤致残，收入中断 Work injury' },
  { district: 'HD', fund: 'WF-HD', stage: 'paid', amount: '5000.00', reason: 'illness', description: '配偶罹患癌症化疗 Spouse in chemotherapy' },
  { district: 'HD', fund: 'WF-HD', stage: 'paid', amount: '1500.00', reason: 'hardship', description: '单亲家庭冬季取暖困难 Heating in winter' },
  { district: 'CY', fund: 'WF-CY', stage: 'urgent_paid', amount: '8000.00', reason: 'disaster', description: '暴雨致房屋受损，紧急救助 Flood damage, urgent' },
  { district: 'CY', fund: 'WF-CY', stage: 'payable', amount: '2500.00', reason: 'illness', description: '慢性肾病透析 Dialysis' },
  { district: 'HD', fund: 'WF-HD', stage: 'payable', amount: '1200.00', reason: 'education', description: '高中学杂费 School fees' },
  { district: 'CY', fund: 'WF-CY', stage: 'in_notice', amount: '3500.00', reason: 'illness', description: '白血病治疗 Leukaemia treatment' },
  { district: 'HD', fund: 'WF-HD', stage: 'in_notice', amount: '2800.00', reason: 'accident', description: '交通事故致伤 Road accident' },
  { district: 'CY', fund: 'WF-CY', stage: 'objected', amount: '4000.00', reason: 'hardship', description: '失业后生活困难 Unemployed' },
  { district: 'CY', fund: 'WF-CY', stage: 'two_approvers', amount: '30000.00', reason: 'illness', description: '器官移植手术 Organ transplant' },
  { district: 'CY', fund: 'WF-CY', stage: 'cancelled', amount: '3000.00', reason: 'hardship', description: '生活困难 Living costs' },
  { district: 'HD', fund: 'WF-HD', stage: 'rejected', amount: '6000.00', reason: 'other', description: '购房首付 House deposit (out of scope)' },
  { district: 'CY', fund: 'WF-CY', stage: 'withdrawn', amount: '800.00', reason: 'education', description: '已获其他资助 Funded elsewhere' },
  { district: 'CY', fund: 'WF-CY', stage: 'reviewed', amount: '1800.00', reason: 'illness', description: '糖尿病并发症 Diabetes complications' },
  { district: 'HD', fund: 'WF-HD', stage: 'submitted', amount: '2200.00', reason: 'disaster', description: '火灾损失 Fire damage' },
  { district: 'CY', fund: 'WF-CY', stage: 'draft', amount: '1000.00', reason: 'education', description: '助学申请（待补材料）School aid, papers pending' },
];

export async function seedAid(trx: Knex.Transaction, settings: AidSettings) {
  if (await trx('aid_cases').first('id')) return;
  // One after another: a transaction is a single connection.
  const admin = await user(trx, 'admin');
  const [officerCY, officerCY2, officerHD] = [await user(trx, 'officer.cy'), await user(trx, 'officer.cy2'), await user(trx, 'officer.hd')];
  const [approverCY, approverHD, wf1, wf2] = [await user(trx, 'approver.cy'), await user(trx, 'approver.hd'), await user(trx, 'approver.wf'), await user(trx, 'approver.wf2')];
  const finance = await user(trx, 'finance');
  const pool = {
    CY: (await listHouseholds(trx, admin, { district: 'CY', status: 'registered', limit: 40 })).items.map((h) => h.id),
    HD: (await listHouseholds(trx, admin, { district: 'HD', status: 'registered', limit: 40 })).items.map((h) => h.id),
  };
  const today = shanghaiDate();
  const DAY = 86_400_000;
  let past = 0;
  /** A notice that started (4 + 2k) days ago and ended at least two days before today's payment. */
  const pastNotice = () => ({ ...settings, seedNoticeStart: new Date(clock.now().getTime() - settings.noticePeriodMs - (2 + 2 * ++past) * DAY - 3_600_000) });
  let ref = 0;
  for (const p of PLAN) {
    const householdId = pool[p.district].shift();
    if (!householdId) continue;
    const [maker, checker, approver] = p.district === 'CY' ? [officerCY, officerCY2, approverCY] : [officerHD, approverHD, wf2];
    const urgent = p.stage === 'urgent_paid';
    const id = await createCase(trx, maker, { householdId, fund: p.fund, reason: p.reason, description: p.description, requestedAmount: p.amount, urgent });
    if (p.stage === 'draft') continue;
    if (p.stage === 'withdrawn') {
      await withdrawCase(trx, maker, id, { note: '申请人已获其他资助 funded elsewhere' });
      continue;
    }
    await submitCase(trx, maker, id);
    if (p.stage === 'submitted') continue;
    await reviewCase(trx, checker, id, { recommendedAmount: p.amount, note: '入户核实，情况属实 Visited, facts confirmed' });
    if (p.stage === 'reviewed') continue;
    if (p.stage === 'rejected') {
      await rejectCase(trx, approver, id, { note: '不属于应急救助范围 Outside the scope of emergency aid' });
      continue;
    }
    const bigOrUrgent = urgent || p.stage === 'two_approvers' || Number(p.amount) > Number(settings.districtLimit);
    const firstApprover = bigOrUrgent ? wf1 : approver;
    // An urgent case approved by a foundation approver is payable at once; its notice runs after payment.
    const noticeEnded = ['payable', 'paid'].includes(p.stage);
    await approveCase(trx, firstApprover, id, { approvedAmount: p.amount, note: '同意 Approved' }, noticeEnded ? pastNotice() : settings);
    if (p.stage === 'two_approvers') {
      await approveCase(trx, wf2, id, { approvedAmount: p.amount, note: '同意（第二审批人）Second approval' }, settings);
      continue;
    }
    const caseNo = (await trx('aid_cases').where({ id }).first('case_no')).case_no as string;
    if (p.stage === 'objected') {
      await fileObjection(trx, caseNo, { text: '据了解该户家属有稳定收入，请核实 Please check the family’s income' });
      continue;
    }
    if (p.stage === 'cancelled') {
      const o = await fileObjection(trx, caseNo, { text: '该户已于上月获得同类救助 Already aided last month' });
      // Maker-checker: the objection is judged by an approver who did not approve the case.
      await resolveObjection(trx, firstApprover.id === wf1.id ? wf2 : wf1, id, o.id, { outcome: 'upheld', note: '经核实重复申请，撤销 Duplicate application, cancelled' });
      continue;
    }
    if (p.stage === 'in_notice') continue;
    if (!urgent) await sweepNoticePeriods({ db: trx as unknown as Knex });
    if (p.stage === 'payable') continue;
    await disburseCase(trx, finance, id, { paymentRef: `DEMO-PAY-${String(++ref).padStart(3, '0')}`, date: today }, settings);
  }
}
