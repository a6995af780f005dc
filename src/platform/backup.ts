import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** pg_dump/pg_restore of Debian's postgresql-client (15, the embedded server's major version). */
async function tool(name: 'pg_dump' | 'pg_restore', args: string[]) {
  try {
    return await run(name, args, { maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new Error(`${name} is not installed: apt-get install postgresql-client`);
    throw new Error(`${name} failed: ${err.stderr?.trim() || err.message}`);
  }
}

/** A consistent snapshot (pg_dump runs in one repeatable-read transaction) in the custom format. */
export async function backupDatabase(url: string, file: string) {
  await tool('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--file=${file}`, `--dbname=${url}`]);
}

/** Loads a dump into an empty database; refuses one that already holds tables, so nothing is overwritten. */
export async function restoreDatabase(url: string, file: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`);
    if (rows[0].n > 0) throw new Error('the target database is not empty: restore only into a new, empty database');
  } finally {
    await client.end();
  }
  await tool('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', `--dbname=${url}`, file]);
}
