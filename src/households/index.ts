// Households: hardship household files, income assessments, the life cycle, and the yearly exit target.
// Other domains call only what is exported here (docs/contracts.md).
export { getHouseholdSummary, createApplicantHousehold, markHouseholdAssisted } from './service';
// Beyond docs/contracts.md, used by the aid demo seed to pick files: the list as GET /households serves it.
export { listHouseholds } from './service';
export type { HouseholdQuery, HouseholdSummaryView } from './service';
export { targetProgress, getTarget } from './targets';
export type { TargetProgress } from './targets';
export { householdRoutes } from './routes';
export { CATEGORIES, CAUSES, STATUSES, idNumberProblem, idCheckChar } from './model';
export type { Category, Cause, HouseholdStatus } from './model';
