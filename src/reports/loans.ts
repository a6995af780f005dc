// The two start-up loan PDFs (issue 20): a borrower's loan statement (officers, finance, auditors of the loan's
// scope; the borrower masked as every report masks) and the programme report (public: programme totals only).
// Data through the loans domain's index.ts inside the publisher's snapshot; layout in reports/loans.ts.
import type { Request, RequestHandler, Response, Router } from 'express';
import Joi from 'joi';
import type { SessionUser } from '../auth';
import { defineRoute, type AppContext } from '../http/route';
import { BUCKET_ZH, METHOD_ZH, bucketOf, PILOT_KIND_ZH, STATUS_ZH, daysPastDue, getLoan, getSchedule, loanSettings, programmeProgress, type LoanSettings } from '../loans';
import { shanghaiDate } from '../platform/clock';
import { maskName } from '../platform/masking';
import { Decimal, money, sum } from '../platform/money';
import type { ReportMeta } from '../../reports/kit';
import { renderLoanProgramme, renderLoanStatement, type LoanStatementData } from '../../reports/loans';
import type { RenderContext, Renderer, ReportKind } from './publish';
import { TITLES } from './renderers';

const meta = (kind: ReportKind, ctx: RenderContext, m: Pick<ReportMeta, 'period' | 'scope'>): ReportMeta => {
  const [titleZh, titleEn] = TITLES[kind];
  return { kind, titleZh, titleEn, ...m, generatedAt: ctx.generatedAt, head: ctx.head };
};

/** The day is part of the parameters (days past due and the tracker depend on it); a past year: its last day. */
const asOfFor = (year: number, today = shanghaiDate()) => (today < `${year}-12-31` ? today : `${year}-12-31`);

/**
 * The statement reads the loan as a city-wide auditor would: in scope and masked (name with its first and last
 * character, ID number with its first six and last four). Who may ask for it is checked by the route.
 */
const MASKED_READER: SessionUser = { id: 0, username: 'report', displayName: 'report', roles: ['auditor'], district: null };

export type LoanStatementParams = { loan: number; asOf: string };
export const loanStatementReport = (settings: LoanSettings): Renderer<LoanStatementParams> => async (p, ctx) => {
  const l = await getLoan(ctx.db, MASKED_READER, p.loan, settings);
  const s = l.disbursedDate ? await getSchedule(ctx.db, MASKED_READER, p.loan) : null;
  const owed = (s?.instalments ?? []).map((i) => ({ dueDate: i.dueDate, outstanding: i.outstanding }));
  const dpd = l.status === 'active' ? daysPastDue(owed, p.asOf) : 0;
  const overdue = l.status === 'active' ? sum(owed.filter((i) => i.dueDate < p.asOf).map((i) => i.outstanding)) : new Decimal(0);
  const bucket = l.status === 'active' ? bucketLabel(dpd) : '—';
  const total = (k: 'amount' | 'penalty' | 'interest' | 'principal' | 'subsidy') => money(sum(l.repayments.map((r) => r[k])));
  const col = (k: 'paidPrincipal' | 'paidInterest' | 'outstanding') => money(sum((s?.instalments ?? []).map((i) => i[k])));
  const data: LoanStatementData = {
    loanNo: l.loanNo, status: `${STATUS_ZH[l.status]} ${l.status.replace('_', ' ')}`,
    maskedName: maskName(l.borrower.maskedName), maskedIdNumber: l.borrower.idNumber,
    pilotUnit: `${l.pilotUnit.nameZh}（${PILOT_KIND_ZH[l.pilotUnit.kind]}）`, product: `${l.product.code} ${l.product.nameZh}`,
    method: `${METHOD_ZH[l.product.method]} ${l.product.method.replace('_', ' ')}${l.product.graceMonths ? `，宽限 ${l.product.graceMonths} 个月 grace months` : ''}`,
    annualRate: l.product.annualRate, subsidyPercent: l.product.subsidyPercent, penaltyRate: l.product.penaltyRate,
    requestedAmount: l.requestedAmount, approvedAmount: l.approvedAmount, termMonths: l.termMonths,
    disbursedDate: l.disbursedDate, closedDate: l.closedDate, asOf: p.asOf,
    principalOutstanding: l.principalOutstanding, penaltyOutstanding: l.penaltyOutstanding, penaltyPaid: l.penaltyPaid, writtenOff: l.writtenOff,
    overdue: money(overdue), daysPastDue: dpd, bucket,
    schedule: s && {
      version: s.version, rows: s.instalments,
      totals: { ...s.totals, paidPrincipal: col('paidPrincipal'), paidInterest: col('paidInterest'), outstanding: col('outstanding') },
    },
    repayments: l.repayments.map((r) => ({ date: r.date, amount: r.amount, penalty: r.penalty, interest: r.interest, principal: r.principal, subsidy: r.subsidy, entry: r.entry })),
    repaid: { amount: total('amount'), penalty: total('penalty'), interest: total('interest'), principal: total('principal'), subsidy: total('subsidy') },
  };
  return renderLoanStatement(
    meta('loan-statement', ctx, { period: `截至 as of ${p.asOf}`, scope: `贷款 Loan ${l.loanNo} · ${data.pilotUnit}` }),
    data,
    ctx.sink,
  );
};

