// Open data: paid aid as a 360Giving data package (JSON for everyone, CSV for finance), streamed batch by batch
// from the aid domain's disclosures inside one read-only snapshot. Schema 1.4 (vendored in ./360giving/).
import type { Knex } from 'knex';
import { sha256Hex } from '../platform/canonical-json';
import { AppError } from '../platform/errors';
import { listDistricts } from '../reference';
import { auditHead } from '../audit';
import type { DisclosureRow } from '../../reports/aid-disclosure';
import { FOUNDATION_EN, FOUNDATION_ZH } from '../../reports/kit';
import { disclosureLabels, disclosureRows } from './renderers';
import { KIND_ZH, paidCampaignLines, type CampaignKind, type PaidCampaignLine } from '../campaigns';

/** The version of the 360Giving standard the package follows (package `version` is major.minor). */
export const STANDARD_VERSION = '1.4';
export const OPEN_LICENSE = 'https://creativecommons.org/licenses/by/4.0/';
/** The standard's guidance for grants to individuals: no name at all, this generic text instead. */
export const INDIVIDUAL_NAME = 'Individual Recipient';
const FOUNDATION_NAME = `${FOUNDATION_ZH} ${FOUNDATION_EN}`;

/** What the foundation says about itself in the data (from config: FOUNDATION_USCI, GRANT_ID_PREFIX, FOUNDATION_WEBSITE). */
export interface OpenDataSettings {
  foundationUsci: string;
  grantIdPrefix: string;
  foundationWebsite: string;
}

/** org-id.guide list CN-USCI (统一社会信用代码). */
export const fundingOrgId = (s: Pick<OpenDataSettings, 'foundationUsci'>) => `CN-USCI-${s.foundationUsci}`;

/**
 * Aid reason → the standard's Grant to Individuals codelists (closed; codelists/*.csv). Every case is for a
 * registered hardship household, so financial hardship (GTIR010) is the reason when nothing more specific is,
 * and the secondary reason of illness, accident and disaster aid.
 */
export const REASON_CODES: Record<DisclosureRow['reason'], { primary: string; secondary?: string; purpose: string[] }> = {
  illness: { primary: 'GTIR030', secondary: 'GTIR010', purpose: ['GTIP120'] }, // Health/Condition; health, care and wellbeing
  accident: { primary: 'GTIR100', secondary: 'GTIR010', purpose: ['GTIP170'] }, // Emergency/crisis event; exceptional costs (crisis funding)
  disaster: { primary: 'GTIR100', secondary: 'GTIR010', purpose: ['GTIP170'] },
  education: { primary: 'GTIR010', purpose: ['GTIP130'] }, // 助学 for hardship families: education and training
  hardship: { primary: 'GTIR010', purpose: ['GTIP070'] }, // food and essential items (all essential living costs)
  other: { primary: 'GTIR010', purpose: ['GTIP010'] }, // unrestricted
};

/** District → GB/T 2260 code (Beijing's 16 districts as of the 2015 merger of 密云/延庆 counties into districts). */
export const DISTRICT_GBT2260: Record<string, string> = {
  DC: '110101', XC: '110102', CY: '110105', FT: '110106', SJS: '110107', HD: '110108', MTG: '110109', FS: '110111',
  TZ: '110112', SY: '110113', CP: '110114', DX: '110115', HR: '110116', PG: '110117', MY: '110118', YQ: '110119',
};

/** Location scope codelist GLS050: a second-level subnational area (a district under the municipality of Beijing). */
const LOCATION_SCOPE = 'GLS050';

const SHANGHAI_DATE = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });

export interface Grant {
  id: string;
  title: string;
  description: string;
  currency: 'CNY';
  amountAwarded: number;
  awardDate: string;
  recipientIndividual: { id: string; name: string };
  toIndividualsDetails: { primaryGrantReason: string; secondaryGrantReason?: string; grantPurpose: string[] };
  fundingOrganization: { id: string; name: string }[];
  grantProgramme: { code: string; title: string }[];
  classifications: { vocabulary: string; code: string; title: string }[];
  beneficiaryLocation: { name: string; countryCode: 'CN'; geoCode?: string; description?: string }[];
  locationScope: string;
  dateModified?: string;
  dataSource: string;
}

