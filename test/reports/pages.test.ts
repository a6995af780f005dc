// The page test: every report rendered to images (poppler's pdftoppm, kept under test-artifacts/reports/) and
// every page checked for text that overlaps other text, runs past the margin or its cell, or was cut ("…").
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { ReportWriter, PAGE, MARGIN_X, type ReportMeta, type ReportSink, type TraceEvent } from '../../reports/kit';
import { renderAidDisclosure, summarizeDisclosures, type DisclosureRow } from '../../reports/aid-disclosure';
import { renderAuditAttestation } from '../../reports/audit-attestation';
import { renderExitProgress, type ExitProgressData } from '../../reports/exit-progress';
import { renderFundStatement, type FundStatementData } from '../../reports/fund-statement';
import { maskName } from '../../src/platform/masking';
import { benchLabels } from '../../bench/reports/index';
import { ACTION_ZH, actionLabel } from '../../src/reports/actions';
import { api, userToken } from '../support/api';
import { household } from '../support/fixtures';
import { startIsolatedService, testService } from '../support/env';
import { clock } from '../../src/platform/clock';
import { DEFAULT_AID_RULES_NAME } from '../../src/platform/config';
import { getBytes, pdfText } from './support';

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/reports');
const hasTool = (t: string) => spawnSync(t, ['-v'], { stdio: 'ignore' }).error === undefined;

interface Word { page: number; text: string; xMin: number; yMin: number; xMax: number; yMax: number }

/** Every word of every page with its box, from poppler's `pdftotext -bbox-layout` (points, y down). */
function words(pdf: string): Word[] {
  const xml = execFileSync('pdftotext', ['-bbox-layout', pdf, '-'], { maxBuffer: 256 * 2 ** 20 }).toString('utf8');
  const out: Word[] = [];
  let page = 0;
  const re = /<page |<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    if (m[0] === '<page ') page += 1;
    else out.push({ page, xMin: +m[1]!, yMin: +m[2]!, xMax: +m[3]!, yMax: +m[4]!, text: m[5]!.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"') });
  }
  return out;
}

/**
 * A word's ideographic em box: poppler's box runs from the font's ascent to its descent (1.448 em for Noto
 * Sans), so lines set closer than that touch there although no ink does; the em box (0.88 em above the
 * baseline, 0.12 below) is where glyphs are drawn.
 */
function emBox(w: Word) {
  const size = (w.yMax - w.yMin) / 1.448;
  const base = w.yMin + 1.16 * size;
  return { x0: w.xMin, x1: w.xMax, y0: base - 0.88 * size, y1: base + 0.12 * size };
}

const TOL = 0.5;

/** What is wrong on the pages of one PDF file, as sentences (empty when nothing is). */
function pageProblems(pdf: string): string[] {
  const problems: string[] = [];
  const ws = words(pdf);
  const byPage = new Map<number, Word[]>();
  for (const w of ws) byPage.set(w.page, [...(byPage.get(w.page) ?? []), w]);
  for (const [page, list] of byPage) {
    for (const w of list) {
      if (w.text.includes('…')) problems.push(`p${page}: cut text "${w.text}"`);
      if (w.xMax > PAGE.width - MARGIN_X + TOL || w.xMin < MARGIN_X - 6) problems.push(`p${page}: "${w.text}" runs past the margin (${w.xMin.toFixed(1)}–${w.xMax.toFixed(1)})`);
    }
    const boxes = list.map((w) => ({ w, b: emBox(w) })).sort((a, b) => a.b.y0 - b.b.y0);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length && boxes[j]!.b.y0 < boxes[i]!.b.y1 - TOL; j++) {
        const [a, b] = [boxes[i]!, boxes[j]!];
        const dx = Math.min(a.b.x1, b.b.x1) - Math.max(a.b.x0, b.b.x0);
        const dy = Math.min(a.b.y1, b.b.y1) - Math.max(a.b.y0, b.b.y0);
        if (dx > TOL && dy > TOL) problems.push(`p${page}: "${a.w.text}" overlaps "${b.w.text}" (${dx.toFixed(1)} × ${dy.toFixed(1)} pt)`);
      }
    }
  }
  return problems;
}

/**
 * What the kit's trace shows wrong: a text cut short, wider than the box it had to fit (table cell, header
 * half, content width) or past the right margin, and a total row alone at the top of a page.
 */
