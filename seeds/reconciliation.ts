// Demo reconciliation for the district fund WF-CY (reads the ledger's demo data through its index.ts):
// a bank statement per complete month of this year, auto-matched and closed, and the last complete month
// left open with a bank fee not yet booked and a payment still in transit, for finance to resolve.
import type { Knex } from 'knex';
import { addDays, shanghaiDate } from '../src/platform/clock';
import { Decimal, money } from '../src/platform/money';
import { bankBalanceAsOf, bankLines, getFund } from '../src/ledger';
import { closeStatement, createManualMatch, importStatement, reconciliationReport, runAutoMatch } from '../src/reconciliation/service';

const ACTOR = 'finance';
const FUND = 'WF-CY';

const monthEnd = (month: string) => new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0)).toISOString().slice(0, 10);
const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export async function seedReconciliation(trx: Knex.Transaction) {
  if (!(await getFund(trx, FUND))) return;
  const today = shanghaiDate();
  const year = today.slice(0, 4);
  const months: string[] = [];
  for (let m = 1; m < Number(today.slice(5, 7)); m++) months.push(`${year}-${String(m).padStart(2, '0')}`);
  let opening = new Decimal(await bankBalanceAsOf(trx, FUND, addDays(`${year}-01-01`, -1)));
  for (const [i, month] of months.entries()) {
    const from = `${month}-01`;
    const to = monthEnd(month);
    const ledger = (await bankLines(trx, FUND, from, to)).filter((l) => !l.reversed);
    const last = i === months.length - 1;
    // The open month: the last payment out is still in transit, and the bank charged a fee not yet booked.
    const transit = last ? [...ledger].reverse().find((l) => new Decimal(l.amount).lt(0)) : undefined;
    const rows = ledger.filter((l) => l !== transit).map((l, n) => ({ date: l.date, amount: l.amount, description: l.description, reference: `BK${l.date.replace(/-/g, '')}${String(n + 1).padStart(4, '0')}` }));
    if (last) rows.push({ date: to, amount: '-15.00', description: '手续费 bank charge', reference: `BK${to.replace(/-/g, '')}FEE` });
    if (rows.length === 0) continue;
    let running = opening;
    const lines = ['date,description,reference,amount,balance'];
    for (const r of rows) {
      running = running.plus(r.amount);
      lines.push([r.date, csvCell(r.description), r.reference, r.amount, running.toFixed(2)].join(','));
    }
    const statement = await importStatement(trx, ACTOR, { fund: FUND, periodFrom: from, periodTo: to, openingBalance: money(opening), closingBalance: money(running), format: 'csv', content: lines.join('\n') });
    await runAutoMatch(trx, ACTOR, statement.id, { windowDays: 3 });
    opening = running;
    if (last) continue;
    // What auto-match left (same amounts on nearby days) a person would pair; the demo pairs them in order.
    const report = await reconciliationReport(trx, statement.id);
    const pool = [...report.unmatchedLedgerLines];
    for (const s of report.unmatchedStatementLines) {
      const k = pool.findIndex((l) => l.amount === s.amount);
      if (k < 0) continue;
      await createManualMatch(trx, ACTOR, { statementLineIds: [s.id], ledgerLineIds: [pool[k]!.id], note: '演示数据 demo: same amount, paired by hand' });
      pool.splice(k, 1);
    }
    if ((await reconciliationReport(trx, statement.id)).canClose) await closeStatement(trx, ACTOR, statement.id);
  }
}