export interface GrantLabels {
  reason(code: string): string;
  district(code: string): { zh: string; en: string };
}

/**
 * One paid case as a grant to an anonymous individual. awardDate is the day the approval was made public
 * (start of the notice), or the payment day of an urgent case paid before its notice. The recipient's id is a
 * hash of the case number (already public in the grant id), so it links nothing beyond this grant; the name is
 * the standard's generic "Individual Recipient", never a name, not even a masked one.
 */
export function grantOf(r: DisclosureRow, labels: GrantLabels, s: OpenDataSettings): Grant {
  const reasonZh = labels.reason(r.reason);
  const district = labels.district(r.district);
  const codes = REASON_CODES[r.reason] ?? REASON_CODES.other;
  const geoCode = DISTRICT_GBT2260[r.district];
  const awardDate = !r.paidBeforeNotice && r.noticeStart ? SHANGHAI_DATE.format(new Date(r.noticeStart)) : r.paidAt;
  return {
    id: `${s.grantIdPrefix}-${r.caseNo}`,
    title: `应急救助（${reasonZh}） Emergency aid (${r.reason})`,
    description: `${FOUNDATION_ZH}${district.zh}应急救助，事由：${reasonZh}，基金 ${r.fund}${r.paidBeforeNotice ? '，紧急案件先付后示' : ''}。Emergency aid to a registered hardship household in ${district.en} District, reason ${r.reason}, fund ${r.fund}.`,
    currency: 'CNY',
    amountAwarded: Number(r.approvedAmount),
    awardDate,
    recipientIndividual: { id: `${s.grantIdPrefix}-IND-${sha256Hex(`recipient:${r.caseNo}`).slice(0, 16)}`, name: INDIVIDUAL_NAME },
    toIndividualsDetails: { primaryGrantReason: codes.primary, ...(codes.secondary ? { secondaryGrantReason: codes.secondary } : {}), grantPurpose: codes.purpose },
    fundingOrganization: [{ id: fundingOrgId(s), name: FOUNDATION_NAME }],
    grantProgramme: [{ code: `${s.grantIdPrefix}-emergency-aid`, title: '应急救助 Emergency aid' }],
    classifications: [{ vocabulary: `${s.grantIdPrefix}-aid-reason`, code: r.reason, title: reasonZh }],
    // geoCodeType stays out: its codelist is closed and UK-only (ONS), and GB/T 2260 is not on it.
    beneficiaryLocation: [{
      name: `北京市${district.zh} ${district.en} District, Beijing`, countryCode: 'CN',
      ...(geoCode ? { geoCode, description: `GB/T 2260 行政区划代码 administrative division code ${geoCode}` } : {}),
    }],
    locationScope: LOCATION_SCOPE,
    ...(r.updatedAt ? { dateModified: r.updatedAt } : {}),
    dataSource: s.foundationWebsite,
  };
}

/**
 * Relief campaigns (两节送温暖 …): one grant per paid line, i.e. per household and campaign (docs/reports.md says
 * why not one per district). Codes by the campaign's kind only: nothing of the household (its category, causes or
 * rule) is in the grant, and every reason is financial hardship (a roll is of registered hardship households).
 */
export const CAMPAIGN_KIND_CODES: Record<CampaignKind, { purpose: string[]; en: string }> = {
  new_year_spring: { purpose: ['GTIP070'], en: 'New Year and Spring Festival relief' }, // food and essential items
  autumn_school: { purpose: ['GTIP130'], en: 'Autumn school support' }, // education and training
  summer_cooling: { purpose: ['GTIP050', 'GTIP070'], en: 'Summer cooling relief' }, // utilities (cooling), essentials
  other: { purpose: ['GTIP010'], en: 'Relief payment' }, // unrestricted
};

/**
 * One paid campaign line as a grant to an anonymous individual. The id is the line reference C<campaign>-<line>
 * (already public on the notice board and in the campaign disclosure PDF, as a case number is); the recipient id
 * a hash of it, so a household's grants of different campaigns are not linked; awardDate the start of the
 * notice (the approval made public).
 */
