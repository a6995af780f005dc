// npm run bench -- registry: the bulk import of household files (issue 18) over HTTP, as a union would send
// it: a 20,000-row .xlsx in the template's layout (half the households with members on the 家庭成员 sheet).
// 1. POST /households/imports {dryRun: true}: every row parsed and checked. Target < 10 s.
// 2. POST /households/imports: all 20,000 files stored with their events, 20,001 audit rows. Target < 30 s.
// The service runs compiled in a child process, as `npm start` runs it (bench/service-process.ts): its resident
// memory is sampled from /proc every 20 ms and its high-water mark (VmHWM) read at the end. Target < 300 MB
// (the embedded PostgreSQL is its own processes and not counted).
import * as XLSX from '@e965/xlsx';
import { idCheckChar } from '../../src/households';
import { HOUSEHOLD_COLUMNS, MAIN_SHEET, MEMBER_COLUMNS, MEMBER_SHEET } from '../../src/households/imports-parse';
import { BENCH_ADMIN, memoryOf, startServiceProcess } from '../service-process';

const ROWS = 20_000;
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '欧阳', '诸葛', '亓'];
const GIVEN = ['建国', '秀英', '志强', '丽华', '明', '伟', '芳', '军', '敏', '静'];
const DISTRICTS = [['CY', '110105'], ['HD', '110108'], ['DC', '110101'], ['XC', '110102'], ['FT', '110106']] as const;
const CATEGORIES = ['深度困难', '相对困难', '意外致困'];
const CAUSES = ['疾病', '残疾', '子女就学', '失业', '单亲', '灾害', '其他'];

/** Deterministic, distinct, valid ID numbers: region, a birth date, a serial, the GB 11643 check. */
function idNumber(i: number, area: string) {
  const birth = new Date(Date.UTC(1960, 0, 1) + (i % 12_000) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const first17 = `${area}${birth}${String(Math.floor(i / 12_000)).padStart(3, '0')}`;
  return first17 + idCheckChar(first17);
}

export function makeWorkbook(n = ROWS): Buffer {
  const cols = HOUSEHOLD_COLUMNS.filter((c) => c.key !== 'members');
  const main: (string | number)[][] = [cols.map((c) => c.zh)];
  const members: (string | number)[][] = [MEMBER_COLUMNS.map((c) => c.zh)];
  for (let i = 0; i < n; i++) {
    const [code, area] = DISTRICTS[i % DISTRICTS.length]!;
    const id = idNumber(i, area);
    const listed = i % 2 === 0 ? 1 + (i % 3) : 0;
    const row: Record<string, string | number> = {
      headName: SURNAMES[i % SURNAMES.length]! + GIVEN[i % GIVEN.length]!, idNumber: id, phone: `139${String(i).padStart(8, '0')}`, district: code,
      unionOrg: `某厂工会${i % 50}`, address: `某路${i}号`, monthlyIncome: 1000 + (i % 300) * 10 + 0.5, memberCount: listed ? listed + 1 : 1 + (i % 4),
      category: CATEGORIES[i % 3]!, cause: CAUSES[i % 7]!, otherCauses: i % 5 === 0 ? '疾病、失业' : '', notes: i % 10 === 0 ? '入户核查' : '',
    };
    main.push(cols.map((c) => row[c.key] ?? ''));
    for (let m = 0; m < listed; m++) members.push([id, `成员${m}`, m === 0 ? '配偶' : '子女', 10 + m * 20, m === 0 ? '慢性病' : '健康', '无业']);
  }
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(main), MAIN_SHEET);
  XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(members), MEMBER_SHEET);
  return XLSX.write(wb, { type: 'buffer', bookType: 'xlsx', compression: true }) as Buffer;
}

export async function run() {
  const bytes = makeWorkbook();
  const contentBase64 = bytes.toString('base64');
  const started = await startServiceProcess('warmth-bench-registry');
  let peak = 0;
  const sample = () => { peak = Math.max(peak, memoryOf(started.pid).rss); };
  try {
    const base = `${started.url}/api/v1`;
    const login = await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(BENCH_ADMIN) });
    const { token } = (await login.json()) as { token: string };
    const post = async (body: Record<string, unknown>) => {
      const t0 = performance.now();
      const res = await fetch(`${base}/households/imports`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ contentBase64, ...body }) });
      const out = (await res.json()) as Record<string, unknown>;
      const seconds = (performance.now() - t0) / 1000;
      if (res.status >= 300) throw new Error(`import answered ${res.status}: ${JSON.stringify(out).slice(0, 500)}`);
      return { seconds, out };
    };
    const before = memoryOf(started.pid).rss;
    const timer = setInterval(sample, 20);
    let pv, im, afterPreview = 0;
    try {
      pv = await post({ dryRun: true, fileName: 'bench.xlsx' });
      sample();
      afterPreview = memoryOf(started.pid).hwm;
      im = await post({ fileName: 'bench.xlsx' });
      sample();
    } finally {
      clearInterval(timer);
    }
    peak = Math.max(peak, memoryOf(started.pid).hwm);
    const list = await fetch(`${base}/households/imports/${String(im.out.importId)}?limit=1`, { headers: { authorization: `Bearer ${token}` } });
    const rec = (await list.json()) as { created: number };
    const mb = (x: number) => (x / 1024 / 1024).toFixed(0);
    console.log(`file: ${ROWS} households, ${(bytes.length / 1e6).toFixed(2)} MB .xlsx (${(contentBase64.length / 1e6).toFixed(1)} MB as base64)`);
    console.log(`preview (dryRun): ${pv.seconds.toFixed(2)} s, ${String(pv.out.valid)} valid of ${String(pv.out.rows)} (target < 10 s)`);
    console.log(`import: ${im.seconds.toFixed(2)} s, ${String(im.out.created)} files created (import ${String(im.out.importId)} lists ${rec.created}) (target < 30 s)`);
    console.log(`service process RSS: ${mb(before)} MB before, peak ${mb(afterPreview)} MB by the end of the preview, ${mb(peak)} MB by the end of the import (VmHWM) (target < 300 MB)`);
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT MET');
    console.log(`goals: preview < 10 s ${verdict(pv.seconds < 10)}, import < 30 s ${verdict(im.seconds < 30)}, peak < 300 MB ${verdict(peak < 300 * 1024 * 1024)}`);
    return { previewSeconds: pv.seconds, importSeconds: im.seconds, peakRssMb: Number(mb(peak)) };
  } finally {
    await started.stop();
  }
}
