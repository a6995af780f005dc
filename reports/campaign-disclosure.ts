// 送温暖名单公示 Campaign disclosure: a relief campaign's roll after its notice, masked (line reference, name with
// its first and last character, district, category, amount, payment state), with totals by district and
// category. Public. Streamed like the aid disclosure: a summary pass (totals, rows that wrap), a measured page
// plan, then the rows batch by batch, so a roll of 50,000 lines never sits in memory.
import { Decimal } from '../src/platform/money';
import { CONTENT_WIDTH, ReportWriter, formatAmount, type Column, type ReportMeta, type ReportResult, type ReportSink, type Table } from './kit';

export interface CampaignDisclosureRow {
  ref: string;
  maskedName: string;
  district: string;
  category: string;
  amount: string;
  payState: string;
}

export interface CampaignDisclosureLabels {
  district: (code: string) => string;
  category: (code: string) => string;
  payState: (code: string) => string;
}

export interface CampaignFacts {
  name: string;
  kind: string; // label
  year: number;
  status: string; // label
  funds: string;
  notice: string;
  approvedTotal: string | null;
}

interface Group { label: string; count: number; amount: string; paid: string }

export interface CampaignDisclosureSummary {
  count: number;
  total: string;
  paid: string;
  byDistrict: Group[];
  byCategory: Group[];
  tallRows: [index: number, lines: number][];
}

const W = CONTENT_WIDTH;
const LINE_COLUMNS: Column[] = [
  { zh: '名单编号', en: 'Line ref.', width: 80 },
  { zh: '户主', en: 'Head (masked)', width: 72 },
  { zh: '区', en: 'District', width: 60 },
  { zh: '困难类别', en: 'Category', width: 80 },
  { zh: '金额（元）', en: 'Amount (CNY)', width: 80, align: 'right' },
  { zh: '发放情况', en: 'Payment', width: W - 372 },
];
const lineTable = (w: ReportWriter): Table => w.table(LINE_COLUMNS, { rowHeight: 13, size: 7.5 });
const cells = (r: CampaignDisclosureRow, l: CampaignDisclosureLabels) => [r.ref, r.maskedName, l.district(r.district), l.category(r.category), formatAmount(r.amount), l.payState(r.payState)];
const PAID = new Set(['paid', 'confirmed']);

const PLAN_META: ReportMeta = { kind: 'campaign-disclosure', titleZh: '', titleEn: '', period: '', scope: '', generatedAt: new Date(0), head: { seq: 0, hash: '', time: new Date(0).toISOString() } };

/** Totals by district and category (O(groups) memory) and the rows whose cells wrap, for the page plan. */
export async function summarizeCampaign(batches: AsyncIterable<CampaignDisclosureRow[]>, labels: CampaignDisclosureLabels): Promise<CampaignDisclosureSummary> {
  let count = 0;
  let total = new Decimal(0);
  let paid = new Decimal(0);
  const districts = new Map<string, { count: number; amount: Decimal; paid: Decimal }>();
  const categories = new Map<string, { count: number; amount: Decimal; paid: Decimal }>();
  const add = (m: typeof districts, k: string, r: CampaignDisclosureRow) => {
    const g = m.get(k) ?? { count: 0, amount: new Decimal(0), paid: new Decimal(0) };
    g.count += 1;
    g.amount = g.amount.plus(r.amount);
    if (PAID.has(r.payState)) g.paid = g.paid.plus(r.amount);
    m.set(k, g);
  };
  const tallRows: [number, number][] = [];
  const measure = lineTable(new ReportWriter(PLAN_META, { measure: true }));
  for await (const batch of batches) {
    for (const r of batch) {
      const lines = measure.linesOf(cells(r, labels));
      if (lines > 1) tallRows.push([count, lines]);
      count += 1;
      total = total.plus(r.amount);
      if (PAID.has(r.payState)) paid = paid.plus(r.amount);
      add(districts, r.district, r);
      add(categories, r.category, r);
    }
  }
  const groups = (m: typeof districts, label: (k: string) => string) =>
    [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, g]) => ({ label: label(k), count: g.count, amount: g.amount.toFixed(2), paid: g.paid.toFixed(2) }));
  return { count, total: total.toFixed(2), paid: paid.toFixed(2), byDistrict: groups(districts, labels.district), byCategory: groups(categories, labels.category), tallRows };
}

