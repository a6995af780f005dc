// The reports domain's public face: PDF transparency reports, their publication in the audit log, open data.
export { reportRoutes, isPublicPeriod } from './routes';
export { publishReport, verifyReport, reportBasis, REPORT_KINDS } from './publish';
export type { Publication, ReportKind, Renderer } from './publish';
export { aidDisclosure, auditAttestation, exitProgress, exitProgressParams, fundStatementReport, TITLES } from './renderers';
export { exportGrants, grantOf } from './open-data';
export { loanProgrammeParams, loanProgrammeReport, loanStatementReport } from './loans';
export { campaignDisclosureReport } from './campaign-disclosure';
export { ACTION_ZH } from './actions';