function bucketLabel(dpd: number) {
  const b = bucketOf(dpd);
  return `${BUCKET_ZH[b]} ${b === 'over_90' ? 'over 90 days' : b === 'current' ? 'current' : `${b} days`}`;
}

export type LoanProgrammeParams = { year: number; asOf: string };
export const loanProgrammeParams = (year: number, today = shanghaiDate()): LoanProgrammeParams => ({ year, asOf: asOfFor(year, today) });
export const loanProgrammeReport: Renderer<LoanProgrammeParams> = async (p, ctx) => {
  const d = await programmeProgress(ctx.db, p.year, p.asOf);
  return renderLoanProgramme(
    meta('loan-programme', ctx, { period: `${p.year} 年度 year ${p.year}（截至 as of ${p.asOf}）`, scope: '首都职工创业小额贷款计划 Worker start-up micro-loan programme' }),
    // Programme totals and pilot units (organisations) only: nothing of any borrower or single loan.
    { ...d, pilotUnits: d.pilotUnits.map((u) => ({ nameZh: u.nameZh, kindZh: u.kindZh, quota: u.quota, lent: u.lent, loans: u.loans, shareOfQuota: u.shareOfQuota })) },
    ctx.sink,
  );
};

type Send = <P extends Record<string, unknown>>(app: AppContext, res: Response, kind: ReportKind, params: P, render: Renderer<P>, actor: string) => Promise<void>;
const pdfDoc = { responses: { 200: { description: 'The PDF', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } } } };

/** The two PDF routes, registered by reportRoutes with its sender (stream + publish) and its public rate limit. */
export function loanReportRoutes(r: Router, app: AppContext, send: Send, publicLimit: RequestHandler) {
  const settings = loanSettings(app);
  defineRoute<unknown, { loan: number }>(r, app, {
    method: 'get', path: '/reports/loan-statement.pdf', tag: 'reports', access: ['officer', 'finance', 'auditor'], produces: 'application/pdf',
    summary: 'A borrower’s loan statement PDF (贷款对账单): terms, balance, arrears, schedule and repayments, the borrower masked; for the loan’s district (404 outside it); published to the audit log',
    query: Joi.object({ loan: Joi.number().integer().min(1).max(2147483647).required() }),
    openapi: pdfDoc,
    handler: async ({ res, query, user }) => {
      await getLoan(app.db, user!, query.loan, settings); // 404 outside the user's scope, before any byte
      await send(app, res, 'loan-statement', { loan: query.loan, asOf: shanghaiDate() }, loanStatementReport(settings), user!.username);
    },
  });
  r.get('/reports/loan-programme.pdf', (req: Request, res: Response, next) => (req.user ? next() : publicLimit(req, res, next)));
  defineRoute<unknown, { year: number }>(r, app, {
    method: 'get', path: '/reports/loan-programme.pdf', tag: 'reports', access: 'public', produces: 'application/pdf',
    summary: 'Start-up loan programme PDF (创业贷款计划进度): progress to the target by month and pilot unit, PAR30/PAR90, repayment rate; programme totals only, no borrower; published to the audit log',
    query: Joi.object({ year: Joi.number().integer().min(2000).max(2099).required() }),
    openapi: pdfDoc,
    handler: async ({ res, query, user }) => {
      await send(app, res, 'loan-programme', loanProgrammeParams(query.year), loanProgrammeReport, user?.username ?? 'public');
    },
  });
}
