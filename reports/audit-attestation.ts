// 审计链证明 Audit attestation: chain length, head, the result of a full verification run at generation, and
// counts of actions by type and month — all as of the report's head (its basis).
import { ReportWriter, type ReportMeta, type ReportResult, type ReportSink } from './kit';

export interface AttestationData {
  length: number;
  verification: { ok: boolean; firstBadSeq: number | null; problem: string | null };
  counts: { action: string; month: string; count: number }[];
}

export async function renderAuditAttestation(meta: ReportMeta, d: AttestationData, sink: ReportSink): Promise<ReportResult> {
  const w = new ReportWriter(meta).pipeTo(sink);
  w.heading('证明', 'Attestation');
  const v = d.verification;
  w.paragraph(
    v.ok
      ? `生成本报告时，对审计链第 1 行至第 ${d.length} 行做了完整验证（每行哈希、前后链接、序号连续、私有载荷摘要及链头），结果：通过。`
      : `生成本报告时，对审计链做了完整验证，结果：未通过。第一处问题在第 ${v.firstBadSeq} 行：${v.problem ?? ''}。`,
    9.5,
  );
  w.paragraph(
    v.ok
      ? `A full verification of audit rows 1 to ${d.length} (every hash, every link, gapless seq, private-payload digests and the head) was run when this report was made: PASSED.`
      : `A full verification was run when this report was made: FAILED. First bad row: seq ${v.firstBadSeq} (${v.problem ?? ''}).`,
    7.5,
    '#555555',
  );
  w.heading('审计链', 'The chain');
  w.keyValues([
    ['链长度', 'Chain length (rows)', String(d.length)],
    ['链头序号', 'Head seq', String(meta.head.seq)],
    ['验证结果', 'Verification', v.ok ? '通过 Passed' : `未通过 Failed at seq ${v.firstBadSeq}`],
    ['动作合计', 'Actions counted', String(d.counts.reduce((n, c) => n + c.count, 0))],
  ]);
  w.paragraph(`链头哈希 Head hash: ${meta.head.hash}`, 8);

  const byAction = new Map<string, number>();
  for (const c of d.counts) byAction.set(c.action, (byAction.get(c.action) ?? 0) + c.count);
  w.heading('按动作类型', 'Actions by type');
  const t1 = w.table([
    { zh: '动作', en: 'Action', width: 300 },
    { zh: '行数', en: 'Rows', width: 120, align: 'right' },
  ]);
  for (const [action, n] of [...byAction.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) t1.row([action, String(n)]);
  t1.row(['合计 Total', String(d.counts.reduce((n, c) => n + c.count, 0))], { bold: true });
  t1.end();

  w.heading('按月份与动作', 'Actions by month (Asia/Shanghai) and type');
  const t2 = w.table([
    { zh: '月份', en: 'Month', width: 100 },
    { zh: '动作', en: 'Action', width: 260 },
    { zh: '行数', en: 'Rows', width: 100, align: 'right' },
  ]);
  for (const c of d.counts) t2.row([c.month, c.action, String(c.count)]);
  t2.end();
  return w.finish();
}
