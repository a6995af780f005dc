// 创业贷款 Start-up loans: a borrower's loan statement (贷款对账单: terms, balance, arrears, schedule, repayments;
// the borrower masked) and the programme report (创业贷款计划进度: the target, lent by month and pilot unit,
// PAR30/PAR90, repayment rate; no borrower at all). Layout only: the data come from src/reports/loans.ts.
import { ReportWriter, formatAmount, type ReportMeta, type ReportResult, type ReportSink } from './kit';

const pct = (ratio: string) => `${(Number(ratio) * 100).toFixed(2)}%`;

export interface LoanStatementData {
  loanNo: string;
  status: string; // label
  maskedName: string;
  maskedIdNumber: string;
  pilotUnit: string;
  product: string;
  method: string; // label
  annualRate: string;
  subsidyPercent: string;
  penaltyRate: string;
  requestedAmount: string;
  approvedAmount: string | null;
  termMonths: number;
  disbursedDate: string | null;
  closedDate: string | null;
  asOf: string;
  principalOutstanding: string;
  penaltyOutstanding: string;
  penaltyPaid: string;
  writtenOff: string;
  overdue: string;
  daysPastDue: number;
  bucket: string; // label
  schedule: { version: number; rows: { no: number; dueDate: string; principal: string; interest: string; subsidy: string; borrowerInterest: string; paidPrincipal: string; paidInterest: string; outstanding: string }[]; totals: { principal: string; interest: string; subsidy: string; borrowerInterest: string; paidPrincipal: string; paidInterest: string; outstanding: string } } | null;
  repayments: { date: string; amount: string; penalty: string; interest: string; principal: string; subsidy: string; entry: string }[];
  repaid: { amount: string; penalty: string; interest: string; principal: string; subsidy: string };
}

