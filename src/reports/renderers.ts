// The four reports: each reads its data through the owning domain's index.ts (inside the publisher's snapshot)
// and hands plain rows to the layout code in the top-level reports/ folder.
import { auditActionCounts, listAuditRows, verifyAuditChain } from '../audit';
import { describeUserChange, USER_CHANGE_ACTIONS } from '../auth';
import { paidCaseDisclosures, REASON_ZH } from '../aid';
import { targetProgress } from '../households';
import { fundStatement, getFund, listFunds } from '../ledger';
import { listDistricts } from '../reference';
import { shanghaiDate } from '../platform/clock';
import type { Db } from '../platform/db';
import { maskName } from '../platform/masking';
import { notFound } from '../platform/errors';
import { renderAidDisclosure, summarizeDisclosures, type DisclosureLabels, type DisclosureRow } from '../../reports/aid-disclosure';
import { renderAuditAttestation, type UserChangeRow } from '../../reports/audit-attestation';
import { renderExitProgress } from '../../reports/exit-progress';
import { renderFundStatement } from '../../reports/fund-statement';
import { shanghaiTime, type ReportMeta } from '../../reports/kit';
import { publishedAfter, type RenderContext, type Renderer, type ReportKind } from './publish';
import { actionLabel } from './actions';

const meta = (kind: ReportKind, ctx: RenderContext, m: Pick<ReportMeta, 'titleZh' | 'titleEn' | 'period' | 'scope'>): ReportMeta => ({
  kind, ...m, generatedAt: ctx.generatedAt, head: ctx.head,
});

export const TITLES: Record<ReportKind, [zh: string, en: string]> = {
  'fund-statement': ['基金收支报表', 'Fund statement'],
  'aid-disclosure': ['应急救助公示', 'Emergency aid disclosure'],
  'exit-progress': ['解困脱困目标进度', 'Exit-target progress'],
  'audit-attestation': ['审计链证明', 'Audit-log attestation'],
  'loan-statement': ['创业贷款对账单', 'Start-up loan statement'],
  'loan-programme': ['创业贷款计划进度', 'Start-up loan programme progress'],
  'campaign-disclosure': ['送温暖活动名单公示', 'Relief campaign disclosure'],
};

const REASON_EN: Record<string, string> = { illness: 'illness', accident: 'accident', disaster: 'disaster', education: 'education', hardship: 'hardship', other: 'other' };
const CATEGORY_LABEL: Record<string, string> = { deep: '深度困难 deep', relative: '相对困难 relative', accidental: '意外致困 accidental' };

export async function disclosureLabels(db: Db): Promise<DisclosureLabels> {
  const districts = new Map((await listDistricts(db)).map((d) => [d.code, d.nameZh]));
  return {
    district: (c) => districts.get(c) ?? c,
    reason: (c) => (REASON_ZH as Record<string, string>)[c] ?? REASON_EN[c] ?? c,
  };
}

/** The aid domain's masked rows; masked once more here (maskName is idempotent) so a public report can never carry a full name. */
export async function* disclosureRows(db: Db, q: { from: string; to: string; fund?: string }): AsyncIterable<DisclosureRow[]> {
  for await (const batch of paidCaseDisclosures(db, q)) yield batch.map((r) => ({ ...r, maskedName: maskName(r.maskedName) }));
}

async function fundLabel(db: Db, code: string | undefined) {
  if (!code) return '全部基金 All funds';
  const f = await getFund(db, code);
  if (!f) throw notFound(`fund ${code}`);
  return `${f.code} ${f.nameZh} ${f.nameEn}`;
}

export type DisclosureParams = { from: string; to: string; fund?: string };
export const aidDisclosure: Renderer<DisclosureParams> = async (p, ctx) => {
  const scope = await fundLabel(ctx.db, p.fund);
  const labels = await disclosureLabels(ctx.db);
  const summary = await summarizeDisclosures(disclosureRows(ctx.db, p), labels);
  const [titleZh, titleEn] = TITLES['aid-disclosure'];
  return renderAidDisclosure(meta('aid-disclosure', ctx, { titleZh, titleEn, period: `${p.from} 至 ${p.to}`, scope }), summary, () => disclosureRows(ctx.db, p), labels, ctx.sink, ctx.progress, ctx.aidRulesName);
};

