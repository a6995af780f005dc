// npm run bench reconcile:
// 1. auto-match of a 10,000-line statement against 50,000 ledger 1002 lines (the pure matcher of
//    src/reconciliation/match.ts, as POST /bank-statements/:id/auto-match runs it). Target < 5 s.
// 2. import (parse + store + audit, importStatement in one transaction) of a 20,000-line statement on the
//    embedded PostgreSQL: a GBK CSV in the ICBC layout (preamble, padded cells, newest first, footer) and
//    the same lines as an .xlsx. Target < 5 s each.
import fs from 'node:fs';
import iconv from 'iconv-lite';
import * as XLSX from '@e965/xlsx';
import { createFund } from '../../src/ledger';
import { importStatement } from '../../src/reconciliation/service';
import { parseStatementFile } from '../../src/reconciliation/parse';
import { autoMatch, type MatchableStatementLine } from '../../src/reconciliation/match';
import type { LedgerBankLine } from '../../src/reconciliation/model';
import { addDays } from '../../src/platform/clock';
import { startBenchService } from '../support';

/** Deterministic pseudo-random numbers, so every run matches the same data. */
function rng(seed: number) {
  return () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeData(statementLines = 10_000, ledgerLines = 50_000) {
  const rand = rng(42);
  const ledger: LedgerBankLine[] = [];
  // Amounts drawn from a small set of round figures too (stipends of 500.00, fees): many same-amount traps.
  const amount = () => (rand() < 0.3 ? ['500.00', '1000.00', '-500.00', '-1500.00', '-12.50'][Math.floor(rand() * 5)]! : ((rand() < 0.5 ? -1 : 1) * (1 + Math.floor(rand() * 5_000_000)) / 100).toFixed(2));
  for (let i = 1; i <= ledgerLines; i++) {
    const caseNo = rand() < 0.2 ? `2026-CY-${String(i).padStart(5, '0')}` : null;
    ledger.push({
      lineId: i, entryId: i, entryNumber: `2026-${String(i).padStart(6, '0')}`, date: addDays('2026-01-01', Math.floor(rand() * 365)),
      amount: amount(), description: caseNo ? `救助款 ${caseNo}` : '付款', memo: null, sourceRef: caseNo, reversed: rand() < 0.01,
    });
  }
  const statement: MatchableStatementLine[] = [];
  for (let i = 1; i <= statementLines; i++) {
    const l = ledger[Math.floor(rand() * ledger.length)]!;
    const shift = Math.floor(rand() * 4);
    statement.push({ id: i, date: addDays(l.date, shift), amount: l.amount, description: l.sourceRef && rand() < 0.7 ? `救助款 ${l.sourceRef}` : '转账', reference: `B${i}` });
  }
  return { statement, ledger };
}

/** A 20,000-line month as ICBC exports it (newest first) and as an .xlsx; closing balance. */
export function makeImportFiles(n = 20_000) {
  const rand = rng(7);
  let balance = 1_000_000;
  const moves: { date: string; amount: number; balance: number }[] = [];
  for (let i = 0; i < n; i++) {
    const amount = (rand() < 0.5 ? -1 : 1) * (1 + Math.floor(rand() * 200_000)) / 100;
    balance = Math.round((balance + amount) * 100) / 100;
    moves.push({ date: addDays('2026-01-01', Math.floor((i * 31) / n)), amount, balance });
  }
  const pad = (s: string) => `${s}${' '.repeat(Math.max(1, 20 - s.length))}\t`;
  const money = (x: number) => Math.abs(x).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const rows = [...moves].reverse().map((m, i) => [
    `${m.date}     \t`, `"${pad('网转')}"`, `"${pad('')}"`, `"${pad('手机银行')}"`, `"${pad('CHN')}"`, '钞        \t', `"${pad('-')}"`, `"${pad('-')}"`, '-              \t',
    `"${pad(m.amount > 0 ? money(m.amount) : '')}"`, `"${pad(m.amount < 0 ? money(m.amount) : '')}"`, '人民币         \t', `"${pad(money(m.balance))}"`, `"${pad(`张三${i % 100}`)}"`, `"${pad('6222****1234')}"`, '',
  ].join(','));
  const csv = ['明细查询文件下载', '', '卡号: 6222****1234,"卡别名: "', '',
    '交易日期,摘要,交易详情,交易场所,交易国家或地区简称,钞/汇,交易金额(收入),交易金额(支出),交易币种,记账金额(收入),记账金额(支出),记账币种,余额,对方户名,对方账户',
    ...rows, '人民币合计,,,,,,,,,,,'].join('\r\n');
  const ws = XLSX.utils.aoa_to_sheet([['交易日期', '摘要', '收入', '支出', '余额', '对方户名'], ...moves.map((m, i) => [m.date, '网转', m.amount > 0 ? m.amount : '', m.amount < 0 ? -m.amount : '', m.balance, `张三${i % 100}`])]);
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, ws, 'Sheet1');
  return {
    header: { periodFrom: '2026-01-01', periodTo: '2026-01-31', openingBalance: '1000000.00', closingBalance: balance.toFixed(2) },
    gbk: iconv.encode(csv, 'gbk'),
    xlsx: XLSX.write(wb, { type: 'buffer', bookType: 'xlsx' }) as Buffer,
  };
}