export function campaignGrantOf(r: PaidCampaignLine, labels: GrantLabels, s: OpenDataSettings): Grant {
  const ref = `C${r.campaignId}-${r.lineNo}`;
  const district = labels.district(r.district);
  const kindZh = KIND_ZH[r.kind];
  const codes = CAMPAIGN_KIND_CODES[r.kind];
  const geoCode = DISTRICT_GBT2260[r.district];
  return {
    id: `${s.grantIdPrefix}-${ref}`,
    title: `${kindZh}慰问金 ${codes.en}`,
    description: `${FOUNDATION_ZH}${r.year}年“${r.campaignName}”活动向${district.zh}在档困难职工家庭发放的慰问金，基金 ${r.fund}。A ${codes.en.toLowerCase()} payment of the campaign "${r.campaignName}" (${r.year}) to a registered hardship household in ${district.en} District, fund ${r.fund}.`,
    currency: 'CNY',
    amountAwarded: Number(r.amount),
    awardDate: r.noticeStart ? SHANGHAI_DATE.format(new Date(r.noticeStart)) : r.paidDate,
    recipientIndividual: { id: `${s.grantIdPrefix}-IND-${sha256Hex(`recipient:${ref}`).slice(0, 16)}`, name: INDIVIDUAL_NAME },
    toIndividualsDetails: { primaryGrantReason: 'GTIR010', grantPurpose: codes.purpose },
    fundingOrganization: [{ id: fundingOrgId(s), name: FOUNDATION_NAME }],
    grantProgramme: [{ code: `${s.grantIdPrefix}-campaign-C${r.campaignId}`, title: `${kindZh} ${r.campaignName}` }],
    classifications: [{ vocabulary: `${s.grantIdPrefix}-campaign-kind`, code: r.kind, title: kindZh }],
    beneficiaryLocation: [{
      name: `北京市${district.zh} ${district.en} District, Beijing`, countryCode: 'CN',
      ...(geoCode ? { geoCode, description: `GB/T 2260 行政区划代码 administrative division code ${geoCode}` } : {}),
    }],
    locationScope: LOCATION_SCOPE,
    dateModified: r.updatedAt,
    dataSource: s.foundationWebsite,
  };
}

/** Column titles are the standard's spreadsheet titles; the grant purposes are joined with ';' as it says. */
export const CSV_COLUMNS = [
  'Identifier', 'Title', 'Description', 'Currency', 'Amount Awarded', 'Award Date', 'Recipient Ind:Identifier', 'Recipient Ind:Name',
  'To Individuals Details:Primary Grant Reason', 'To Individuals Details:Secondary Grant Reason', 'To Individuals Details:Grant Purpose',
  'Funding Org:Identifier', 'Funding Org:Name', 'Grant Programme:Code', 'Grant Programme:Title', 'Classifications:Vocabulary', 'Classifications:Code', 'Classifications:Title',
  'Beneficiary Location:Name', 'Beneficiary Location:Country Code', 'Beneficiary Location:Geographic Code', 'Location Scope', 'Last Modified', 'Data Source',
];

