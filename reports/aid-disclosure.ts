// 应急救助公示 Aid disclosure: every paid aid case of the period, masked (DESIGN §5), with totals by reason and
// district. Public. Streams: the rows come in batches from an async source and leave memory page by page.
//
// Two passes over the source (both inside the caller's one database snapshot, so they see the same rows):
//   1. summarize(): counts and totals by reason and district — O(number of groups) memory. This gives the totals
//      that open the report and the exact row count.
//   2. render(): the layout is run once in measure mode (rows have a fixed height, so only their count
//      matters) to get the page count, then for real with that count, so every page carries "第 n 页 / 共 N 页"
//      as it is written and no page has to be kept in memory to be numbered later.
// Reading the rows twice costs a second scan; it buys exact page totals on every page and the totals up front.
import type { Disclosure } from '../src/aid';
import { Decimal } from '../src/platform/money';
import { DEFAULT_AID_RULES_NAME } from '../src/platform/config';
import { CONTENT_WIDTH, ReportWriter, formatAmount, type Column, type ReportMeta, type ReportResult, type ReportSink, type Table } from './kit';

/** One paid case as the aid domain discloses it: already masked. */
export type DisclosureRow = Disclosure;

export interface DisclosureLabels {
  district: (code: string) => string;
  reason: (code: string) => string;
}

interface Group {
  key: string;
  label: string;
  count: number;
  amount: string;
}

export interface DisclosureSummary {
  count: number;
  total: string;
  paidBeforeNotice: number;
  byReason: Group[];
  byDistrict: Group[];
  /** The rows (by position) whose cells wrap onto more lines, with their line count: the page plan needs them. */
  tallRows: [index: number, lines: number][];
}

export async function summarizeDisclosures(batches: AsyncIterable<DisclosureRow[]>, labels: DisclosureLabels): Promise<DisclosureSummary> {
  let count = 0;
  let total = new Decimal(0);
  let early = 0;
  const reasons = new Map<string, { count: number; amount: Decimal }>();
  const districts = new Map<string, { count: number; amount: Decimal }>();
  const add = (m: Map<string, { count: number; amount: Decimal }>, k: string, a: string) => {
    const g = m.get(k) ?? { count: 0, amount: new Decimal(0) };
    g.count += 1;
    g.amount = g.amount.plus(a);
    m.set(k, g);
  };
  const tallRows: [number, number][] = [];
  const measure = caseTable(new ReportWriter(PLAN_META, { measure: true }));
  for await (const batch of batches) {
    for (const r of batch) {
      const lines = measure.linesOf(caseCells(r, labels));
      if (lines > 1) tallRows.push([count, lines]);
      count += 1;
      total = total.plus(r.approvedAmount);
      if (r.paidBeforeNotice) early += 1;
      add(reasons, r.reason, r.approvedAmount);
      add(districts, r.district, r.approvedAmount);
    }
  }
  const groups = (m: Map<string, { count: number; amount: Decimal }>, label: (k: string) => string) =>
    [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, g]) => ({ key, label: label(key), count: g.count, amount: g.amount.toFixed(2) }));
  return { count, total: total.toFixed(2), paidBeforeNotice: early, byReason: groups(reasons, labels.reason), byDistrict: groups(districts, labels.district), tallRows };
}

const W = CONTENT_WIDTH;
const CASE_COLUMNS: Column[] = [
  { zh: '案件号', en: 'Case no.', width: 88 },
  { zh: '受助人', en: 'Recipient (masked)', width: 62 },
  { zh: '区', en: 'District', width: 42 },
  { zh: '事由', en: 'Reason', width: 42 },
  { zh: '金额（元）', en: 'Amount (CNY)', width: 70, align: 'right' },
  { zh: '支付日期', en: 'Paid on', width: 56 },
  { zh: '基金', en: 'Fund', width: 68 },
  { zh: '公示', en: 'Public notice', width: W - 428 },
];

const caseTable = (w: ReportWriter): Table => w.table(CASE_COLUMNS, { rowHeight: 13, size: 7.5 });
/** Only for measuring rows (no header is drawn from it). */
const PLAN_META: ReportMeta = { kind: 'aid-disclosure', titleZh: '', titleEn: '', period: '', scope: '', generatedAt: new Date(0), head: { seq: 0, hash: '', time: new Date(0).toISOString() } };

