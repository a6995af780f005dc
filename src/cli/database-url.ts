import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../platform/config';
import { startEmbeddedDb } from '../platform/embedded-db';

/** Runs fn with the URL of the configured database, starting the embedded server only if it is not running. */
export async function withDatabaseUrl(config: Config, fn: (url: string) => Promise<void>) {
  if (config.databaseUrl) return fn(config.databaseUrl);
  const pidFile = path.join(config.dataDir, 'pg', 'postmaster.pid');
  const running = fs.existsSync(pidFile) && isAlive(Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]));
  if (running) {
    const password = fs.readFileSync(path.join(config.dataDir, 'pg-password'), 'utf8').trim();
    return fn(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${config.embeddedPgPort}/warmth`);
  }
  const db = await startEmbeddedDb({ dataDir: config.dataDir, port: config.embeddedPgPort, database: 'warmth' });
  try {
    await fn(db.url);
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
