// npm run bench reconcile: auto-match of a 10,000-line statement against 50,000 ledger 1002 lines (the pure
// matcher of src/reconciliation/match.ts, as POST /bank-statements/:id/auto-match runs it). Target < 5 s.
import { autoMatch, type MatchableStatementLine } from '../../src/reconciliation/match';
import type { LedgerBankLine } from '../../src/reconciliation/model';
import { addDays } from '../../src/platform/clock';

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

export async function run() {
  const { statement, ledger } = makeData();
  const t0 = performance.now();
  const r = autoMatch(statement, ledger, { windowDays: 3 });
  const seconds = (performance.now() - t0) / 1000;
  const byRule = r.matches.reduce<Record<string, number>>((acc, m) => ({ ...acc, [m.rule]: (acc[m.rule] ?? 0) + 1 }), {});
  console.log(`auto-match: ${statement.length} statement lines × ${ledger.length} ledger lines in ${seconds.toFixed(3)} s (target < 5 s)`);
  console.log(`  matched ${r.matches.length} (${Object.entries(byRule).map(([k, v]) => `${k} ${v}`).join(', ')}), ambiguous ${r.ambiguous.length}, reversed left out ${r.cancelledLedgerLineIds.length}`);
  if (seconds >= 5) throw new Error(`auto-match took ${seconds.toFixed(2)} s, over the 5 s target`);
  return { seconds, matched: r.matches.length };
}
