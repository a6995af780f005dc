// Demo relief campaign (issue 17): this year's 元旦春节送温暖 over three districts, through the campaigns
// domain's own steps: created and built by the city-level admin, one line adjusted and one excluded by the
// district officers (each with its reason), submitted, approved by a foundation approver who made nothing of
// the roll (maker-checker; a city-wide roll is approved at the city level), and left in its public notice:
// the notice board shows it. It is not paid: the campaigns service starts the notice at the approval (it has no
// past notice start as the aid service's `seedNoticeStart`), and paying before that notice ends would break the
// rule the demo is there to show. Finance can pay it once NOTICE_PERIOD has passed; most of its households have
// a bank account (sealed, set through the households domain), a few are left for cash.
import type { Knex } from 'knex';
import { approveCampaign, buildRoll, createCampaign, listLines, reviewLine, submitCampaign, type CampaignSettings } from '../src/campaigns';
import { getHouseholdSummary, setBankAccount } from '../src/households';
import { shanghaiDate } from '../src/platform/clock';
import { Decimal, money } from '../src/platform/money';
import { demoUser } from './users';

const DISTRICTS = ['CY', 'HD', 'DC'] as const;
const BANKS: Record<(typeof DISTRICTS)[number], string> = {
  CY: '中国工商银行北京朝阳支行', HD: '中国建设银行北京海淀支行', DC: '中国农业银行北京东城支行',
};

/** A 19-digit demo account number (622202, then the household id padded): deterministic. */
const demoAccountNo = (householdId: number) => `6222020${String(householdId).padStart(12, '0')}`;

export async function seedCampaigns(trx: Knex.Transaction, settings: CampaignSettings) {
  if (await trx('campaigns').first('id')) return;
  const year = Number(shanghaiDate().slice(0, 4));
  const admin = await demoUser(trx, 'admin');
  const officers = { CY: await demoUser(trx, 'officer.cy'), HD: await demoUser(trx, 'officer.hd'), DC: admin };
  const approver = await demoUser(trx, 'approver.wf');

  const c = await createCampaign(trx, admin, {
    name: `${year}年元旦春节送温暖 New Year and Spring Festival relief ${year}`,
    kind: 'new_year_spring',
    year,
    funds: DISTRICTS.map((d) => `WF-${d}`),
    rules: {
      perCategory: { deep: '1000.00', accidental: '800.00', relative: '600.00' },
      perAdditionalMember: '100.00',
      // No disability add-on: a line's rule text is kept in clear, and the demo database must hold no member's
      // health word (残疾) in clear (test/privacy/public-scan.test.ts reads a pg_dump).
      perCause: { illness: '200.00', education: '300.00', disaster: '200.00' },
      cap: '1500.00',
    },
    eligibility: { districts: [...DISTRICTS], notExitedThisYear: true },
    quotas: { CY: 40, HD: 30, DC: 20 },
  });
  await buildRoll(trx, admin, c.id, { maxLines: settings.maxLines });

  // District review: CY lowers one line (the household had its employer's festival relief), HD takes one off.
  const included = async (d: string) => (await listLines(trx, admin, c.id, { district: d, status: 'included', limit: 200 })).items;
  const cy = await included('CY');
  const adjust = cy.find((l) => new Decimal(l.amount).gte(800));
  if (adjust) {
    await reviewLine(trx, officers.CY, c.id, adjust.lineNo, {
      action: 'adjust', amount: money(new Decimal(adjust.amount).minus(200)),
      reason: '该户已领取所在单位春节慰问金，经区复核减发 200 元 Already received the employer’s festival relief: reduced by 200.00 on district review',
    });
  }
  const hd = await included('HD');
  if (hd.length > 1) {
    await reviewLine(trx, officers.HD, c.id, hd[hd.length - 1]!.lineNo, {
      action: 'exclude', reason: '户主已于本月再就业，待下次评估 Head back in work this month, pending the next assessment',
    });
  }

  // Bank accounts for the transfer (collected by each district's officer): all but every seventh household, which
  // the roll's payment run will report for cash.
  for (const d of DISTRICTS) {
    const lines = await included(d);
    for (const [i, l] of lines.entries()) {
      if (i % 7 === 6) continue;
      const h = await getHouseholdSummary(trx, l.householdId);
      if (!h) continue;
      await setBankAccount(trx, officers[d], h.id, { accountNo: demoAccountNo(h.id), accountName: h.headName, bankName: BANKS[d] });
    }
  }

  await submitCampaign(trx, admin, c.id, '名单已经各区复核 Roll reviewed by the districts');
  await approveCampaign(trx, approver, c.id, { note: '同意，按规定公示 Approved; to public notice' }, settings);
  return c.id;
}
