import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { Database, ServiceProcess, adminVerify, checkInvariants, freePort, prepareFixture, runLoad, serviceEnv, tempDir, type LoadResult } from './harness';

// `npm test` runs a reduced storm; `npm run chaos` (CHAOS_SECONDS, CHAOS_KILLS, CHAOS_WORKERS) a long one.
const SECONDS = Number(process.env.CHAOS_SECONDS ?? 8);
const KILLS = Number(process.env.CHAOS_KILLS ?? 2);
const WORKERS = Number(process.env.CHAOS_WORKERS ?? 6);

function envWithout(key: string, env: NodeJS.ProcessEnv) {
  const copy = { ...env };
  delete copy[key];
  return copy;
}

/** Kills (and restarts) at random moments while the load runs. */
async function killer(kills: number, seconds: number, fault: () => Promise<void>) {
  let done = 0;
  for (let i = 0; i < kills; i++) {
    await new Promise((r) => setTimeout(r, ((seconds * 1000) / (kills + 1)) * (0.5 + Math.random())));
    await fault();
    done++;
  }
  return done;
}

function report(name: string, load: LoadResult, faults: number, inv: { checked: number; violations: string[] }) {
  console.log(`      ${name}: requests sent ${load.sent.size}, acknowledged ${load.acked.size}, refused ${load.rejected}, unanswered ${load.unknown}; faults injected ${faults}; invariants checked ${inv.checked}; violations ${inv.violations.length}`);
}

describe('crash and scale-out suites', function () {
  this.timeout(600_000);
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanup.length) await cleanup.pop()!().catch(() => undefined);
  });

  it('service killed with SIGKILL under load (embedded PostgreSQL left running each time): nothing lost, nothing doubled', async () => {
    const dataDir = tempDir('warmth-chaos-');
    const pgPort = await freePort();
    const svc = new ServiceProcess(await freePort(), envWithout('DATABASE_URL', serviceEnv({ DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort) })));
    cleanup.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }), () => svc.stop());
    await svc.start();
    const fx = await prepareFixture(svc.url, 4);
    const [load, faults] = await Promise.all([
      runLoad(() => [svc.url], fx, { workers: WORKERS, seconds: SECONDS }),
      killer(KILLS, SECONDS, async () => {
        await svc.kill();
        await svc.start();
      }),
    ]);
    const password = fs.readFileSync(path.join(dataDir, 'pg-password'), 'utf8').trim();
    const inv = await checkInvariants(`postgres://postgres:${password}@127.0.0.1:${pgPort}/warmth`, load, () => adminVerify(svc.url));
    report('service kills', load, faults, inv);
    expect(inv.violations).to.deep.equal([]);
    expect(load.acked.size).to.be.greaterThan(10);
  });

  it('database server killed and restarted under load: the service recovers, nothing lost, nothing doubled', async () => {
    const dataDir = tempDir('warmth-chaos-db-');
    const db = new Database(dataDir, await freePort());
    await db.start();
    const svc = new ServiceProcess(await freePort(), serviceEnv({ ...db.env, DATA_DIR: dataDir }));
    cleanup.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }), () => db.stop(), () => svc.stop());
    await svc.start();
    const fx = await prepareFixture(svc.url, 4);
    const [load, faults] = await Promise.all([
      runLoad(() => [svc.url], fx, { workers: WORKERS, seconds: SECONDS }),
      killer(KILLS, SECONDS, async () => {
        db.crash();
        await new Promise((r) => setTimeout(r, 300));
        await db.start();
      }),
    ]);
    const inv = await checkInvariants(db.url, load, () => adminVerify(svc.url));
    report('database kills', load, faults, inv);
    expect(inv.violations).to.deep.equal([]);
    expect(load.acked.size).to.be.greaterThan(10);
  });

  it('two instances on one database under the same load: same invariants, scheduled work runs once', async () => {
    const dataDir = tempDir('warmth-scale-');
    const db = new Database(dataDir, await freePort());
    await db.start();
    const a = new ServiceProcess(await freePort(), serviceEnv({ ...db.env, DATA_DIR: dataDir }));
    const b = new ServiceProcess(await freePort(), serviceEnv({ ...db.env, DATA_DIR: dataDir }));
    cleanup.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }), () => db.stop(), () => a.stop(), () => b.stop());
    await a.start();
    await b.start();
    const fx = await prepareFixture(a.url, 6);
    const load = await runLoad(() => [a.url, b.url], fx, { workers: WORKERS, seconds: SECONDS });
    const inv = await checkInvariants(db.url, load, () => adminVerify(b.url));
    report('two instances', load, 0, inv);
    expect(inv.violations).to.deep.equal([]);
    expect(load.unknown).to.equal(0);
  });
});
