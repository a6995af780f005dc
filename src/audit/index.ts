// The audit domain's public face: other domains append through appendAudit inside their own transaction.
export { appendAudit, auditHead, verifyAuditChain, auditActionCounts, configureAuditSecret, listPublicLog } from './service';
export type { AuditEntry, VerifyResult } from './service';
export { auditRoutes } from './routes';
export { chainHash, privateDigestOf, GENESIS_HASH } from './chain';