export async function renderLoanStatement(meta: ReportMeta, d: LoanStatementData, sink: ReportSink): Promise<ReportResult> {
  const w = new ReportWriter(meta).pipeTo(sink);
  w.heading('借款人与贷款', 'Borrower and loan');
  w.keyValues([
    ['贷款编号', 'Loan number', d.loanNo],
    ['借款人（已脱敏）', 'Borrower (masked)', d.maskedName],
    ['身份证号（已脱敏）', 'ID number (masked)', d.maskedIdNumber],
    ['试点单位', 'Pilot unit', d.pilotUnit],
    ['贷款产品', 'Product', d.product],
    ['还款方式', 'Repayment method', d.method],
    ['年利率 / 贴息比例', 'Annual rate / subsidy share', `${d.annualRate}% / ${d.subsidyPercent}%`],
    ['罚息年利率', 'Penalty rate (annual)', `${d.penaltyRate}%`],
    ['申请金额（元）', 'Requested (CNY)', formatAmount(d.requestedAmount)],
    ['批准金额（元）', 'Approved (CNY)', d.approvedAmount === null ? '—' : formatAmount(d.approvedAmount)],
    ['期限（月）', 'Term (months)', String(d.termMonths)],
    ['放款日期', 'Disbursed on', d.disbursedDate ?? '尚未放款 Not disbursed'],
    ['状态', 'Status', d.status],
    ...(d.closedDate ? [['结清/核销日期', 'Closed on', d.closedDate] as [string, string, string]] : []),
  ]);
  w.heading('余额与逾期', 'Balance and arrears');
  w.keyValues([
    ['本金余额（元）', 'Principal outstanding (CNY)', formatAmount(d.principalOutstanding)],
    ['逾期金额（元）', 'Overdue (CNY)', formatAmount(d.overdue)],
    ['逾期天数', 'Days past due', String(d.daysPastDue)],
    ['账龄段', 'Ageing bucket', d.bucket],
    ['未还罚息（元）', 'Penalty owed (CNY)', formatAmount(d.penaltyOutstanding)],
    ['已还罚息（元）', 'Penalty paid (CNY)', formatAmount(d.penaltyPaid)],
    ['已核销本金（元）', 'Written off (CNY)', formatAmount(d.writtenOff)],
    ['统计截至', 'As of (Asia/Shanghai)', d.asOf],
  ]);
  w.heading('还款计划', d.schedule ? `Repayment schedule (version ${d.schedule.version})` : 'Repayment schedule');
  if (!d.schedule) {
    w.paragraph('尚未放款，没有还款计划。 Not disbursed: no schedule yet.');
  } else {
    const t = w.table([
      { zh: '期次', en: 'No.', width: 30, align: 'right' },
      { zh: '到期日', en: 'Due', width: 60 },
      { zh: '本金', en: 'Principal', width: 58, align: 'right' },
      { zh: '利息', en: 'Interest', width: 52, align: 'right' },
      { zh: '贴息', en: 'Subsidy', width: 50, align: 'right' },
      { zh: '借款人利息', en: 'Borrower int.', width: 58, align: 'right' },
      { zh: '已还本金', en: 'Paid princ.', width: 60, align: 'right' },
      { zh: '已还利息', en: 'Paid int.', width: 54, align: 'right' },
      { zh: '未还', en: 'Owed', width: 60, align: 'right' },
    ]);
    const s = d.schedule;
    t.rowsWithTotal(
      s.rows.map((r) => [String(r.no), r.dueDate, formatAmount(r.principal), formatAmount(r.interest), formatAmount(r.subsidy), formatAmount(r.borrowerInterest), formatAmount(r.paidPrincipal), formatAmount(r.paidInterest), formatAmount(r.outstanding)]),
      ['', '合计 Total', formatAmount(s.totals.principal), formatAmount(s.totals.interest), formatAmount(s.totals.subsidy), formatAmount(s.totals.borrowerInterest), formatAmount(s.totals.paidPrincipal), formatAmount(s.totals.paidInterest), formatAmount(s.totals.outstanding)],
    );
    t.end();
    w.paragraph('贴息由基金承担；借款人利息 = 利息 − 贴息。未还 = 未还本金 + 未还借款人利息（提前结清减免的利息不计）。 The fund pays the subsidy; the borrower owes interest less subsidy. Owed excludes interest waived on early payoff.', 7.5, '#555555');
  }
  w.heading('还款记录', 'Repayments (allocated penalty → interest → principal)');
  const r = w.table([
    { zh: '日期', en: 'Date', width: 62 },
    { zh: '金额', en: 'Amount', width: 70, align: 'right' },
    { zh: '罚息', en: 'Penalty', width: 58, align: 'right' },
    { zh: '利息', en: 'Interest', width: 62, align: 'right' },
    { zh: '本金', en: 'Principal', width: 70, align: 'right' },
    { zh: '贴息', en: 'Subsidy', width: 58, align: 'right' },
    { zh: '凭证号', en: 'Entry', width: 120 },
  ]);
  const rows = d.repayments.map((x) => [x.date, formatAmount(x.amount), formatAmount(x.penalty), formatAmount(x.interest), formatAmount(x.principal), formatAmount(x.subsidy), x.entry]);
  r.rowsWithTotal(rows.length ? rows : [['', '', '', '', '', '', '暂无还款 None yet']], ['合计 Total', formatAmount(d.repaid.amount), formatAmount(d.repaid.penalty), formatAmount(d.repaid.interest), formatAmount(d.repaid.principal), formatAmount(d.repaid.subsidy), '']);
  r.end();
  return w.finish();
}

export interface LoanProgrammeData {
  year: number;
  asOf: string;
  target: string;
  lent: string;
  loans: number;
  shareOfTarget: string;
  months: { month: string; lent: string; loans: number; cumulative: string; cumulativeShareOfTarget: string }[];
  pilotUnits: { nameZh: string; kindZh: string; quota: string; lent: string; loans: number; shareOfQuota: string }[];
  portfolio: { activeLoans: number; principalOutstanding: string; par30: string; par90: string; par30Amount: string; par90Amount: string };
  repayment: { due: string; repaid: string; rate: string };
}

