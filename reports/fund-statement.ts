// 基金收支报表 Fund statement: income and expenses by account of the NPO chart (gross, one line per account),
// cash and bank receipts and payments, opening and closing — for the subtree and for each of its funds, as the
// ledger computes them (to the fen). Every figure ties to the trial balance of the same period.
import type { FundStatementRow, StatementAccountLine } from '../src/ledger';
import { ReportWriter, formatAmount, type ReportMeta, type ReportResult, type ReportSink } from './kit';

export interface FundStatementData {
  fund: { code: string; nameZh: string; nameEn: string };
  funds: (FundStatementRow & { nameZh: string })[];
  total: FundStatementRow;
  eliminatedTransfers: string;
}

/** The cash-and-bank and result lines every statement shows, in order. */
export const SUMMARY_LINES: [keyof FundStatementRow, string, string][] = [
  ['opening', '期初现金及银行存款', 'Opening cash and bank'],
  ['receipts', '本期收款', 'Receipts'],
  ['payments', '本期付款', 'Payments'],
  ['closing', '期末现金及银行存款', 'Closing cash and bank'],
  ['totalIncome', '收入合计', 'Total income'],
  ['totalExpenses', '费用合计', 'Total expenses'],
  ['surplus', '本期结余', 'Surplus for the period'],
  ['otherBalanceChanges', '其他资产负债变动', 'Changes in other assets and liabilities'],
];

function accountTable(w: ReportWriter, title: [string, string], lines: StatementAccountLine[], total: string) {
  const t = w.table([
    { zh: '科目', en: 'Account', width: 60 },
    { zh: '名称', en: 'Name', width: 250 },
    { zh: '金额（元）', en: 'Amount (CNY)', width: 140, align: 'right' },
  ]);
  const rows = lines.length ? lines.map((l) => [l.account, `${l.nameZh} ${l.nameEn}`, formatAmount(l.amount)]) : [['', '本期无发生额 No movement', formatAmount('0.00')]];
  t.rowsWithTotal(rows, ['', `${title[0]} ${title[1]}`, formatAmount(total)]);
  t.end();
}

function statement(w: ReportWriter, r: FundStatementRow) {
  w.keyValues(SUMMARY_LINES.map(([k, zh, en]) => [zh, en, formatAmount(r[k] as string)]));
  accountTable(w, ['收入合计', 'Total income'], r.income, r.totalIncome);
  accountTable(w, ['费用合计', 'Total expenses'], r.expenses, r.totalExpenses);
}

export async function renderFundStatement(meta: ReportMeta, d: FundStatementData, sink: ReportSink): Promise<ReportResult> {
  const w = new ReportWriter(meta).pipeTo(sink);
  w.heading(`${d.fund.nameZh}（含下级基金）`, `${d.fund.nameEn} and its sub-funds`);
  w.paragraph('金额单位：元。收入与费用按《民间非营利组织会计制度》科目逐项列示，不相互抵销；各科目金额等于同期科目余额表中该科目期末与期初之差。期初、期末为现金（1001）与银行存款（1002）余额，期末 = 期初 + 本期收款 − 本期付款。', 8.5);
  w.paragraph('Amounts in CNY. Income and expenses are shown gross, one line per account of the NPO chart, never netted; each equals the change of that account in the trial balance over the period. Opening and closing are cash (1001) plus bank (1002); closing = opening + receipts − payments.', 7.5, '#555555');
  w.heading('子树合计', 'Subtree total');
  w.paragraph(`子树内部基金之间的调拨已抵销：${formatAmount(d.eliminatedTransfers)} 元（内部调拨收入、内部调拨支出及收付款中均已扣除）。`, 8.5);
  w.paragraph(`Allocations between funds of the subtree are eliminated: CNY ${formatAmount(d.eliminatedTransfers)} (taken out of transfers in, transfers out, receipts and payments).`, 7.5, '#555555');
  statement(w, d.total);
  for (const f of d.funds) {
    w.heading(`${f.fund} ${f.nameZh}`, 'Fund');
    statement(w, f);
  }
  return w.finish();
}
