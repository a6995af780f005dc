import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../platform/config';
import { OWNER_ROLE, startEmbeddedDb } from '../platform/embedded-db';

/**
 * Runs fn with the owner's URL of the configured database (DATABASE_OWNER_URL, else DATABASE_URL; for the
 * embedded server its owner role), starting the embedded server only if it is not running. Backups read
 * every table and restores create them: both are the owner's work, never the service's working role.
 */
export async function withDatabaseUrl(config: Config, fn: (url: string) => Promise<void>) {
  if (config.databaseUrl) return fn(config.databaseOwnerUrl ?? config.databaseUrl);
  const pidFile = path.join(config.dataDir, 'pg', 'postmaster.pid');
  const running = fs.existsSync(pidFile) && isAlive(Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]));
  const ownerPasswordFile = path.join(config.dataDir, 'pg-owner-password');
  if (running && fs.existsSync(ownerPasswordFile)) {
    const password = fs.readFileSync(ownerPasswordFile, 'utf8').trim();
    return fn(`postgres://${OWNER_ROLE}:${encodeURIComponent(password)}@127.0.0.1:${config.embeddedPgPort}/warmth`);
  }
  if (running) {
    // A server started by an earlier version, before the roles existed: its superuser.
    const password = fs.readFileSync(path.join(config.dataDir, 'pg-password'), 'utf8').trim();
    return fn(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${config.embeddedPgPort}/warmth`);
  }
  const db = await startEmbeddedDb({ dataDir: config.dataDir, port: config.embeddedPgPort, database: 'warmth' });
  try {
    await fn(db.ownerUrl);
  } finally {
    await db.stop();
  }
}

function isAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
