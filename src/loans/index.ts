// Worker start-up micro-loans (首都职工创业小额贷款): the loans domain's public face. Pages and PDFs call these.
export { loanRoutes, loanSettings } from './routes';
export {
  LOAN_ACCOUNTS, setProgramme, getProgramme, setPilotUnit, createProduct, listProducts, productView, createApplication, reviewLoan, approveLoan,
  refuseLoan, withdrawLoan, disburseLoan, getSchedule, payoff, recordRepayment, repayFromStatement, accrueLoanPenalties, arrearsList,
  writeOffLoan, restructureLoan, getLoan, listLoans,
} from './service';
export type { LoanSettings, NewApplication, PilotUnitInput, ProductInput, RepaymentInput, LoanQuery, ArrearsItem } from './service';
export { programmeProgress, publicProgrammeProgress } from './progress';
export { buildSchedule, scheduleCsv, addMonths, levelInstalment, METHODS, METHOD_ZH } from './schedule';
export type { Instalment, Method, ScheduleInput } from './schedule';
export { daysPastDue, bucketOf, dailyPenalty, BUCKETS, BUCKET_ZH } from './arrears';
export type { Bucket } from './arrears';
export { allocate, payoffAmount } from './allocation';
export { loanWorkflow } from './workflow';
export { LOAN_STATUSES, STATUS_ZH, PILOT_KINDS, PILOT_KIND_ZH, REFUSAL_REASONS, REFUSAL_REASON_ZH } from './model';
export type { LoanStatus, PilotKind } from './model';