function layoutSummary(w: ReportWriter, c: CampaignFacts, s: CampaignDisclosureSummary) {
  w.heading('活动', 'Campaign');
  w.keyValues([
    ['活动名称', 'Name', c.name],
    ['活动类型', 'Kind', c.kind],
    ['年度', 'Year', String(c.year)],
    ['状态', 'Status', c.status],
    ['资金来源（基金）', 'Funds', c.funds],
    ['公示期', 'Public notice', c.notice],
    ['批准总额（元）', 'Approved total (CNY)', c.approvedTotal === null ? '—' : formatAmount(c.approvedTotal)],
  ]);
  w.paragraph('本表公示活动名单公示期满后的全部在册明细。户主姓名仅保留首尾字，不含身份证号、电话、地址和银行账号；名单编号、区、困难类别、金额和发放情况公开。公示期间异议成立的明细已移出名单。');
  w.paragraph(
    'Every line of the roll once its public notice is over. Names keep only their first and last character; ID numbers, phones, addresses and bank accounts never appear. Lines removed by an upheld objection are not listed.',
    7.5,
    '#555555',
  );
  w.heading('汇总', 'Summary');
  w.keyValues([
    ['名单户数', 'Households on the roll', String(s.count)],
    ['名单金额合计（元）', 'Roll total (CNY)', formatAmount(s.total)],
    ['已发放金额（元）', 'Paid so far (CNY)', formatAmount(s.paid)],
  ]);
  for (const [zh, en, groups] of [['按区', 'By district', s.byDistrict], ['按困难类别', 'By category', s.byCategory]] as const) {
    w.heading(zh, en);
    const t = w.table([
      { zh: zh === '按区' ? '区' : '困难类别', en: zh === '按区' ? 'District' : 'Category', width: 150 },
      { zh: '户数', en: 'Households', width: 80, align: 'right' },
      { zh: '金额（元）', en: 'Amount (CNY)', width: 120, align: 'right' },
      { zh: '已发放（元）', en: 'Paid (CNY)', width: 120, align: 'right' },
    ]);
    t.rowsWithTotal(groups.map((g) => [g.label, String(g.count), formatAmount(g.amount), formatAmount(g.paid)]), ['合计 Total', String(s.count), formatAmount(s.total), formatAmount(s.paid)]);
    t.end();
  }
}

const EMPTY = '名单无在册明细。 The roll has no line.';

/** Lays the disclosure out into `sink`; `batches()` must give the rows summarized (one snapshot), else it fails. */
export async function renderCampaignDisclosure(
  meta: ReportMeta, facts: CampaignFacts, summary: CampaignDisclosureSummary, batches: () => AsyncIterable<CampaignDisclosureRow[]>, labels: CampaignDisclosureLabels, sink: ReportSink,
): Promise<ReportResult> {
  const plan = new ReportWriter(meta, { measure: true });
  layoutSummary(plan, facts, summary);
  plan.heading('名单明细', 'Roll');
  const pt = lineTable(plan);
  const tall = new Map(summary.tallRows);
  for (let i = 0; i < summary.count; i++) pt.row(null, { lines: tall.get(i) });
  if (summary.count === 0) plan.paragraph(EMPTY);
  const { pages } = await plan.finish();

  const w = new ReportWriter(meta, { totalPages: pages }).pipeTo(sink);
  layoutSummary(w, facts, summary);
  w.heading('名单明细', 'Roll');
  const t = lineTable(w);
  let done = 0;
  for await (const batch of batches()) {
    for (const r of batch) {
      t.row(cells(r, labels), { shade: done % 2 === 1, rule: false });
      done += 1;
    }
    await w.flush();
  }
  if (done !== summary.count) throw new Error(`invariant broken: ${done} lines laid out where ${summary.count} were counted`);
  if (summary.count === 0) w.paragraph(EMPTY);
  return w.finish();
}