async function benchImport() {
  const { svc, dir } = await startBenchService('warmth-bench-recon');
  const out: Record<string, number> = {};
  try {
    const db = svc.ctx.db;
    await db.transaction(async (trx) => {
      await createFund(trx, 'bench', { code: 'RB', nameZh: '压测基金会', nameEn: 'Bench foundation', kind: 'foundation' });
      await createFund(trx, 'bench', { code: 'RB-1', nameZh: '压测1', nameEn: 'Bench 1', kind: 'district', parentCode: 'RB', district: 'CY' });
      await createFund(trx, 'bench', { code: 'RB-2', nameZh: '压测2', nameEn: 'Bench 2', kind: 'district', parentCode: 'RB', district: 'CY' });
    });
    const f = makeImportFiles();
    for (const [name, fund, format, bytes] of [['GBK CSV (ICBC layout, newest first)', 'RB-1', 'csv', f.gbk], ['XLSX', 'RB-2', 'xlsx', f.xlsx]] as const) {
      const input = { fund, ...f.header, format, contentBase64: bytes.toString('base64') } as const;
      const p0 = performance.now();
      const parsed = parseStatementFile(input);
      const parseSeconds = (performance.now() - p0) / 1000;
      const t0 = performance.now();
      const st = await db.transaction((trx) => importStatement(trx, 'bench', input));
      const seconds = (performance.now() - t0) / 1000;
      console.log(`import: ${st.lineCount} lines, ${name}, ${(bytes.length / 1e6).toFixed(1)} MB: ${seconds.toFixed(3)} s parse + store + audit (parse alone ${parseSeconds.toFixed(3)} s, ${parsed.lines.length} lines) (target < 5 s)`);
      if (seconds >= 5) throw new Error(`the import took ${seconds.toFixed(2)} s, over the 5 s target`);
      out[format] = seconds;
    }
  } finally {
    await svc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export async function run() {
  const imports = await benchImport();
  const { statement, ledger } = makeData();
  const t0 = performance.now();
  const r = autoMatch(statement, ledger, { windowDays: 3 });
  const seconds = (performance.now() - t0) / 1000;
  const byRule = r.matches.reduce<Record<string, number>>((acc, m) => ({ ...acc, [m.rule]: (acc[m.rule] ?? 0) + 1 }), {});
  console.log(`auto-match: ${statement.length} statement lines × ${ledger.length} ledger lines in ${seconds.toFixed(3)} s (target < 5 s)`);
  console.log(`  matched ${r.matches.length} (${Object.entries(byRule).map(([k, v]) => `${k} ${v}`).join(', ')}), ambiguous ${r.ambiguous.length}, reversed left out ${r.cancelledLedgerLineIds.length}`);
  if (seconds >= 5) throw new Error(`auto-match took ${seconds.toFixed(2)} s, over the 5 s target`);
  return { seconds, matched: r.matches.length, imports };
}