export type FundStatementParams = { fund: string; from: string; to: string };
export const fundStatementReport: Renderer<FundStatementParams> = async (p, ctx) => {
  const fund = await getFund(ctx.db, p.fund);
  if (!fund) throw notFound(`fund ${p.fund}`);
  const st = await fundStatement(ctx.db, p.fund, p.from, p.to);
  const names = new Map((await listFunds(ctx.db)).map((f) => [f.code, f.nameZh]));
  const [titleZh, titleEn] = TITLES['fund-statement'];
  return renderFundStatement(
    meta('fund-statement', ctx, { titleZh, titleEn, period: `${p.from} 至 ${p.to}`, scope: `${fund.code} ${fund.nameZh}（含下级 with sub-funds）` }),
    { fund, funds: st.funds.map((r) => ({ ...r, nameZh: names.get(r.fund) ?? r.fund })), total: st.total, eliminatedTransfers: st.eliminatedTransfers },
    ctx.sink,
  );
};

/** The tracker's figures depend on the day, so the day is part of the parameters (a past year: its last day). */
export type ExitProgressParams = { year: number; asOf: string };
export const exitProgressParams = (year: number, today = shanghaiDate()): ExitProgressParams => ({ year, asOf: today < `${year}-12-31` ? today : `${year}-12-31` });
export const exitProgress: Renderer<ExitProgressParams> = async (p, ctx) => {
  const t = await targetProgress(ctx.db, p.year, { today: p.asOf });
  const labels = await disclosureLabels(ctx.db);
  const [titleZh, titleEn] = TITLES['exit-progress'];
  return renderExitProgress(
    meta('exit-progress', ctx, { titleZh, titleEn, period: `${p.year} 年度 year ${p.year}（截至 as of ${p.asOf}）`, scope: '全市在档困难职工 All registered hardship households' }),
    {
      ...t,
      byDistrict: t.byDistrict.map((d) => ({ ...d, label: labels.district(d.district) })),
      byCategory: t.byCategory.map((c) => ({ ...c, label: CATEGORY_LABEL[c.category] ?? c.category })),
    },
    ctx.sink,
  );
};

const SHANGHAI_MONTH = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' });

/** Every user and role change (created, roles/district changed, disabled/enabled) up to the basis, oldest first. */
async function userChangesUpTo(db: Db, basis: number): Promise<UserChangeRow[]> {
  const out: UserChangeRow[] = [];
  for (const action of USER_CHANGE_ACTIONS) {
    for (let after = 0; ; ) {
      const page = await listAuditRows(db, { action, after, limit: 500 });
      for (const r of page.items) {
        if (r.seq > basis) continue;
        const { username, what } = describeUserChange(r.action, r.privatePayload);
        out.push({ seq: r.seq, time: r.time, user: username, subject: r.subject, what, by: r.actor });
      }
      if (!page.nextCursor || page.items[page.items.length - 1]!.seq > basis) break;
      after = Number(page.nextCursor);
    }
  }
  return out.sort((a, b) => a.seq - b.seq);
}

export type AttestationParams = Record<string, never>;
export const auditAttestation: Renderer<AttestationParams> = async (_p, ctx) => {
  const basis = ctx.head.seq;
  const v = await verifyAuditChain(ctx.db);
  // State the chain as of the basis: leave out the report.published rows after it (only those can be there).
  const counts = await auditActionCounts(ctx.db);
  for (const r of await publishedAfter(ctx.db, basis)) {
    const month = SHANGHAI_MONTH.format(new Date(r.time)).slice(0, 7);
    const c = counts.find((x) => x.action === 'report.published' && x.month === month);
    if (c) c.count -= 1;
  }
  const badWithin = v.firstBadSeq !== null && v.firstBadSeq <= basis;
  const userChanges = await userChangesUpTo(ctx.db, basis);
  const [titleZh, titleEn] = TITLES['audit-attestation'];
  return renderAuditAttestation(
    meta('audit-attestation', ctx, { titleZh, titleEn, period: `审计链第 1 至 ${basis} 行 rows 1–${basis}（至 until ${shanghaiTime(new Date(ctx.head.time))}）`, scope: '整条审计链 The whole audit log' }),
    { length: basis, verification: badWithin ? { ok: false, firstBadSeq: v.firstBadSeq, problem: v.problem } : { ok: true, firstBadSeq: null, problem: null }, counts: counts.filter((c) => c.count > 0), userChanges, actionLabel },
    ctx.sink,
  );
};