const csvCell = (v: string) => (/[",\r\n]/.test(v) || /^[=+\-@]/.test(v) ? `"${v.replace(/^([=+\-@])/, "'$1").replace(/"/g, '""')}"` : v);

/** The same grant as a CSV line; the amount stays an exact decimal string for finance. */
export function csvLineOf(g: Grant, exactAmount: string) {
  const loc = g.beneficiaryLocation[0]!;
  const t = g.toIndividualsDetails;
  return [
    g.id, g.title, g.description, g.currency, exactAmount, g.awardDate, g.recipientIndividual.id, g.recipientIndividual.name,
    t.primaryGrantReason, t.secondaryGrantReason ?? '', t.grantPurpose.join(';'),
    g.fundingOrganization[0]!.id, g.fundingOrganization[0]!.name, g.grantProgramme[0]!.code, g.grantProgramme[0]!.title,
    g.classifications[0]!.vocabulary, g.classifications[0]!.code, g.classifications[0]!.title,
    loc.name, loc.countryCode, loc.geoCode ?? '', g.locationScope, g.dateModified ?? '', g.dataSource,
  ].map(csvCell).join(',');
}

export interface TextSink {
  write(s: string): boolean | void;
  drain?(): Promise<void>;
}

type Period = { from: string; to: string; fund?: string };

/** Package metadata (everything but `grants`); no generation time, so the same data gives the same bytes. */
export function packageMeta(q: Period, s: OpenDataSettings) {
  const scope = q.fund ? `，基金 ${q.fund}` : '';
  return {
    version: STANDARD_VERSION,
    identifier: `${s.grantIdPrefix}-aid-${q.from}-${q.to}${q.fund ? `-${q.fund}` : ''}`,
    title: `${FOUNDATION_ZH}应急救助与送温暖慰问金 ${q.from} 至 ${q.to}${scope} · ${FOUNDATION_EN} emergency aid and relief campaign grants ${q.from} to ${q.to}${q.fund ? `, fund ${q.fund}` : ''}`,
    description: `${q.from} 至 ${q.to} 已发放的应急救助和送温暖等活动慰问金（按支付日期），受助人匿名${scope}。Emergency aid and relief campaign payments made from ${q.from} to ${q.to} (by payment date) to anonymous individuals in registered hardship households.`,
    license: OPEN_LICENSE,
    publisher: { identifier: fundingOrgId(s), name: FOUNDATION_NAME, website: s.foundationWebsite },
  };
}

/** A 360Giving package holds at least one grant (schema: grants minItems 1), so an empty period is a 404. */
export const noGrants = (q: Period) =>
  new AppError(404, 'no_grants', `no aid or campaign relief was paid in ${q.from}..${q.to}${q.fund ? ` from fund ${q.fund}` : ''}, and a 360Giving package must hold at least one grant; 本期没有已发放的救助，360Giving 数据包至少要有一笔资助`, {
    from: q.from, to: q.to, ...(q.fund ? { fund: q.fund } : {}), grants: 0,
  });

/**
 * Streams the export in one REPEATABLE READ snapshot; `format` picks the 360Giving JSON package or the CSV.
 * The first batch is read before anything is written, so an empty JSON period can still answer 404; the CSV of
 * an empty period is its header line only. The package's `modified` (the latest grant change) comes last.
 */
export async function exportGrants(db: Knex, q: Period, format: 'json' | 'csv', out: TextSink, s: OpenDataSettings, onHead?: (head: { seq: number }) => Promise<void>) {
  return db.transaction(async (snap) => {
    await snap.raw('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    if (onHead) await onHead(await auditHead(snap)); // the head these grants are stated at, before any byte
    const reasons = await disclosureLabels(snap);
    const districts = new Map((await listDistricts(snap)).map((d) => [d.code, { zh: d.nameZh, en: d.nameEn }]));
    const labels: GrantLabels = { reason: reasons.reason, district: (c) => districts.get(c) ?? { zh: c, en: c } };
    // Aid grants, then campaign grants; only batches with grants, so `done` at once means an empty period.
    async function* all(): AsyncIterable<{ g: Grant; exact: string }[]> {
      for await (const b of disclosureRows(snap, q)) if (b.length) yield b.map((r) => ({ g: grantOf(r, labels, s), exact: r.approvedAmount }));
      for await (const b of paidCampaignLines(snap, q)) if (b.length) yield b.map((r) => ({ g: campaignGrantOf(r, labels, s), exact: r.amount }));
    }
    const batches = all()[Symbol.asyncIterator]();
    let next = await batches.next();
    if (format === 'json' && (next.done || next.value.length === 0)) throw noGrants(q);
    let count = 0;
    let modified = '';
    if (format === 'json') out.write(`${JSON.stringify(packageMeta(q, s)).slice(0, -1)},"grants":[`);
    else out.write(`\uFEFF${CSV_COLUMNS.join(',')}\r\n`);
    for (; !next.done; next = await batches.next()) {
      let chunk = '';
      for (const { g, exact } of next.value) {
        if (g.dateModified && g.dateModified > modified) modified = g.dateModified;
        chunk += format === 'json' ? `${count ? ',' : ''}\n${JSON.stringify(g)}` : `${csvLineOf(g, exact)}\r\n`;
        count += 1;
      }
      if (out.write(chunk) === false && out.drain) await out.drain();
    }
    if (format === 'json') out.write(`\n]${modified ? `,"modified":${JSON.stringify(modified)}` : ''}}\n`);
    return count;
  });
}
