// npm run restore -- file.dump [--url postgres://…/emptydb]: loads a backup into an empty database
// (default: the configured one, which must then be empty — e.g. a new DATA_DIR or a new database). It restores
// as the owner (DATABASE_OWNER_URL, or the embedded owner role), so the restored tables belong to the owner and
// the service's next start grants its working role what it needs.
import { loadConfig } from '../platform/config';
import { restoreDatabase } from '../platform/backup';
import { withDatabaseUrl } from './database-url';

const args = process.argv.slice(2);
const urlArg = args.indexOf('--url');
const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--url');
if (!file) {
  console.error('usage: npm run restore -- <file.dump> [--url postgres://…]');
  process.exit(2);
}
const config = loadConfig();
if (urlArg >= 0) await restoreDatabase(args[urlArg + 1]!, file);
else await withDatabaseUrl(config, (url) => restoreDatabase(url, file));
console.log(`restored ${file}`);
