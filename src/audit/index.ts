// The audit domain's public face: other domains append through appendAudit inside their own transaction.
export { appendAudit, appendAuditBatch, auditHead, verifyAuditChain, auditActionCounts, configureAuditSecret, listPublicLog, headCheckpoint } from './service';
export type { AuditEntry, VerifyResult, PublicLogItem, LockedAuditHead } from './service';
export { verifyEverything, type FullVerifyResult } from './verify';
export { configureSigningKey, signCheckpoint, signingKeyInfo, verifyCheckpoint, checkpointNote, parsePublicKey, EMPTY_CHAIN_TIME } from './checkpoint';
export type { Checkpoint, CheckpointHead, PublicKeyInfo } from './checkpoint';
// The audit rows of given actions with their private payloads (the attestation's user and role changes).
export { listAuditRows } from './service';
export { auditRoutes } from './routes';
export { chainHash, privateDigestOf, GENESIS_HASH, HASH_VERSION } from './chain';
export type { ChainRow, HashVersion } from './chain';
