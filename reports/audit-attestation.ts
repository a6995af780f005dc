// 审计链证明 Audit attestation: chain length, head, the result of a full verification run at generation, and
// counts of actions by type and month, and every user and role change — all as of the report's head (its basis).
import { ReportWriter, shanghaiTime, type ReportMeta, type ReportResult, type ReportSink } from './kit';

/** One user or role change from the audit log: who (the user changed), when, what, by whom. */
export interface UserChangeRow {
  seq: number;
  time: string;
  user: string;
  subject: string;
  what: string;
  by: string;
}

export interface AttestationData {
  length: number;
  verification: { ok: boolean; firstBadSeq: number | null; problem: string | null };
  counts: { action: string; month: string; count: number }[];
  /** Users created, roles or district changed, disabled or enabled (oldest first). */
  userChanges: UserChangeRow[];
  /** The action's Chinese name beside its code ("记账凭证过账 ledger.posted"). */
  actionLabel?: (code: string) => string;
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

  const label = d.actionLabel ?? ((c: string) => c);
  const byAction = new Map<string, number>();
  for (const c of d.counts) byAction.set(c.action, (byAction.get(c.action) ?? 0) + c.count);
  w.heading('按动作类型', 'Actions by type');
  const t1 = w.table([
    { zh: '动作', en: 'Action', width: 330 },
    { zh: '行数', en: 'Rows', width: 120, align: 'right' },
  ]);
  t1.rowsWithTotal(
    [...byAction.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([action, n]) => [label(action), String(n)]),
    ['合计 Total', String(d.counts.reduce((n, c) => n + c.count, 0))],
  );
  t1.end();

  // 不相容职务: an admin could give a second account rights; every such change is listed here for the auditor.
  w.heading('用户与权限变更', 'User and role changes');
  w.paragraph(
    d.userChanges.length
      ? `共 ${d.userChanges.length} 项：创建用户、角色或所属区变更、停用与启用（时间为北京时间）。 ${d.userChanges.length} changes: users created, roles or district changed, disabled and enabled (Asia/Shanghai time).`
      : '审计链中没有用户与权限变更。 No user or role change in the audit log.',
    8,
  );
  if (d.userChanges.length) {
    const cols = [
      { zh: '序号', en: 'Seq', width: 38, align: 'right' as const },
      { zh: '时间', en: 'When', width: 88 },
      { zh: '用户', en: 'User', width: 86 },
      { zh: '变更内容', en: 'What', width: 227 },
      { zh: '操作人', en: 'By', width: 72 },
    ];
    const tu = w.table(cols);
    // A long description or user name wraps within its cell.
    for (const c of d.userChanges) tu.row([String(c.seq), shanghaiTime(new Date(c.time)), c.user, c.what, c.by]);
    tu.end();
  }

  w.heading('按月份与动作', 'Actions by month (Asia/Shanghai) and type');
  const t2 = w.table([
    { zh: '月份', en: 'Month', width: 80 },
    { zh: '动作', en: 'Action', width: 330 },
    { zh: '行数', en: 'Rows', width: 100, align: 'right' },
  ]);
  for (const c of d.counts) t2.row([c.month, label(c.action), String(c.count)]);
  t2.end();
  return w.finish();
}
