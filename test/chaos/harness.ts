import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createKnex } from '../../src/platform/db';
import { startEmbeddedDb, type EmbeddedDb } from '../../src/platform/embedded-db';
import { freePort } from '../support/env';
import { validIdNumber } from '../support/fixtures';

// Crash and scale-out suites (issue 9): real service processes killed with SIGKILL, a real PostgreSQL
// killed and restarted, a load of money-moving requests with idempotency keys and client retries, then
// the invariants checked against the database itself.

export const ADMIN = { username: 'chaos-admin', password: 'Chaos-admin-pass-1' };
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export function tempDir(prefix: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

export function serviceEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    DEMO_DATA: 'off',
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    PASSWORD_HASH_ROUNDS: '4',
    NOTICE_PERIOD: 'PT1S',
    NOTICE_SWEEP_SECONDS: '0.3',
    AUDIT_SECRET: 'chaos-audit-secret-0123456789',
    DATA_KEY: 'ab'.repeat(32),
    ...extra,
  };
}

/** One service process (`node --import tsx src/server.ts`), restartable on the same port and data. */
export class ServiceProcess {
  proc?: ChildProcess;
  readonly url: string;
  constructor(readonly port: number, readonly env: NodeJS.ProcessEnv) {
    this.url = `http://127.0.0.1:${port}`;
  }
  async start() {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: ROOT, env: { ...this.env, PORT: String(this.port) }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d) => (stderr += d));
    this.proc = proc;
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`service exited with ${proc.exitCode}: ${stderr.slice(-500)}`);
      try {
        if ((await fetch(`${this.url}/health`)).status === 200) return;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`service did not become healthy: ${stderr.slice(-500)}`);
  }
  /** SIGKILL: no shutdown hooks, no connection draining — as a power cut or OOM kill would. */
  async kill() {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await gone;
  }
  async stop() {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 15_000))]);
    if (proc.exitCode === null) proc.kill('SIGKILL');
  }
}

