// npm run build: compiles the service to dist/ (tsconfig.build.json; dist/src/server.js, dist/migrations, …),
// then makes the output runnable by plain Node and copies the files the code reads beside itself.
// Plain JavaScript, so it runs before anything is compiled.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = path.join(ROOT, 'dist');
/** Written last: its time is the build's (src/cli/run.mjs compares the sources with it). */
export const STAMP = path.join(DIST, '.built');
/** What the build reads: a change to any of these makes dist/ stale. */
export const SOURCES = ['src', 'migrations', 'seeds', 'reports', 'knexfile.ts', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));

/**
 * The sources use extensionless relative imports (moduleResolution "bundler", as tsx runs them); Node's ESM
 * loader wants the file. Each relative specifier of the emitted JS gets the '.js' or '/index.js' it names.
 */
function addExtensions(file) {
  const dir = path.dirname(file);
  const fix = (spec) => {
    if (!spec.startsWith('./') && !spec.startsWith('../')) return spec;
    if (/\.(m?js|cjs|json)$/.test(spec)) return spec;
    if (fs.existsSync(path.join(dir, `${spec}.js`))) return `${spec}.js`;
    if (fs.existsSync(path.join(dir, spec, 'index.js'))) return `${spec}/index.js`;
    throw new Error(`${path.relative(ROOT, file)}: cannot resolve the import '${spec}'`);
  };
  const text = fs.readFileSync(file, 'utf8');
  const out = text
    .replace(/(\bfrom\s*|\bimport\s*)(['"])(\.{1,2}\/[^'"]*)\2/g, (_m, pre, q, spec) => `${pre}${q}${fix(spec)}${q}`)
    .replace(/(\bimport\(\s*)(['"])(\.{1,2}\/[^'"]*)\2(\s*\))/g, (_m, pre, q, spec, post) => `${pre}${q}${fix(spec)}${q}${post}`);
  if (out !== text) fs.writeFileSync(file, out);
}

/** Files other than TypeScript that the code loads relative to its own file (pages' assets, data, schemas). */
function copyAssets() {
  let n = 0;
  for (const top of ['src', 'reports', 'seeds']) {
    const from = path.join(ROOT, top);
    if (!fs.existsSync(from)) continue;
    for (const file of walk(from)) {
      if (/\.(ts|md|mjs)$/.test(file)) continue;
      const to = path.join(DIST, path.relative(ROOT, file));
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(file, to);
      n++;
    }
  }
  return n;
}

/** The newest file or folder among the sources (a folder's time changes when a file in it is added, removed or renamed). */
function newestSource() {
  let newest = { file: '', mtimeMs: 0 };
  const visit = (p) => {
    const st = fs.statSync(p);
    if (st.mtimeMs > newest.mtimeMs) newest = { file: p, mtimeMs: st.mtimeMs };
    if (st.isDirectory()) for (const name of fs.readdirSync(p)) visit(path.join(p, name));
  };
  for (const s of SOURCES) if (fs.existsSync(path.join(ROOT, s))) visit(path.join(ROOT, s));
  return newest;
}

/** Why dist/ must be built before it is run, or null. A dist/ shipped without its sources (an image) is used as it is. */
export function staleBecause() {
  if (!fs.existsSync(STAMP)) return 'dist/ is missing';
  const newest = newestSource();
  return newest.mtimeMs > fs.statSync(STAMP).mtimeMs ? `${path.relative(ROOT, newest.file)} changed since the last build` : null;
}

export function build() {
  const started = Date.now();
  let tsc;
  try {
    tsc = createRequire(path.join(ROOT, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    throw new Error('the build needs TypeScript (a devDependency): run `npm install` (without --omit=dev), or build where it is installed and ship dist/');
  }
  // A clean folder: a renamed or deleted source (a migration above all) must not live on in dist/.
  fs.rmSync(DIST, { recursive: true, force: true });
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`tsc failed (exit ${r.status ?? r.signal})`);
  const js = walk(DIST).filter((f) => f.endsWith('.js'));
  js.forEach(addExtensions);
  const assets = copyAssets();
  fs.writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  return { files: js.length, assets, ms: Date.now() - started };
}

// `node src/cli/build.mjs [--if-stale]`
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--if-stale') && !staleBecause()) process.exit(0);
  try {
    const { files, assets, ms } = build();
    console.log(`built dist/: ${files} modules, ${assets} assets in ${(ms / 1000).toFixed(1)} s`);
  } catch (e) {
    console.error(`build failed: ${e.message}`);
    process.exit(1);
  }
}
