import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/platform/free-port';

// Issue 19: the service started as the README says (`npm start`) stops on SIGTERM or SIGINT sent to the
// outermost process, npm: requests in progress finish, nothing is left running, no port stays open; a second
// signal stops at once. Linux only (reads /proc).

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pid and start time (field 22 of /proc/pid/stat) of every process under `root`, root included. */
function processTree(root: number): Map<number, string> {
  const parent = new Map<number, number>();
  const started = new Map<number, string>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(fields[1]));
      started.set(Number(name), fields[19]!);
    } catch {
      // gone meanwhile
    }
  }
  const tree = new Map<number, string>();
  const visit = (pid: number) => {
    tree.set(pid, started.get(pid) ?? '');
    for (const [child, p] of parent) if (p === pid && !tree.has(child)) visit(child);
  };
  visit(root);
  return tree;
}

/** Those of the processes still running (same pid and start time: not a reused pid). */
function stillRunning(tree: Map<number, string>): number[] {
  return [...tree].filter(([pid, start]) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] === start;
    } catch {
      return false;
    }
  }).map(([pid]) => pid);
}

/** Processes whose command line names the folder (the postmaster runs with -D <DATA_DIR>/pg). */
function processesNaming(folder: string): number[] {
  return fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).filter((n) => {
    try {
      return fs.readFileSync(`/proc/${n}/cmdline`, 'utf8').includes(folder);
    } catch {
      return false;
    }
  }).map(Number);
}

const portOpen = (port: number) => new Promise<boolean>((resolve) => {
  const s = net.connect(port, '127.0.0.1');
  s.once('connect', () => (s.destroy(), resolve(true)));
  s.once('error', () => resolve(false));
});

interface Started {
  npm: ChildProcess;
  ports: { service: number; pg: number; metrics: number };
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `npm start` as the README has it, on free ports, with its data in `dataDir`; resolves once it answers. */
async function npmStart(dataDir: string, extraEnv: Record<string, string> = {}): Promise<Started> {
  const ports = { service: await freePort(), pg: await freePort(), metrics: await freePort() };
  const env: Record<string, string | undefined> = {
    ...process.env, PORT: String(ports.service), HOST: '127.0.0.1', DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(ports.pg), METRICS_PORT: String(ports.metrics),
    DEMO_DATA: 'off', LOG_LEVEL: 'info', PASSWORD_HASH_ROUNDS: '4', ...extraEnv,
  };
  delete env.DATABASE_URL;
  delete env.DATABASE_OWNER_URL;
  delete env.REPORTS_DATABASE_URL;
  const npm = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  npm.stdout!.on('data', (d) => (out += d));
  npm.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => npm.once('exit', (code, signal) => r({ code, signal })));
  for (let i = 0; i < 600; i++) {
    const r = await fetch(`http://127.0.0.1:${ports.service}/health/ready`).catch(() => undefined);
    if (r?.status === 200) return { npm, ports, output: () => out, exited };
    if (npm.exitCode !== null) break;
    await sleep(250);
  }
  npm.kill('SIGKILL');
  throw new Error(`npm start did not become ready:\n${out.slice(-3000)}`);
}

/** A request whose body is still arriving: in progress until `finish` sends the rest; resolves to the status line. */
function slowRequest(port: number) {
  const body = JSON.stringify({ username: 'nobody-signals', password: 'not-the-password' });
  const socket = net.connect(port, '127.0.0.1');
  let answer = '';
  socket.on('data', (d) => (answer += d));
  const ended = new Promise<string>((resolve) => {
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
    socket.on('error', () => undefined);
  });
  const opened = new Promise<void>((r) => socket.once('connect', () => r()));
  return {
    async start() {
      await opened;
      socket.write(`POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body.slice(0, 10)}`);
    },
    finish: () => socket.write(body.slice(10)),
    ended,
  };
}

async function expectAllGone(s: Started, tree: Map<number, string>, dataDir: string) {
  expect(stillRunning(tree), `processes of npm start still running:\n${s.output().slice(-2000)}`).to.deep.equal([]);
  expect(processesNaming(dataDir), 'a process still names the data folder').to.deep.equal([]);
  expect(fs.existsSync(path.join(dataDir, 'pg', 'postmaster.pid')), 'postmaster.pid left').to.equal(false);
  for (const [name, port] of Object.entries(s.ports)) expect(await portOpen(port), `${name} port ${port} still open`).to.equal(false);
}

describe('ops: signals to npm start', function () {
  this.timeout(240_000);
  let dataDir: string;

  before(function () {
    this.timeout(600_000);
    // Build once (when the sources changed); every start below reuses dist/.
    const r = spawnSync(process.execPath, ['src/cli/build.mjs', '--if-stale'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`the build failed: ${r.stdout}${r.stderr}`);
    // In /tmp, so the 'postgres' user can reach it when tests run as root; kept between the starts (one initdb).
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'warmth-signals-'));
    fs.chmodSync(dataDir, 0o755);
  });
  after(() => {
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('SIGTERM to npm: no new connections, the request in progress is answered, then everything stops', async () => {
    const s = await npmStart(dataDir);
    const tree = processTree(s.npm.pid!);
    expect(tree.size, 'npm, the service and PostgreSQL').to.be.at.least(3);
    expect(processesNaming(dataDir).length, 'the embedded PostgreSQL of DATA_DIR runs').to.be.greaterThan(0);
    expect((await fetch(`http://127.0.0.1:${s.ports.metrics}/metrics`)).status, 'METRICS_PORT listener').to.equal(200);

    const inFlight = slowRequest(s.ports.service);
    await inFlight.start();
    await sleep(200);
    s.npm.kill('SIGTERM');
    await sleep(700);
    expect(await portOpen(s.ports.service), 'new connections are refused while stopping').to.equal(false);
    expect(stillRunning(tree).length, 'still finishing the request in progress').to.be.greaterThan(0);
    inFlight.finish();
    expect(await inFlight.ended).to.equal('HTTP/1.1 401 Unauthorized');

    const exit = await s.exited;
    expect(exit, s.output().slice(-2000)).to.deep.equal({ code: 0, signal: null });
    expect(s.output()).to.include('"msg":"stopped"');
    await expectAllGone(s, tree, dataDir);
  });

  it('SIGINT to npm (Ctrl-C sent to npm alone) stops it the same way', async () => {
    const s = await npmStart(dataDir);
    const tree = processTree(s.npm.pid!);
    s.npm.kill('SIGINT');
    const exit = await s.exited;
    expect(exit, s.output().slice(-2000)).to.deep.equal({ code: 0, signal: null });
    await expectAllGone(s, tree, dataDir);
  });

  it('a second signal stops at once, without waiting out SHUTDOWN_GRACE_SECONDS for a request that does not finish', async () => {
    const s = await npmStart(dataDir, { SHUTDOWN_GRACE_SECONDS: '120' });
    const tree = processTree(s.npm.pid!);
    const hanging = slowRequest(s.ports.service);
    await hanging.start();
    await sleep(200);
    s.npm.kill('SIGTERM');
    await sleep(1500);
    expect(stillRunning(tree).length, 'the first signal waits for the request').to.be.greaterThan(0);
    const second = Date.now();
    s.npm.kill('SIGTERM');
    const exit = await s.exited;
    expect(Date.now() - second, 'stopped at once').to.be.below(15_000);
    expect(exit.code, s.output().slice(-2000)).to.not.equal(0);
    expect(await hanging.ended, 'the hanging request was cut').to.equal('');
    await expectAllGone(s, tree, dataDir);
  });
});
