// 解困脱困目标进度 Exit-target progress: the tracker's figures, a monthly bar chart drawn with pdfkit's vector
// graphics, and the breakdown by district against quota.
import type { TargetProgress } from '../src/households';
import { ReportWriter, type ReportMeta, type ReportResult, type ReportSink } from './kit';

/** The tracker's figures (households' TargetProgress) with display labels for districts and categories. */
export type ExitProgressData = Omit<TargetProgress, 'byDistrict' | 'byCategory'> & {
  byDistrict: (TargetProgress['byDistrict'][number] & { label: string })[];
  byCategory: (TargetProgress['byCategory'][number] & { label: string })[];
};

const pct = (n: number | null) => (n === null ? '—' : `${n.toFixed(1)}%`);

export async function renderExitProgress(meta: ReportMeta, d: ExitProgressData, sink: ReportSink): Promise<ReportResult> {
  const w = new ReportWriter(meta).pipeTo(sink);
  w.heading('目标进度', 'Progress against the target');
  w.keyValues([
    ['年度目标（户）', 'Target (households)', String(d.target)],
    ['已脱困（户）', 'Exited this year', String(d.exited)],
    ['尚需（户）', 'Remaining', String(d.remaining)],
    ['完成率', 'Percent done', pct(d.percent)],
    ['剩余天数', 'Days left', String(d.daysLeft)],
    ['所需周进度（户/周）', 'Required per week', d.requiredPerWeek.toFixed(2)],
    ['近四周进度（户/周）', 'Current per week (last 4 weeks)', d.currentPerWeek.toFixed(2)],
    ['预计年末（户）', 'Projected at year end', String(d.projectedYearEnd)],
    ['是否按期', 'On track', d.onTrack ? '是 Yes' : '否 No'],
    ['统计截至', 'As of (Asia/Shanghai)', d.asOf],
  ]);
  w.heading('按月脱困户数', 'Exits by month');
  w.barChart({
    labels: d.byMonth.map((m) => `${Number(m.month.slice(5))}月`),
    values: d.byMonth.map((m) => m.exited),
    target: { value: Math.ceil(d.target / 12), label: `月均目标 ${Math.ceil(d.target / 12)} monthly pace` },
  });
  w.heading('按区（对照配额）', 'By district, against quota');
  const t = w.table([
    { zh: '区', en: 'District', width: 120 },
    { zh: '配额', en: 'Quota', width: 80, align: 'right' },
    { zh: '已脱困', en: 'Exited', width: 80, align: 'right' },
    { zh: '尚需', en: 'Remaining', width: 80, align: 'right' },
    { zh: '完成率', en: 'Percent', width: 80, align: 'right' },
  ]);
  t.rowsWithTotal(
    d.byDistrict.map((r) => [r.label, r.quota === null ? '—' : String(r.quota), String(r.exited), r.remaining === null ? '—' : String(r.remaining), pct(r.percent)]),
    ['合计 Total', String(d.target), String(d.exited), String(d.remaining), pct(d.percent)],
  );
  t.end();
  w.heading('按困难类别', 'By hardship category');
  const c = w.table([
    { zh: '类别', en: 'Category', width: 200 },
    { zh: '已脱困', en: 'Exited', width: 100, align: 'right' },
  ]);
  for (const r of d.byCategory) c.row([r.label, String(r.exited)]);
  c.end();
  return w.finish();
}
