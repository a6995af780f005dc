// The reconciliation domain's public face. Nothing else in the service calls into it yet.
export { reconciliationRoutes } from './routes';
export { importStatement, runAutoMatch, createManualMatch, deleteMatch, reconciliationReport, closeStatement, listStatements, configureMatchWindow, getStatementLine } from './service';
export { parseStatementFile } from './parse';
// The table-file readers (CSV text in UTF-8/GBK, .xls/.xlsx by SheetJS), also used by the households import.
export { decodeTableBytes, csvRecords, spreadsheetTables, looksLikeSpreadsheet, Problems as TableFileProblems } from './parse';
export { autoMatch } from './match';
export { MAX_STATEMENT_LINES } from './model';
