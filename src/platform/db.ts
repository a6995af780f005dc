import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Business dates stay 'YYYY-MM-DD' strings (no time zone shift); counters fit in a JS number.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type Db = Knex | Knex.Transaction;

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

/** Loads the TypeScript migrations through the running loader (tsx), in file-name order. */
class TsMigrationSource implements Knex.MigrationSource<string> {
  async getMigrations() {
    return fs.readdirSync(MIGRATIONS_DIR).filter((f) => /^\d.*\.ts$/.test(f)).sort();
  }
  getMigrationName(name: string) {
    return name;
  }
  async getMigration(name: string) {
    return import(pathToFileURL(path.join(MIGRATIONS_DIR, name)).href);
  }
}

export function createKnex(url: string, pool = { min: 0, max: 20 }, statementTimeoutMs = 30_000): Knex {
  return knexFactory({
    client: 'pg',
    // A runaway statement is cancelled (the request gets an error, its transaction rolls back).
    connection: { connectionString: url, application_name: 'warmth-ledger', statement_timeout: statementTimeoutMs },
    pool,
    // Fail fast (503) when the database is away instead of queueing requests for a minute.
    acquireConnectionTimeout: 10_000,
    migrations: { migrationSource: new TsMigrationSource(), tableName: 'knex_migrations' },
  });
}

export async function migrateToLatest(db: Knex) {
  await db.migrate.latest();
}