const SHANGHAI_DATE = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });
const day = (iso: string) => SHANGHAI_DATE.format(new Date(iso));

function noticeCell(r: DisclosureRow) {
  if (r.paidBeforeNotice) return r.noticeStart ? `先付后示 ${day(r.noticeStart).slice(5)}起` : '先付后示 paid first';
  if (r.noticeStart && r.noticeEnd) return `${day(r.noticeStart)}~${day(r.noticeEnd).slice(5)}`;
  return r.urgent ? '紧急 urgent' : '—';
}

function caseCells(r: DisclosureRow, labels: DisclosureLabels): string[] {
  return [r.caseNo, r.maskedName, labels.district(r.district), labels.reason(r.reason), formatAmount(r.approvedAmount), r.paidAt, r.fund, noticeCell(r)];
}

function layoutSummary(w: ReportWriter, s: DisclosureSummary, rulesName: string) {
  w.heading('说明', 'About this disclosure');
  w.paragraph(
    `本表公示期间内已支付的全部应急救助案件。依《${rulesName}》，受助人姓名仅保留首尾字，不含身份证号、电话和地址；金额、区、事由和日期公开。` +
      '紧急案件经基金会审批人批准可先支付后公示，表中注明“先付后示”。',
  );
  w.paragraph(
    `Every emergency-aid case paid in the period. Under the foundation's rules for emergency aid (《${rulesName}》), names keep only their first and last character; ID numbers, phones and addresses never appear. ` +
      'Urgent cases approved by a foundation approver may be paid first and noticed afterwards ("先付后示").',
    7.5,
    '#555555',
  );
  w.heading('汇总', 'Summary');
  w.keyValues([
    ['已支付案件', 'Cases paid', String(s.count)],
    ['支付金额合计（元）', 'Total paid (CNY)', formatAmount(s.total)],
    ['先付后示案件', 'Paid before notice', String(s.paidBeforeNotice)],
  ]);
  for (const [zh, en, groups] of [
    ['按事由', 'By reason', s.byReason],
    ['按区', 'By district', s.byDistrict],
  ] as const) {
    w.heading(zh, en);
    const t = w.table([
      { zh: zh === '按区' ? '区' : '事由', en: zh === '按区' ? 'District' : 'Reason', width: 200 },
      { zh: '案件数', en: 'Cases', width: 100, align: 'right' },
      { zh: '金额（元）', en: 'Amount (CNY)', width: 140, align: 'right' },
    ]);
    t.rowsWithTotal(groups.map((g) => [g.label, String(g.count), formatAmount(g.amount)]), ['合计 Total', String(s.count), formatAmount(s.total)]);
    t.end();
  }
}

/**
 * Lays the disclosure out into `sink`. `batches()` must give the same rows as the ones summarized (the caller
 * reads both inside one snapshot); a different count is a bug and fails the report.
 */
export async function renderAidDisclosure(
  meta: ReportMeta,
  summary: DisclosureSummary,
  batches: () => AsyncIterable<DisclosureRow[]>,
  labels: DisclosureLabels,
  sink: ReportSink,
  progress?: (done: number, total: number) => void,
  rulesName = DEFAULT_AID_RULES_NAME,
): Promise<ReportResult> {
  const plan = new ReportWriter(meta, { measure: true });
  layoutSummary(plan, summary, rulesName);
  plan.heading('案件明细', 'Cases');
  const pt = caseTable(plan);
  const tall = new Map(summary.tallRows);
  for (let i = 0; i < summary.count; i++) pt.row(null, { lines: tall.get(i) });
  if (summary.count === 0) plan.paragraph('本期间无已支付案件。 No case was paid in this period.');
  const { pages } = await plan.finish();

  const w = new ReportWriter(meta, { totalPages: pages }).pipeTo(sink);
  layoutSummary(w, summary, rulesName);
  w.heading('案件明细', 'Cases');
  const t = caseTable(w);
  let done = 0;
  for await (const batch of batches()) {
    for (const r of batch) {
      t.row(caseCells(r, labels), { shade: done % 2 === 1, rule: false });
      done += 1;
    }
    progress?.(done, summary.count);
    await w.flush();
  }
  if (done !== summary.count) throw new Error(`invariant broken: ${done} cases laid out where ${summary.count} were counted`);
  if (summary.count === 0) w.paragraph('本期间无已支付案件。 No case was paid in this period.');
  return w.finish();
}
