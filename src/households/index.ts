// Households: hardship household files, income assessments, the life cycle, and the yearly exit target.
// Other domains call only what is exported here (docs/contracts.md).
export { getHouseholdSummary, createApplicantHousehold, markHouseholdAssisted } from './service';
// Beyond docs/contracts.md, used by the aid demo seed to pick files: the list as GET /households serves it.
export { listHouseholds } from './service';
export type { HouseholdQuery, HouseholdSummaryView } from './service';
export { targetProgress, getTarget } from './targets';
export type { TargetProgress } from './targets';
export { householdRoutes } from './routes';
// For the documents domain: which file a household record belongs to (the file, an assessment, an exit, a visit).
export { householdRecordOwner } from './visits';
export type { HouseholdRecordKind } from './visits';
// For the demo seeds (seeds/visits.ts, seeds/campaigns.ts): home visits and bank accounts as the API records them.
export { recordVisit, completeFollowUp } from './visits';
export type { VisitInput } from './visits';
export { setBankAccount } from './bank-account';
export { CATEGORIES, CAUSES, STATUSES, idNumberProblem, idCheckChar } from './model';
// For the campaigns domain: the files a campaign's rules pick, and bank accounts (src/households/bank-account.ts).
export { eligibleFiles, householdsWithBankAccount, bankAccountsForPayment, maskAccountNo } from './bank-account';
export type { BankAccount, EligibleFile, EligibilityFilter } from './bank-account';
export type { Category, Cause, HouseholdStatus } from './model';
