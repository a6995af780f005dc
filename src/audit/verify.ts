// GET /audit/verify and `npm run verify`: the chain (every hash, link, digest) and the books against it
// (each journal entry's lines against its audit row, maintained balances against the lines), in one snapshot.
// The ledger side lives in the ledger (src/ledger/integrity.ts); this domain lends it the audit rows.
import type { Db } from '../platform/db';
import { checkLedgerAgainstLog, type LedgerCheck, type LedgerLogPort } from '../ledger';
import { auditRowsAfter, auditRowsForSubjects, countAuditRows, inSnapshot, verifyAuditChain, type VerifyResult } from './service';

export interface FullVerifyResult extends VerifyResult {
  ledger: LedgerCheck;
}

/** The audit rows the ledger check reads, through this domain's queries. */
export const ledgerLogPort = (db: Db): LedgerLogPort => ({
  rowsForSubjects: (subjects, actions) => auditRowsForSubjects(db, subjects, actions),
  count: (actions, prefix) => countAuditRows(db, actions, prefix),
  rowsAfter: (actions, prefix, after, limit) => auditRowsAfter(db, actions, prefix, after, limit),
});

/** ok only when the chain verifies and the books agree with it. */
export async function verifyEverything(db: Db): Promise<FullVerifyResult> {
  return inSnapshot(db, async (snap) => {
    const chain = await verifyAuditChain(snap);
    const ledger = await checkLedgerAgainstLog(snap, ledgerLogPort(snap));
    const ledgerProblem = ledger.firstBadEntry
      ? `journal entry ${ledger.firstBadEntry.number || '?'}: ${ledger.firstBadEntry.problem}`
      : ledger.firstBadBalance
        ? `the maintained balance of ${ledger.firstBadBalance.account} in fund ${ledger.firstBadBalance.fund} differs from the sum of its lines`
        : null;
    // problem names the chain's first bad row first; a chain that is intact leaves room for the books' problem.
    return { ...chain, ok: chain.ok && ledger.ok, problem: chain.problem ?? ledgerProblem, ledger };
  });
}
