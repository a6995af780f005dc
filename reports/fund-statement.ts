// 基金收支报表 Fund statement: opening, donations, allocations in and out, aid paid, other income and
// expenses, closing — per fund of the subtree and for the subtree, as the ledger computes them (to the fen).
import type { FundStatementRow } from '../src/ledger';
import { ReportWriter, formatAmount, type ReportMeta, type ReportResult, type ReportSink } from './kit';

export type FundStatementRowData = FundStatementRow;

export interface FundStatementData {
  fund: { code: string; nameZh: string; nameEn: string };
  funds: (FundStatementRowData & { nameZh: string })[];
  total: FundStatementRowData;
}

export const STATEMENT_LINES: [keyof Omit<FundStatementRowData, 'fund'>, string, string][] = [
  ['opening', '期初余额', 'Opening balance (cash + bank)'],
  ['donations', '捐赠收入', 'Donations'],
  ['allocationsIn', '调入', 'Allocations in'],
  ['allocationsOut', '调出', 'Allocations out'],
  ['aidPaid', '救助支付', 'Aid paid'],
  ['otherIncome', '其他收入', 'Other income'],
  ['otherExpenses', '其他支出', 'Other expenses'],
  ['closing', '期末余额', 'Closing balance (cash + bank)'],
];

export async function renderFundStatement(meta: ReportMeta, d: FundStatementData, sink: ReportSink): Promise<ReportResult> {
  const w = new ReportWriter(meta).pipeTo(sink);
  w.heading(`${d.fund.nameZh}（含下级基金）`, `${d.fund.nameEn} and its sub-funds`);
  w.paragraph('金额单位：元。期初、期末为现金（1001）与银行存款（1002）余额；子树合计中，子树内部的调拨相互抵销。', 8.5);
  w.paragraph('Amounts in CNY. Opening and closing are cash (1001) plus bank (1002); in the subtree total, allocations between its own funds cancel.', 7.5, '#555555');
  const t = w.table([
    { zh: '项目', en: 'Line', width: 250 },
    { zh: '子树合计（元）', en: 'Subtree total (CNY)', width: 160, align: 'right' },
  ]);
  for (const [k, zh, en] of STATEMENT_LINES) t.row([`${zh} ${en}`, formatAmount(d.total[k])], { bold: k === 'closing' || k === 'opening' });
  t.end();

  w.heading('各基金明细', 'Per fund');
  const cols = [
    { zh: '基金', en: 'Fund', width: 75 },
    ...STATEMENT_LINES.map(([, zh, en]) => ({ zh, en: en.replace(' (cash + bank)', ''), width: 54.5, align: 'right' as const })),
  ];
  const pf = w.table(cols, { rowHeight: 22, size: 7 });
  for (const f of d.funds) {
    pf.row([f.fund, ...STATEMENT_LINES.map(([k]) => formatAmount(f[k]))], { shade: false });
  }
  pf.end();
  w.heading('基金名称', 'Fund names');
  const names = w.table([
    { zh: '代码', en: 'Code', width: 100 },
    { zh: '名称', en: 'Name', width: 330 },
  ]);
  for (const f of d.funds) names.row([f.fund, f.nameZh]);
  names.end();
  return w.finish();
}
