// npm run bench -- reports: the aid-disclosure PDF for 1k, 10k and 100k paid cases, seconds and peak RSS.
// Target (issue 6): 100k in under 10 s with peak RSS under 300 MB. The layout code is fed synthetic masked
// rows in batches of 1,000 (as the aid domain's paidCaseDisclosures gives them), so the figures are those of
// the PDF layout and streaming, not of the database; the PDF is written to a file in the temp folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { renderAidDisclosure, summarizeDisclosures, type DisclosureRow } from '../../reports/aid-disclosure';
import type { ReportMeta } from '../../reports/kit';
import { AID_REASONS as REASONS } from '../../src/aid';

const SURNAMES = [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐龑𠮷'];
const DISTRICTS = ['DC', 'XC', 'CY', 'HD', 'FT', 'SJS', 'MTG', 'FS', 'TZ', 'SY', 'CP', 'DX', 'HR', 'PG', 'MY', 'YQ'];
const DISTRICT_ZH: Record<string, string> = { DC: '东城区', XC: '西城区', CY: '朝阳区', HD: '海淀区', FT: '丰台区', SJS: '石景山区', MTG: '门头沟区', FS: '房山区', TZ: '通州区', SY: '顺义区', CP: '昌平区', DX: '大兴区', HR: '怀柔区', PG: '平谷区', MY: '密云区', YQ: '延庆区' };
const REASON_ZH: Record<string, string> = { illness: '疾病', accident: '意外', disaster: '灾害', education: '助学', hardship: '生活困难', other: '其他' };

/** Deterministic synthetic rows, made batch by batch (never all at once). */
export async function* syntheticDisclosures(n: number, batch = 1000): AsyncIterable<DisclosureRow[]> {
  for (let start = 0; start < n; start += batch) {
    const rows: DisclosureRow[] = [];
    for (let i = start; i < Math.min(n, start + batch); i++) {
      const d = DISTRICTS[i % DISTRICTS.length]!;
      const urgent = i % 23 === 0;
      const paid = `2026-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`;
      rows.push({
        caseNo: `2026-${d}-${String(i + 1).padStart(6, '0')}`,
        maskedName: `${SURNAMES[i % SURNAMES.length]}*${'明华强伟芳'[i % 5]}`,
        district: d,
        reason: REASONS[i % REASONS.length]!,
        approvedAmount: `${1000 + ((i * 37) % 19000)}.${String(i % 100).padStart(2, '0')}`,
        paidAt: paid,
        fund: `WF-${d}`,
        urgent,
        noticeStart: urgent ? null : `${paid}T02:00:00.000Z`,
        noticeEnd: urgent ? null : `${paid}T02:00:00.000Z`,
        paidBeforeNotice: urgent,
        recoveryOpened: false,
      });
    }
    yield rows;
    await new Promise((r) => setImmediate(r));
  }
}

export const benchLabels = { district: (c: string) => DISTRICT_ZH[c] ?? c, reason: (c: string) => REASON_ZH[c] ?? c };

export async function run() {
  const sizes = (process.env.BENCH_REPORT_SIZES ?? '1000,10000,100000').split(',').map(Number);
  console.log(`machine: ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, node ${process.version}`);
  for (const n of sizes) {
    const file = path.join(os.tmpdir(), `warmth-bench-disclosure-${n}.pdf`);
    const out = fs.createWriteStream(file);
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const t0 = performance.now();
    const meta: ReportMeta = {
      kind: 'aid-disclosure', titleZh: '应急救助公示', titleEn: 'Emergency aid disclosure', period: '2026-01-01 至 2026-12-31', scope: '全部基金 All funds',
      generatedAt: new Date('2026-11-25T10:00:00Z'), head: { seq: 1000, hash: 'a'.repeat(64), time: '2026-11-25T09:00:00.000Z' },
    };
    const summary = await summarizeDisclosures(syntheticDisclosures(n), benchLabels);
    const result = await renderAidDisclosure(meta, summary, () => syntheticDisclosures(n), benchLabels, {
      write: (c) => out.write(c),
      drain: () => once(out, 'drain').then(() => undefined),
    });
    out.end();
    await once(out, 'finish');
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    console.log(
      `aid-disclosure ${String(n).padStart(6)} cases: ${seconds.toFixed(2)} s, ${result.pages} pages, ${(result.bytes / 2 ** 20).toFixed(1)} MiB, ` +
        `peak RSS ${(peak / 2 ** 20).toFixed(0)} MB (process max ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB)`,
    );
    fs.rmSync(file, { force: true });
  }
}