export async function renderLoanProgramme(meta: ReportMeta, d: LoanProgrammeData, sink: ReportSink): Promise<ReportResult> {
  const w = new ReportWriter(meta).pipeTo(sink);
  w.heading('目标进度', 'Progress to the target');
  w.keyValues([
    ['年度发放目标（元）', 'Target lent in the year (CNY)', formatAmount(d.target)],
    ['已发放（元）', 'Lent (CNY)', formatAmount(d.lent)],
    ['发放笔数', 'Loans disbursed', String(d.loans)],
    ['完成率', 'Share of the target', pct(d.shareOfTarget)],
    ['统计截至', 'As of (Asia/Shanghai)', d.asOf],
  ]);
  w.heading('贷款质量', 'Portfolio quality');
  w.keyValues([
    ['在贷笔数', 'Active loans', String(d.portfolio.activeLoans)],
    ['在贷本金余额（元）', 'Principal outstanding (CNY)', formatAmount(d.portfolio.principalOutstanding)],
    ['PAR30 风险贷款率', 'Portfolio at risk > 30 days', `${pct(d.portfolio.par30)}（${formatAmount(d.portfolio.par30Amount)} 元）`],
    ['PAR90 风险贷款率', 'Portfolio at risk > 90 days', `${pct(d.portfolio.par90)}（${formatAmount(d.portfolio.par90Amount)} 元）`],
    ['到期应还（元）', 'Fallen due (CNY)', formatAmount(d.repayment.due)],
    ['实际已还（元）', 'Repaid of it (CNY)', formatAmount(d.repayment.repaid)],
    ['还款率', 'Repayment rate', pct(d.repayment.rate)],
  ]);
  w.paragraph('PAR30/PAR90：逾期超过 30/90 天的在贷贷款本金余额 ÷ 全部在贷本金余额。还款率：截至统计日已到期的本金与借款人利息中已偿还的比例。本报告只含计划汇总数，不含任何借款人信息。 PAR = principal outstanding of active loans more than 30/90 days past due ÷ all principal outstanding. Repayment rate = repaid ÷ fallen due (principal and borrower interest). Programme totals only: no borrower appears in this report.', 7.5, '#555555');
  w.heading('按月发放（万元）', 'Lent by month (CNY 10,000)');
  const monthly = Number(d.target) / 12 / 10000;
  w.barChart({
    labels: d.months.map((m) => `${Number(m.month.slice(5))}月`),
    values: d.months.map((m) => Number(m.lent) / 10000),
    target: { value: monthly, label: `月均目标 ${monthly.toFixed(1)} 万元 monthly pace` },
  });
  const m = w.table([
    { zh: '月份', en: 'Month', width: 70 },
    { zh: '发放金额（元）', en: 'Lent (CNY)', width: 120, align: 'right' },
    { zh: '笔数', en: 'Loans', width: 60, align: 'right' },
    { zh: '累计（元）', en: 'Cumulative (CNY)', width: 130, align: 'right' },
    { zh: '累计占目标', en: 'Of target', width: 90, align: 'right' },
  ]);
  m.rowsWithTotal(
    d.months.map((x) => [x.month, formatAmount(x.lent), String(x.loans), formatAmount(x.cumulative), pct(x.cumulativeShareOfTarget)]),
    ['合计 Total', formatAmount(d.lent), String(d.loans), formatAmount(d.lent), pct(d.shareOfTarget)],
  );
  m.end();
  w.heading('按试点单位（对照额度）', 'By pilot unit, against quota');
  const u = w.table([
    { zh: '试点单位', en: 'Pilot unit', width: 150 },
    { zh: '类型', en: 'Kind', width: 90 },
    { zh: '额度（元）', en: 'Quota (CNY)', width: 90, align: 'right' },
    { zh: '已发放（元）', en: 'Lent (CNY)', width: 90, align: 'right' },
    { zh: '笔数', en: 'Loans', width: 40, align: 'right' },
    { zh: '占额度', en: 'Of quota', width: 50, align: 'right' },
  ]);
  const units = d.pilotUnits.map((x) => [x.nameZh, x.kindZh, formatAmount(x.quota), formatAmount(x.lent), String(x.loans), pct(x.shareOfQuota)]);
  if (units.length) u.rowsWithTotal(units, ['合计 Total', '', '', formatAmount(d.lent), String(d.loans), '']);
  else u.row(['尚未设立试点单位 No pilot units yet', '', '', '', '', '']);
  u.end();
  return w.finish();
}
