// `npm start` and the CLIs' npm scripts: runs a compiled entry of dist/ (`node src/cli/run.mjs src/server`,
// `… src/cli/verify --json`) in this very process, after building when dist/ is missing or older than the
// sources. In this process, not a child: the signals npm forwards (npm start) reach the service itself,
// and there is no second process to forward to or to leave behind. Plain JavaScript: it runs before any build.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, DIST, ROOT, staleBecause } from './build.mjs';

const [entry, ...args] = process.argv.slice(2);
if (!entry || !/^[\w/.-]+$/.test(entry)) {
  console.error('usage: node src/cli/run.mjs <entry under dist/, without .js> [arguments], e.g. src/server');
  process.exit(2);
}
const reason = staleBecause();
if (reason) {
  // stderr: a CLI's stdout (verify --json) stays its own.
  console.error(`building dist/ first (${reason}) …`);
  try {
    const { files, ms } = build();
    console.error(`built dist/: ${files} modules in ${(ms / 1000).toFixed(1)} s`);
  } catch (e) {
    console.error(`the build failed: ${e.message}`);
    process.exit(1);
  }
}
const file = path.join(DIST, `${entry}.js`);
if (!fs.existsSync(file)) {
  console.error(`no ${path.relative(ROOT, file)}: is '${entry}' a module of the service?`);
  process.exit(2);
}
// Stack traces name the TypeScript sources (dist/ has source maps).
process.setSourceMapsEnabled(true);
// The entry sees itself as the program, as with `node dist/src/cli/verify.js …`: its own argv[1] and arguments.
process.argv = [process.argv[0], file, ...args];
await import(pathToFileURL(file).href);
