// npm run bench [-- name …]: runs bench/<name>/index.ts for each name given, or every bench folder.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const all = fs.readdirSync(here).filter((d) => fs.existsSync(path.join(here, d, 'index.ts'))).sort();
const chosen = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of chosen.length ? chosen : all) {
  if (!all.includes(name)) throw new Error(`no benchmark ${name} (have: ${all.join(', ')})`);
  console.log(`\n=== bench/${name} ===`);
  const mod = await import(pathToFileURL(path.join(here, name, 'index.ts')).href);
  await mod.run();
}
process.exit(0);
