// Emergency aid (应急救助): cases, tiers, maker-checker, public notice and objections, disbursement.
export { aidRoutes } from './routes';
export { noticeBoardTimeline, paidCaseDisclosures, sweepNoticePeriods } from './service';
// For the documents domain: who may see a case's papers (its district, its tier).
export { caseScope, householdHasCaseAboveDistrictTier } from './service';
export type { Disclosure } from './service';
export { AID_REASONS, REASON_ZH } from './model';