function traceProblems(events: TraceEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.type === 'total-row') {
      if (e.alone) out.push(`p${e.page}: a total row stands alone at the top of the page`);
      continue;
    }
    if (e.cut) out.push(`p${e.page}: "${e.str}" was cut to "${e.drawn}"`);
    if (e.box && (e.x < e.box.x - 0.01 || e.x + e.width > e.box.x + e.box.width + 0.01)) out.push(`p${e.page}: "${e.drawn}" (${e.width.toFixed(1)} pt) runs past its cell (${e.box.width.toFixed(1)} pt)`);
    if (e.x + e.width > PAGE.width - MARGIN_X + 0.01) out.push(`p${e.page}: "${e.drawn}" runs past the right margin`);
  }
  return out;
}

/** Runs `f` with the kit's trace on, returning its events. */
async function traced<T>(f: () => Promise<T>): Promise<{ result: T; events: TraceEvent[] }> {
  const events: TraceEvent[] = [];
  ReportWriter.trace = (e) => void events.push(e);
  try {
    return { result: await f(), events };
  } finally {
    ReportWriter.trace = undefined;
  }
}

/** Writes the PDF under test-artifacts/reports/, with PNGs of its first pages and its last one. */
function keep(name: string, buf: Buffer, pages: number) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const pdf = path.join(ARTIFACTS, `${name}.pdf`);
  fs.writeFileSync(pdf, buf);
  for (const f of fs.readdirSync(ARTIFACTS)) if (f.startsWith(`${name}-`) && f.endsWith('.png')) fs.rmSync(path.join(ARTIFACTS, f));
  execFileSync('pdftoppm', ['-r', '80', '-png', '-f', '1', '-l', '3', pdf, path.join(ARTIFACTS, name)]);
  if (pages > 3) execFileSync('pdftoppm', ['-r', '80', '-png', '-f', String(pages), '-l', String(pages), pdf, path.join(ARTIFACTS, name)]);
  return pdf;
}

/** Renders with the trace on and keeps the file and its images. */
async function render(name: string, draw: (sink: ReportSink) => Promise<{ pages: number }>) {
  const chunks: Buffer[] = [];
  const { result, events } = await traced(() => draw({ write: (c) => void chunks.push(c) }));
  const pdf = keep(name, Buffer.concat(chunks), result.pages);
  return { pdf, pages: result.pages, events };
}

// ---------------------------------------------------------------- realistic data with the hard cases

const HEAD = (seq: number) => ({ seq, hash: 'c3'.repeat(32), time: '2026-11-27T09:29:50.000Z', checkpoint: { signature: 'Zm9v'.repeat(21) + 'YmE', keyId: '5f2c9a01d7e4b3a8' } });
const meta = (kind: string, titleZh: string, titleEn: string, period: string, scope: string, seq = 98_765): ReportMeta => ({
  kind, titleZh, titleEn, period, scope, generatedAt: new Date('2026-11-27T09:30:02Z'), head: HEAD(seq),
});
const LONG_FUND_ZH = '北京市温暖基金会朝阳区首钢集团困难职工子女助学及大病医疗互助专项基金（含下属各分厂工会帮扶资金）';
const LONG_FUND_EN = 'Chaoyang District Shougang Group fund for the education of hardship workers’ children and mutual aid in serious illness';
const LONG_CODE = 'WF-CY-SHOUGANG-EDU-ILLNESS-2026';
const LONG_NAMES = ['买买提江·艾力·阿卜杜热合曼', '欧阳娜娜', '爱新觉罗·溥仪', '诸葛孔明', '王小', '𠮷田'];

function disclosureRows(n: number): DisclosureRow[] {
  const out: DisclosureRow[] = [];
  for (let i = 0; i < n; i++) {
    const paid = `2026-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 27) + 2).padStart(2, '0')}`;
    const early = i % 17 === 3;
    out.push({
      caseNo: `2026-${i % 3 ? 'CY' : 'SJS'}-${String(i + 1).padStart(4, '0')}`,
      maskedName: maskName(LONG_NAMES[i % LONG_NAMES.length]!),
      district: i % 3 ? 'CY' : 'SJS',
      reason: (['illness', 'education', 'hardship', 'disaster', 'accident', 'other'] as const)[i % 6],
      approvedAmount: `${(i * 7919) % 60000 + 100}.${String(i % 100).padStart(2, '0')}`,
      paidAt: paid,
      fund: i % 4 ? 'WF-CY' : LONG_CODE,
      urgent: early,
      noticeStart: `${paid}T01:00:00.000Z`.replace(/-(\d\d)T/, (_m, d) => `-${String(Math.max(1, +d - 1)).padStart(2, '0')}T`),
      noticeEnd: `${paid}T01:00:00.000Z`,
      paidBeforeNotice: early,
      recoveryOpened: false,
    });
  }
  return out;
}

