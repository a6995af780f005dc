// npm run backup [-- --out file.dump]: a consistent pg_dump of the configured database, as its owner
// (DATABASE_OWNER_URL, else DATABASE_URL; or the embedded one's owner role: the embedded server is reused if the
// service is running, started for the dump otherwise).
import path from 'node:path';
import fs from 'node:fs';
import { loadConfig } from '../platform/config';
import { backupDatabase } from '../platform/backup';
import { withDatabaseUrl } from './database-url';

const args = process.argv.slice(2);
const outArg = args.indexOf('--out');
const config = loadConfig();
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const file = path.resolve(outArg >= 0 ? args[outArg + 1]! : path.join(config.dataDir, 'backups', `warmth-${stamp}.dump`));
fs.mkdirSync(path.dirname(file), { recursive: true });
await withDatabaseUrl(config, (url) => backupDatabase(url, file));
console.log(`backup written: ${file} (${fs.statSync(file).size} bytes)`);
