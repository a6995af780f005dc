// Open data: paid aid as 360Giving grants (JSON for everyone, CSV for finance), streamed batch by batch from
// the aid domain's masked disclosures inside one read-only snapshot.
import type { Knex } from 'knex';
import { sha256Hex } from '../platform/canonical-json';
import type { DisclosureLabels, DisclosureRow } from '../../reports/aid-disclosure';
import { FOUNDATION_EN, FOUNDATION_ZH } from '../../reports/kit';
import { disclosureLabels, disclosureRows } from './renderers';

/** The 360Giving identifier prefix of the foundation's grants (360G-<prefix>-<caseNo>). */
export const GRANT_PREFIX = '360G-wf';
export const FUNDING_ORG = { id: `${GRANT_PREFIX}-org-WF`, name: `${FOUNDATION_ZH} ${FOUNDATION_EN}` };

const SHANGHAI_DATE = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });

export interface Grant {
  id: string;
  title: string;
  description: string;
  currency: 'CNY';
  amountAwarded: number;
  awardDate: string;
  recipientIndividual: { id: string; name: string };
  fundingOrganization: { id: string; name: string }[];
  grantProgramme: { code: string; title: string }[];
  classifications: { vocabulary: string; code: string; title: string }[];
  beneficiaryLocation: { name: string; countryCode: 'CN' }[];
  plannedDates?: { startDate: string; endDate: string }[];
}

/**
 * One paid case as a grant. awardDate is the day the approval was made public (start of the notice), or the
 * payment day for an urgent case paid before its notice. The recipient's id is opaque: a hash of the case
 * number (already public), so it links nothing beyond the case; the name is the masked one (张*明).
 */
export function grantOf(r: DisclosureRow, labels: DisclosureLabels): Grant {
  const reasonZh = labels.reason(r.reason);
  const district = labels.district(r.district);
  const awardDate = !r.paidBeforeNotice && r.noticeStart ? SHANGHAI_DATE.format(new Date(r.noticeStart)) : r.paidAt;
  return {
    id: `${GRANT_PREFIX}-${r.caseNo}`,
    title: `应急救助（${reasonZh}） Emergency aid (${r.reason})`,
    description: `${FOUNDATION_ZH}${district}应急救助，事由：${reasonZh}，基金 ${r.fund}${r.paidBeforeNotice ? '，紧急案件先付后示' : ''}。Emergency aid in ${r.district}, reason ${r.reason}, fund ${r.fund}.`,
    currency: 'CNY',
    amountAwarded: Number(r.approvedAmount),
    awardDate,
    recipientIndividual: { id: `${GRANT_PREFIX}-IND-${sha256Hex(`recipient:${r.caseNo}`).slice(0, 16)}`, name: r.maskedName },
    fundingOrganization: [FUNDING_ORG],
    grantProgramme: [{ code: `${GRANT_PREFIX}-emergency-aid`, title: '应急救助 Emergency aid' }],
    classifications: [{ vocabulary: `${GRANT_PREFIX}-aid-reason`, code: r.reason, title: reasonZh }],
    beneficiaryLocation: [{ name: district, countryCode: 'CN' }],
    ...(r.noticeStart && r.noticeEnd ? { plannedDates: [{ startDate: SHANGHAI_DATE.format(new Date(r.noticeStart)), endDate: SHANGHAI_DATE.format(new Date(r.noticeEnd)) }] } : {}),
  };
}

export const CSV_COLUMNS = [
  'Identifier', 'Title', 'Description', 'Currency', 'Amount Awarded', 'Award Date', 'Recipient Ind:Identifier', 'Recipient Ind:Name',
  'Funding Org:Identifier', 'Funding Org:Name', 'Grant Programme:Code', 'Grant Programme:Title', 'Classifications:Code', 'Classifications:Title', 'Beneficiary Location:Name',
];

const csvCell = (v: string) => (/[",\r\n]/.test(v) || /^[=+\-@]/.test(v) ? `"${v.replace(/^([=+\-@])/, "'$1").replace(/"/g, '""')}"` : v);

/** The same grant as a CSV line; the amount stays an exact decimal string for finance. */
export function csvLineOf(g: Grant, exactAmount: string) {
  return [
    g.id, g.title, g.description, g.currency, exactAmount, g.awardDate, g.recipientIndividual.id, g.recipientIndividual.name, g.fundingOrganization[0]!.id,
    g.fundingOrganization[0]!.name, g.grantProgramme[0]!.code, g.grantProgramme[0]!.title, g.classifications[0]!.code, g.classifications[0]!.title, g.beneficiaryLocation[0]!.name,
  ].map(csvCell).join(',');
}

export interface TextSink {
  write(s: string): boolean | void;
  drain?(): Promise<void>;
}

/** Streams the export in one REPEATABLE READ snapshot; `format` picks 360Giving JSON or CSV. */
export async function exportGrants(db: Knex, q: { from: string; to: string; fund?: string }, format: 'json' | 'csv', out: TextSink) {
  await db.transaction(async (snap) => {
    await snap.raw('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const labels = await disclosureLabels(snap);
    let first = true;
    let count = 0;
    if (format === 'json') out.write('{"grants":[');
    else out.write(`\uFEFF${CSV_COLUMNS.join(',')}\r\n`);
    for await (const batch of disclosureRows(snap, q)) {
      let chunk = '';
      for (const r of batch) {
        const g = grantOf(r, labels);
        chunk += format === 'json' ? `${first ? '' : ','}\n${JSON.stringify(g)}` : `${csvLineOf(g, r.approvedAmount)}\r\n`;
        first = false;
        count += 1;
      }
      if (out.write(chunk) === false && out.drain) await out.drain();
    }
    if (format === 'json') out.write('\n]}\n');
    return count;
  });
}