async function* inBatches(rows: DisclosureRow[], size = 50) {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

const ACTIONS = [
  'aid.approval_recorded', 'aid.approved', 'aid.cancelled', 'aid.created', 'aid.objection_dismissed', 'aid.objection_filed', 'aid.objection_upheld', 'aid.paid', 'aid.payable',
  'aid.recovery_opened', 'aid.rejected', 'aid.reviewed', 'aid.submitted', 'aid.withdrawn', 'auth.login', 'auth.logout', 'household.archived', 'household.assessed', 'household.assisted',
  'household.created', 'household.exited', 'household.returned', 'household.updated', 'ledger.allocated', 'ledger.donation_received', 'ledger.fund_bank_account_set', 'ledger.fund_created',
  'ledger.period_closed', 'ledger.posted', 'ledger.reversed', 'reconciliation.auto_matched', 'reconciliation.closed', 'reconciliation.matched', 'reconciliation.profile_created',
  'reconciliation.profile_deleted', 'reconciliation.profile_updated', 'reconciliation.statement_deleted', 'reconciliation.statement_imported', 'reconciliation.unmatched', 'report.published',
  'target.set', 'user.created', 'user.disabled', 'user.enabled', 'user.updated',
];

const attestation = (actions: string[], seq: number) => (sink: ReportSink) =>
  renderAuditAttestation(
    meta('audit-attestation', '审计链证明', 'Audit-log attestation', `审计链第 1 至 ${seq} 行 rows 1–${seq}（至 until 2026-11-27 17:29:50）`, '整条审计链 The whole audit log', seq),
    {
      length: seq,
      verification: { ok: true, firstBadSeq: null, problem: null },
      counts: ['2026-09', '2026-10', '2026-11'].flatMap((month, m) => actions.map((action, i) => ({ action, month, count: 1 + ((i * 31 + m * 7) % 400) }))),
      actionLabel,
      userChanges: Array.from({ length: 14 }, (_, i) => ({
        seq: 10 + i * 97, time: `2026-${String(9 + (i % 3)).padStart(2, '0')}-0${1 + (i % 9)}T02:0${i % 10}:00.000Z`,
        user: i % 3 ? `officer.chaoyang.district.${i}` : `finance${i}`, subject: `user:${i}`,
        what: i % 2 ? '角色 roles: officer → officer,approver（不相容职务审批 incompatible roles approved by the board）；所属区 district: CY → HD' : '创建用户 created, 角色 roles: finance',
        by: i % 4 ? 'admin' : 'security.administrator.long',
      })),
    },
    sink,
  );

const fundStatementData = (): FundStatementData => {
  const row = (fund: string, k: number) => ({
    fund, opening: `${1_000_000 + k}.00`, closing: `${1_200_000 + k}.50`, receipts: '2,345,678.00'.replace(/,/g, ''), payments: '2145678.00', totalIncome: '2300000.00', totalExpenses: '2100000.00',
    surplus: '200000.00', otherBalanceChanges: '0.50', donations: '1800000.00', aidPaid: '900000.00',
    income: [
      { account: '4101', nameZh: '捐赠收入', nameEn: 'Donation income', amount: '1800000.00' },
      { account: '4401', nameZh: '政府补助收入', nameEn: 'Government grants', amount: '300000.00' },
      { account: '4601', nameZh: '投资收益', nameEn: 'Investment income', amount: '12345.67' },
      { account: '4902', nameZh: '内部调拨收入（基金会本级及区级基金之间的资金调拨）', nameEn: 'Transfers in between funds of the foundation and of its districts', amount: '187654.33' },
    ],
    expenses: [
      { account: '5101', nameZh: '业务活动成本', nameEn: 'Programme costs', amount: '1900000.00' },
      { account: '5201', nameZh: '管理费用', nameEn: 'Administrative costs', amount: '100000.00' },
      { account: '5402', nameZh: '内部调拨支出', nameEn: 'Transfers out', amount: '100000.00' },
    ],
  });
  const codes = ['WF', 'WF-CY', LONG_CODE, 'WF-HD', 'WF-HD-ENT-01', 'WF-FT', 'WF-SJS', 'WF-TZ'];
  return {
    fund: { code: 'WF', nameZh: LONG_FUND_ZH, nameEn: LONG_FUND_EN },
    funds: codes.map((c, k) => ({ ...row(c, k), nameZh: k % 2 ? LONG_FUND_ZH : '北京市温暖基金会' })) as FundStatementData['funds'],
    total: row('WF', 0) as FundStatementData['total'],
    eliminatedTransfers: '100000.00',
  };
};

const exitData = (): ExitProgressData => ({
  year: 2026, asOf: '2026-11-27', target: 1200, exited: 1003, remaining: 197, percent: 83.6, daysLeft: 34, requiredPerWeek: 40.56, currentPerWeek: 22.5, projectedYearEnd: 1112, onTrack: false,
  byDistrict: ['DC', 'XC', 'CY', 'HD', 'FT', 'SJS', 'MTG', 'FS', 'TZ', 'SY', 'CP', 'DX', 'HR', 'PG', 'MY', 'YQ'].map((d, i) => ({ district: d, label: benchLabels.district(d), quota: i % 5 ? 75 : null, exited: 60 + i, remaining: i % 5 ? 15 - i : null, percent: i % 5 ? (60 + i) / 0.75 : null })),
  byCategory: [{ category: 'deep', label: '深度困难 deep', exited: 400 }, { category: 'relative', label: '相对困难 relative', exited: 503 }, { category: 'accidental', label: '意外致困 accidental', exited: 100 }],
  byMonth: Array.from({ length: 12 }, (_, i) => ({ month: `2026-${String(i + 1).padStart(2, '0')}`, exited: i < 11 ? 60 + ((i * 37) % 90) : 0 })),
});

describe('reports: pages rendered to images, no text over text, past its cell or cut', function () {
  this.timeout(300_000);
  before(function () {
    if (!hasTool('pdftoppm') || !hasTool('pdftotext')) {
      console.warn("    (skipped: poppler's pdftoppm/pdftotext are missing; install Debian's 'poppler-utils' to run the page test)");
      this.skip();
    }
  });

  const cases: [string, (sink: ReportSink) => Promise<{ pages: number }>][] = [
    ['aid-disclosure', async (sink) => {
      const rows = disclosureRows(140);
      const m = meta('aid-disclosure', '应急救助公示', 'Emergency aid disclosure', '2026-01-01 至 2026-12-31', `${LONG_CODE} ${LONG_FUND_ZH} ${LONG_FUND_EN}`);
      const summary = await summarizeDisclosures(inBatches(rows), benchLabels);
      return renderAidDisclosure(m, summary, () => inBatches(rows), benchLabels, sink);
    }],
    ['fund-statement', (sink) => renderFundStatement(meta('fund-statement', '基金收支报表', 'Fund statement', '2026-01-01 至 2026-11-27', `WF ${LONG_FUND_ZH}（含下级 with sub-funds）`), fundStatementData(), sink)],
    ['exit-progress', (sink) => renderExitProgress(meta('exit-progress', '解困脱困目标进度', 'Exit-target progress', '2026 年度 year 2026（截至 as of 2026-11-27）', '全市在档困难职工 All registered hardship households'), exitData(), sink)],
    ['audit-attestation', attestation(ACTIONS, 123_456)],
  ];
  for (const [name, draw] of cases) {
    it(`${name}: every page clean (PNG in test-artifacts/reports/)`, async () => {
      const { pdf, pages, events } = await render(name, draw);
      expect(pages).to.be.greaterThan(name === 'exit-progress' ? 0 : 2); // the long tables page
      expect(events.filter((e) => e.type === 'text').length).to.be.greaterThan(100);
      expect(pageProblems(pdf)).to.deep.equal([]);
      expect(traceProblems(events)).to.deep.equal([]);
    });
  }

  it('a total row always keeps at least one data row on its page, whatever the table length', async () => {
    // The attestation's first table starts on page 1 and runs onto page 2: one of these lengths puts the last
    // data row at the foot of page 1, where the total row alone would open page 2.
    let paged = 0;
    for (let n = 20; n <= ACTIONS.length; n++) {
      const { result, events } = await traced(() => attestation(ACTIONS.slice(0, n), 5000)({ write: () => undefined }));
      const totals = events.filter((e): e is Extract<TraceEvent, { type: 'total-row' }> => e.type === 'total-row');
      expect(totals, `${n} actions`).to.have.length(1);
      expect(totals[0]!.alone, `${n} actions: the total row opens page ${totals[0]!.page} alone`).to.equal(false);
      if (totals[0]!.page > 1) paged += 1;
      expect(result.pages).to.be.greaterThan(1);
    }
    expect(paged).to.be.greaterThan(0);
  });

  it('the demo data: paid cases went through a whole notice period that ended before payment (list and PDF)', async function () {
    this.timeout(300_000);
    const svc = await startIsolatedService({ DEMO_DATA: 'on', NOTICE_PERIOD: 'P7D' });
    try {
      const base = `${svc.service.url}/api/v1`;
      const list: any = await (await fetch(`${base}/public/disclosures?limit=500`)).json();
      const paid = list.items as { caseNo: string; paidAt: string; noticeStart: string | null; noticeEnd: string | null; paidBeforeNotice: boolean }[];
      expect(paid.length).to.be.greaterThan(4);
      const noticed = paid.filter((c) => !c.paidBeforeNotice);
      expect(noticed.length).to.be.greaterThan(3);
      for (const c of noticed) {
        const [start, end] = [Date.parse(c.noticeStart!), Date.parse(c.noticeEnd!)];
        expect(end - start, `${c.caseNo}: the notice lasts NOTICE_PERIOD`).to.equal(7 * 86_400_000);
        expect(new Date(end + 8 * 3600_000).toISOString().slice(0, 10) < c.paidAt, `${c.caseNo}: its notice ended before the payment day`).to.equal(true);
      }
      // The urgent case paid first: its notice runs after the payment, for the whole period too.
      for (const c of paid.filter((x) => x.paidBeforeNotice)) expect(Date.parse(c.noticeEnd!) - Date.parse(c.noticeStart!)).to.equal(7 * 86_400_000);
      // The approval's audit row names the same period as the case.
      const log: any[] = [];
      for (let cursor: string | null = '0'; cursor; ) {
        const page: any = await (await fetch(`${base}/public/log?limit=500&cursor=${cursor}`)).json();
        log.push(...page.items.filter((r: any) => r.action === 'aid.approved'));
        cursor = page.nextCursor;
      }
      for (const c of noticed) {
        const row = log.find((r: any) => r.action === 'aid.approved' && r.subject === `aid-case:${c.caseNo}`);
        expect(row?.publicPayload, c.caseNo).to.include({ noticeStart: c.noticeStart, noticeEnd: c.noticeEnd });
      }
      const year = new Date(Date.now() + 8 * 3600_000).getUTCFullYear();
      const r = await fetch(`${base}/reports/aid-disclosure.pdf?from=${year}-01-01&to=${year}-12-31`);
      expect(r.status).to.equal(200);
      const buf = Buffer.from(await r.arrayBuffer());
      const { total, text } = await pdfText(buf);
      const pdf = keep('demo-aid-disclosure', buf, total);
      expect(pageProblems(pdf)).to.deep.equal([]);
      const days = [...text.matchAll(/(\d{4}-\d\d-\d\d)~(\d\d-\d\d)/g)];
      expect(days.length).to.equal(noticed.length);
      for (const [, from, to] of days) expect(from!.slice(5), 'a notice of one day or none').not.to.equal(to);
    } finally {
      await svc.stop();
    }
  });

  describe('over HTTP, from the database: all four reports with a long fund name, a long recipient name and the real audit log', () => {
    let auditor: string, admin: string;
    let fund: string, root: string;
    const year = () => new Date(clock.now().getTime() + 8 * 3600_000).toISOString().slice(0, 4);

    before(async () => {
      const finance = (await userToken(['finance'])).token;
      const [officer, officer2, approver] = await Promise.all([userToken(['officer'], 'CY'), userToken(['officer'], 'CY'), userToken(['approver'])]).then((t) => t.map((u) => u.token));
      [auditor, admin] = await Promise.all([userToken(['auditor']), userToken(['admin'])]).then((t) => t.map((u) => u.token));
      root = `PG${Date.now().toString(36).toUpperCase().slice(-6)}`;
      fund = `${root}-CY-SHOUGANGEDU-2026`;
      for (const body of [
        { code: root, nameZh: '测试基金会', nameEn: 'Test foundation', kind: 'foundation', restricted: false },
        { code: fund, nameZh: LONG_FUND_ZH.slice(0, 50), nameEn: LONG_FUND_EN.slice(0, 100), kind: 'district', parentCode: root, district: 'CY', restricted: false },
      ]) {
        const r = await api('POST', '/funds', { token: finance, body });
        expect(r.status, r.text).to.equal(201);
      }
      const today = new Date(clock.now().getTime() + 8 * 3600_000).toISOString().slice(0, 10);
      expect((await api('POST', '/donations', { token: finance, body: { fund, amount: '90000.00', date: today, donor: { name: '爱心企业', kind: 'organization', anonymous: false } } })).status).to.equal(201);
      for (const [i, name] of ['买买提江·艾力', '欧阳娜娜'].entries()) {
        const hh = await household(officer, 'CY', name);
        const c = await api('POST', '/aid-cases', { token: officer, body: { householdId: hh, fund, reason: 'illness', description: '住院治疗', requestedAmount: `${1234 + i}.50`, urgent: false } });
        expect(c.status, c.text).to.equal(201);
        const id = c.body.id;
        expect((await api('POST', `/aid-cases/${id}/submit`, { token: officer, body: {} })).status).to.equal(200);
        expect((await api('POST', `/aid-cases/${id}/review`, { token: officer2, body: { recommendedAmount: `${1234 + i}.50` } })).status).to.equal(200);
        const ap = await api('POST', `/aid-cases/${id}/approve`, { token: approver, body: { approvedAmount: `${1234 + i}.50` } });
        expect(ap.status, ap.text).to.equal(200);
        clock.advance(3_000);
        const paid = await api('POST', `/aid-cases/${id}/disburse`, { token: finance, body: { paymentRef: `P-PG${i}`, date: today } });
        expect(paid.status, paid.text).to.equal(200);
      }
    });

    const fetchPdf = async (name: string, p: string, token?: string) => {
      const { result: r, events } = await traced(() => getBytes(p, token));
      expect(r.status, r.text.slice(0, 300)).to.equal(200);
      const { total, text } = await pdfText(r.buf);
      const pdf = keep(`http-${name}`, r.buf, total);
      expect(pageProblems(pdf)).to.deep.equal([]);
      // The service runs in this process, so the kit's trace saw the report being drawn.
      expect(events.length).to.be.greaterThan(50);
      expect(traceProblems(events)).to.deep.equal([]);
      return text;
    };

    it('aid disclosure: cites the foundation\'s rules by name, never an internal document', async () => {
      const text = await fetchPdf('aid-disclosure', `/reports/aid-disclosure.pdf?from=${year()}-01-01&to=${year()}-12-31&fund=${fund}`);
      expect(text).to.include(`《${DEFAULT_AID_RULES_NAME}》`);
      expect(text).not.to.match(/设计|DESIGN|§/);
      expect(text).to.include('/verify');
      expect(text).to.include('买*****力');
    });

    it('fund statement, exit progress', async () => {
      await fetchPdf('fund-statement', `/reports/fund-statement.pdf?fund=${root}&from=${year()}-01-01&to=${year()}-12-31`, auditor);
      await fetchPdf('exit-progress', `/reports/exit-progress.pdf?year=${year()}`, admin);
    });

    it('audit attestation: every action in the log has its Chinese name beside its code', async () => {
      const text = await fetchPdf('audit-attestation', '/reports/audit-attestation.pdf', auditor);
      const { rows } = await testService().ctx.db.raw('SELECT DISTINCT action FROM audit_log ORDER BY action');
      const actions: string[] = rows.map((r: { action: string }) => r.action);
      expect(actions).to.include.members(['ledger.posted', 'aid.paid', 'report.published']);
      expect(actions.filter((a) => !ACTION_ZH[a]), 'actions without a Chinese name in src/reports/actions.ts').to.deep.equal([]);
      expect(text.replace(/\s+/g, '')).to.include('记账凭证过账ledger.posted');
    });
  });
});
