// The service as operators run it (`npm start`: the compiled build with its heap settings, no tsx), in a child
// process on a fresh embedded PostgreSQL in a temp folder, so a benchmark measures the service's own memory
// (VmRSS / VmHWM of that process; PostgreSQL is its own processes and not counted) without its client's.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/platform/free-port';
import { OWNER_ROLE } from '../src/platform/embedded-db';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BENCH_ADMIN = { username: 'bench-admin', password: 'Bench-admin-pass-1' };
export const BENCH_DATA_KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';

/** Resident memory of a process now and at its peak (VmRSS, VmHWM of /proc/<pid>/status), in bytes. */
export function memoryOf(pid: number) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** The heap settings `npm start` gives the service (package.json's start script, SERVICE_HEAP_MB honoured). */
export function startHeapFlags(): string[] {
  const start = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  return (start.match(/--max-[a-z-]+=\S+/g) ?? []).map((f) => f.replace(/\$\{SERVICE_HEAP_MB:-(\d+)\}/, (_m, d: string) => process.env.SERVICE_HEAP_MB ?? d));
}

export async function startServiceProcess(prefix: string, extraEnv: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  fs.chmodSync(dir, 0o755);
  const [port, pgPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env, DATA_DIR: dir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DEMO_DATA: 'off',
    ADMIN_USERNAME: BENCH_ADMIN.username, ADMIN_PASSWORD: BENCH_ADMIN.password, PASSWORD_HASH_ROUNDS: '4',
    EMBEDDED_PG_PORT: String(pgPort), AUDIT_SECRET: 'bench-audit-secret-0123456789', DATA_KEY: BENCH_DATA_KEY, ...extraEnv,
  };
  delete env.DATABASE_URL;
  const flags = [...startHeapFlags(), ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean)];
  const child = spawn(process.execPath, [...flags, 'src/cli/run.mjs', 'src/server'], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000; // the first start may build dist/
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the bench service stopped (${child.exitCode})`);
    if (Date.now() > deadline) throw new Error('the bench service did not answer /health/ready');
    const ok = await fetch(`${url}/health/ready`).then((r) => r.status === 200, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const pid = child.pid!;
  return {
    url,
    pid,
    dir,
    memory: () => memoryOf(pid),
    /** The embedded server's owner role (for benchmarks that load rows straight into tables). */
    ownerUrl: () => `postgres://${OWNER_ROLE}:${fs.readFileSync(path.join(dir, 'pg-owner-password'), 'utf8').trim()}@127.0.0.1:${pgPort}/warmth`,
    async stop() {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 20_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