/** A PostgreSQL the test owns (for DATABASE_URL scenarios), which it can crash and restart. */
export class Database {
  embedded?: EmbeddedDb;
  /** The superuser's URL (reading the invariants); the services get the working and owner roles' (env). */
  url = '';
  env: { DATABASE_URL: string; DATABASE_OWNER_URL: string } = { DATABASE_URL: '', DATABASE_OWNER_URL: '' };
  constructor(readonly dataDir: string, readonly port: number) {}
  async start() {
    this.embedded = await startEmbeddedDb({ dataDir: this.dataDir, port: this.port, database: 'warmth' });
    this.url = this.embedded.url;
    this.env = { DATABASE_URL: this.embedded.appUrl, DATABASE_OWNER_URL: this.embedded.ownerUrl };
  }
  /** SIGKILL the postmaster and every backend at once: a crash; the next start replays the WAL. */
  crash() {
    const pidFile = path.join(this.dataDir, 'pg', 'postmaster.pid');
    const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    let children: number[] = [];
    try {
      children = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
    } catch {
      /* no children */
    }
    for (const p of [pid, ...children]) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  async stop() {
    await this.embedded?.stop().catch(() => undefined);
  }
}

async function call(base: string, method: string, p: string, token?: string, body?: unknown, key?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (key) headers['idempotency-key'] = key;
  const res = await fetch(`${base}/api/v1${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, body: json, text };
}

/** A request retried (same key) through restarts until it gets a definite answer or the deadline passes. */
async function callWithRetry(bases: () => string[], method: string, p: string, token: string, body: unknown, key: string, deadline: number) {
  for (let attempt = 0; ; attempt++) {
    const list = bases();
    const base = list[attempt % list.length]!;
    try {
      const r = await call(base, method, p, token, body, key);
      if (r.status < 500 && r.status !== 429) return r;
    } catch {
      /* connection refused or reset: the service is restarting */
    }
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 300));
  }
}

export interface LoadResult {
  sent: Map<string, { kind: string; body: unknown }>;
  acked: Map<string, { kind: string; status: number; body: any }>;
  rejected: number;
  unknown: number;
}

export interface Fixture {
  token: string; // a finance user (finance and admin are incompatible duties)
  funds: string[];
  payableCases: number[];
}

const today = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

/** Funds with money, and aid cases approved and past their notice, ready to be disbursed under fire. */
export async function prepareFixture(base: string, cases: number): Promise<Fixture> {
  const login = async (username: string, password: string) => (await call(base, 'POST', '/auth/login', undefined, { username, password })).body.token as string;
  const admin = await login(ADMIN.username, ADMIN.password);
  const mk = async (roles: string[], district?: string) => {
    const username = `chaos-${roles.join('-')}-${crypto.randomBytes(3).toString('hex')}`;
    const r = await call(base, 'POST', '/users', admin, { username, password: 'Chaos-pass-123', displayName: username, roles, ...(district ? { district } : {}) });
    if (r.status !== 201) throw new Error(`user: ${r.text}`);
    return login(username, 'Chaos-pass-123');
  };
  const [finance, officer, officer2, approver] = [await mk(['finance']), await mk(['officer'], 'CY'), await mk(['officer'], 'CY'), await mk(['approver'])];
  const root = `X${crypto.randomBytes(2).toString('hex').toUpperCase()}`;
  const funds = [root, `${root}-CY`, `${root}-HD`, `${root}-DC`];
  await call(base, 'POST', '/funds', finance, { code: root, nameZh: '压测基金会', nameEn: 'Chaos foundation', kind: 'foundation', restricted: false });
  for (const [i, d] of ['CY', 'HD', 'DC'].entries()) {
    await call(base, 'POST', '/funds', finance, { code: funds[i + 1], nameZh: `压测${d}`, nameEn: `Chaos ${d}`, kind: 'district', parentCode: root, district: d, restricted: false });
  }
  for (const f of funds) await call(base, 'POST', '/donations', finance, { fund: f, amount: '20000.00', date: today(), donor: { name: '压测捐赠人', kind: 'organization', anonymous: false } });
  const payableCases: number[] = [];
  for (let i = 0; i < cases; i++) {
    const h = await call(base, 'POST', '/households', officer, { headName: '测试户', idNumber: validIdNumber(), phone: '13900000000', district: 'CY', unionOrg: '工会', address: '路', members: [], monthlyIncome: '1000.00', memberCount: 1, category: 'deep', causes: ['illness'] });
    if (h.status !== 201) throw new Error(`household: ${h.text}`);
    const c = await call(base, 'POST', '/aid-cases', officer, { householdId: h.body.id, fund: funds[1], reason: 'illness', description: '压测', requestedAmount: '100.00', urgent: false });
    await call(base, 'POST', `/aid-cases/${c.body.id}/submit`, officer, {});
    await call(base, 'POST', `/aid-cases/${c.body.id}/review`, officer2, { recommendedAmount: '100.00' });
    const a = await call(base, 'POST', `/aid-cases/${c.body.id}/approve`, approver, { approvedAmount: '100.00' });
    if (a.body?.status !== 'in_notice') throw new Error(`approve: ${a.text}`);
    payableCases.push(c.body.id);
  }
  await new Promise((r) => setTimeout(r, 1500)); // NOTICE_PERIOD=PT1S
  return { token: finance, funds, payableCases };
}

/** Concurrent money-moving requests with idempotency keys and retries, for `seconds`, against `bases()`. */
export async function runLoad(bases: () => string[], fx: Fixture, opts: { workers: number; seconds: number }): Promise<LoadResult> {
  const result: LoadResult = { sent: new Map(), acked: new Map(), rejected: 0, unknown: 0 };
  const stopAt = Date.now() + opts.seconds * 1000;
  const cases = [...fx.payableCases];
  const pick = <T>(xs: T[]) => xs[crypto.randomInt(xs.length)]!;
  const amount = () => `${1 + crypto.randomInt(300)}.${String(crypto.randomInt(100)).padStart(2, '0')}`;
  async function worker() {
    while (Date.now() < stopAt) {
      const key = crypto.randomUUID();
      const marker = `chaos ${key}`;
      const roll = crypto.randomInt(100);
      let kind: string, p: string, body: unknown;
      if (roll < 8 && cases.length) {
        const id = cases.shift()!;
        [kind, p, body] = ['disburse', `/aid-cases/${id}/disburse`, { paymentRef: `CH-${key.slice(0, 18)}`, date: today() }];
      } else if (roll < 40) {
        [kind, p, body] = ['donation', '/donations', { fund: pick(fx.funds), amount: amount(), date: today(), donor: { name: '压测', kind: 'organization', anonymous: false }, purpose: marker }];
      } else if (roll < 70) {
        const from = pick(fx.funds);
        [kind, p, body] = ['allocation', '/allocations', { fromFund: from, toFund: pick(fx.funds.filter((f) => f !== from)), amount: amount(), date: today(), purpose: marker }];
      } else {
        const fund = pick(fx.funds);
        const a = amount();
        [kind, p, body] = ['entry', '/journal-entries', { date: today(), description: marker, lines: [{ account: '5101', fund, debit: a }, { account: '1002', fund, credit: a }] }];
      }
      result.sent.set(key, { kind, body });
      const r = await callWithRetry(bases, 'POST', p, fx.token, body, key, stopAt + 60_000);
      if (!r) result.unknown++;
      else if (r.status < 300) result.acked.set(key, { kind, status: r.status, body: r.body });
      else result.rejected++;
    }
  }
  await Promise.all(Array.from({ length: opts.workers }, worker));
  return result;
}

export interface InvariantReport {
  checked: number;
  violations: string[];
}

/** The promises of the ledger, checked in the database itself after the storm. */
export async function checkInvariants(url: string, load: LoadResult, verify: () => Promise<any>): Promise<InvariantReport> {
  const db = createKnex(url, { min: 0, max: 2 });
  const violations: string[] = [];
  let checked = 0;
  try {
    const entries = await db('journal_entries').where('description', 'like', '%chaos %').select('id', 'number', 'description');
    const byKey = new Map<string, number>();
    for (const e of entries) {
      const m = /chaos ([0-9a-f-]{36})/.exec(e.description);
      if (!m) continue;
      byKey.set(m[1]!, (byKey.get(m[1]!) ?? 0) + 1);
      if (!load.sent.has(m[1]!)) violations.push(`entry ${e.number} was never sent`);
    }
    const paidRefs = new Map<string, number>();
    for (const c of await db('aid_cases').where('payment_ref', 'like', 'CH-%').select('payment_ref')) paidRefs.set(c.payment_ref, (paidRefs.get(c.payment_ref) ?? 0) + 1);
    for (const [key, sent] of load.sent) {
      const n = sent.kind === 'disburse' ? paidRefs.get(`CH-${key.slice(0, 18)}`) ?? 0 : byKey.get(key) ?? 0;
      checked++;
      if (load.acked.has(key) && n !== 1) violations.push(`acknowledged ${sent.kind} ${key} exists ${n} times`);
      if (!load.acked.has(key) && n > 1) violations.push(`${sent.kind} ${key} exists ${n} times`);
    }
    const unbalanced: { fund: string; d: string; c: string }[] = await db('journal_lines').select('fund').sum({ d: 'debit', c: 'credit' }).groupBy('fund').havingRaw('sum(debit) <> sum(credit)') as any;
    checked++;
    for (const u of unbalanced) violations.push(`fund ${u.fund} does not balance: ${u.d} vs ${u.c}`);
    const perEntry = await db('journal_lines').select('entry_id', 'fund').groupBy('entry_id', 'fund').havingRaw('sum(debit) <> sum(credit)');
    checked++;
    for (const u of perEntry) violations.push(`entry ${u.entry_id} does not balance in fund ${u.fund}`);
    const negative = await db('ledger_balances').whereIn('account', ['1001', '1002']).whereRaw('debit_total < credit_total');
    checked++;
    for (const n of negative) violations.push(`negative ${n.account} in fund ${n.fund}`);
    const drift = await db.raw(`
      SELECT coalesce(b.account, l.account) AS account, coalesce(b.fund, l.fund) AS fund
      FROM ledger_balances b
      FULL JOIN (SELECT account, fund, sum(debit) AS d, sum(credit) AS c FROM journal_lines GROUP BY account, fund) l
        ON l.account = b.account AND l.fund = b.fund
      WHERE coalesce(b.debit_total, 0) <> coalesce(l.d, 0) OR coalesce(b.credit_total, 0) <> coalesce(l.c, 0)`);
    checked++;
    for (const d of drift.rows) violations.push(`maintained balance of ${d.account}/${d.fund} differs from its lines`);
    const unaudited = await db('journal_entries as e')
      .whereNotExists(db('audit_log as a').whereRaw(`a.subject = 'journal-entry:' || e.number`))
      .select('e.number');
    checked++;
    for (const u of unaudited) violations.push(`entry ${u.number} has no audit row`);
    const doubled = await db('aid_case_events').where('action', 'payable').select('case_id').count('* as n').groupBy('case_id').havingRaw('count(*) > 1');
    checked++;
    for (const d of doubled) violations.push(`case ${d.case_id} became payable ${d.n} times`);
    const v = await verify();
    checked++;
    if (!v?.ok) violations.push(`audit chain: ${JSON.stringify(v)}`);
  } finally {
    await db.destroy();
  }
  return { checked, violations };
}

export async function adminVerify(base: string) {
  const login = await call(base, 'POST', '/auth/login', undefined, ADMIN);
  return (await call(base, 'GET', '/audit/verify', login.body.token)).body;
}

export { freePort };
