// The reconciliation domain's public face. Nothing else in the service calls into it yet.
export { reconciliationRoutes } from './routes';
export { importStatement, runAutoMatch, createManualMatch, deleteMatch, reconciliationReport, closeStatement, listStatements, configureMatchWindow } from './service';
export { parseStatementFile } from './parse';
export { autoMatch } from './match';
export { MAX_STATEMENT_LINES } from './model';
