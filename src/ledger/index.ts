// The ledger domain's public face (docs/contracts.md): other domains call only these.
export { getFund, listFunds, fundBalance, aidPaidByHousehold, bankLines, bankBalanceAsOf, fundStatement, trialBalance, statementOfActivities, financialPosition, getEntry } from './queries';
export type { BankLine, FundStatement, FundStatementRow, StatementAccountLine } from './queries';
export { postJournalEntry, createFund, recordDonation, recordAllocation, reverseEntry, closePeriod, publicDonor } from './service';
export type { Fund, Account, JournalEntry, JournalLine, EntryInput, LineInput, FundBalance, FundKind, Source } from './model';
export { ledgerRoutes } from './routes';
export { PostingBatcher, postingBatcherFor, MAX_BATCH } from './batch';
export { checkLedgerAgainstLog, ENTRY_ACTIONS, type LedgerCheck, type LedgerLogPort } from './integrity';
