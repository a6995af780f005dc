// npm run bench -- campaigns: a relief campaign over 10,000 households (issue 17): the roll built, paid through
// the ledger's batch path (one entry per household), the bank file of 10,000 lines (CSV and XLSX), and the
// peak RSS of the service, run compiled in a child process as `npm start` runs it (bench/service-process.ts).
// Targets, printed not asserted: roll < 3 s, payment < 10 s, bank file < 2 s, peak < 300 MB.
// The 10,000 files are inserted straight into the table (with sealed ID numbers and bank accounts), so the
// figures are those of the campaign, not of 10,000 POST /households.
import crypto from 'node:crypto';
import os from 'node:os';
import knexFactory from 'knex';
import { configureDataKey, encryptPersonal } from '../../src/platform/personal-data';
import { BENCH_ADMIN, BENCH_DATA_KEY, startServiceProcess } from '../service-process';

const N = Number(process.env.BENCH_CAMPAIGN_HOUSEHOLDS ?? 10_000);
const DISTRICTS = ['DC', 'XC', 'CY', 'HD', 'FT', 'SJS', 'MTG', 'FS'];
const CATEGORIES = ['deep', 'relative', 'accidental'];
const SURNAMES = [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭'];

export async function run() {
  console.log(`machine: ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, node ${process.version}`);
  const svc = await startServiceProcess('warmth-bench-campaigns', { NOTICE_PERIOD: 'PT1S', NOTICE_SWEEP_SECONDS: '0.2', STATEMENT_TIMEOUT_SECONDS: '120', REQUEST_TIMEOUT_SECONDS: '120' });
  // The rows loaded straight into the table are sealed with the service's own key.
  configureDataKey(Buffer.from(BENCH_DATA_KEY, 'hex'));
  const db = knexFactory({ client: 'pg', connection: svc.ownerUrl(), pool: { min: 0, max: 2 } });
  let peak = svc.memory().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, svc.memory().rss)), 20);
  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${svc.url}/api/v1${path}`, { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const buf = Buffer.from(await res.arrayBuffer());
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${buf.toString().slice(0, 300)}`);
    return { buf, json: () => JSON.parse(buf.toString()) };
  };
  const timed = async <T>(label: string, f: () => Promise<T>) => {
    const t0 = performance.now();
    const out = await f();
    console.log(`${label.padEnd(46)} ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    return out;
  };
  try {
    const admin = (await call('POST', '/auth/login', undefined, BENCH_ADMIN)).json().token as string;
    const user = async (username: string, roles: string[]) => {
      await call('POST', '/users', admin, { username, password: 'Bench-pass-12345', displayName: username, roles });
      return (await call('POST', '/auth/login', undefined, { username, password: 'Bench-pass-12345' })).json().token as string;
    };
    const [finance, approver1, approver2] = [await user('b-finance', ['finance']), await user('b-approver1', ['approver']), await user('b-approver2', ['approver'])];
    await call('POST', '/funds', finance, { code: 'BWF', nameZh: '基金会', nameEn: 'Foundation', kind: 'foundation' });
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    await call('POST', '/donations', finance, { fund: 'BWF', amount: '50000000.00', date: today, donor: { name: '爱心企业', kind: 'organization', anonymous: false } });

    await timed(`seed ${N} household files (direct insert)`, async () => {
      const now = new Date();
      for (let i = 0; i < N; i += 1000) {
        const rows = [];
        for (let j = i; j < Math.min(N, i + 1000); j++) {
          rows.push({
            head_name: `${SURNAMES[j % SURNAMES.length]}建${'国华明'[j % 3]}`, id_number_enc: encryptPersonal(`11010519700101${String(j).padStart(4, '0')}`), id_number_hash: crypto.randomBytes(32).toString('hex'),
            district: DISTRICTS[j % DISTRICTS.length], members: '[]', monthly_income: String(1000 + (j % 2000)), member_count: 1 + (j % 4), category: CATEGORIES[j % 3],
            causes: j % 5 === 0 ? ['education'] : ['illness'], status: 'registered', status_date: today, created_by: 'bench', created_at: now, updated_at: now,
            bank_account_enc: encryptPersonal(JSON.stringify({ n: `6222${String(j).padStart(15, '0')}`, a: `户主${j}`, b: '中国工商银行北京分行' })), bank_account_updated_at: now,
          });
        }
        await db('households').insert(rows);
      }
    });
    const c = (await call('POST', '/campaigns', admin, {
      name: '2027年元旦春节送温暖', kind: 'new_year_spring', year: Number(today.slice(0, 4)), funds: ['BWF'],
      rules: { perCategory: { deep: '1000.00', relative: '600.00', accidental: '800.00' }, perAdditionalMember: '100.00', perCause: { education: '300.00' }, cap: '1500.00' },
    })).json();
    const built = await timed(`roll built (${N} households)`, async () => (await call('POST', `/campaigns/${c.id}/roll`, admin, {})).json());
    console.log(`  lines ${built.lines}, total ${built.total}`);
    await timed('roll recomputed (nothing changed)', async () => call('POST', `/campaigns/${c.id}/roll`, admin, {}));
    await call('POST', `/campaigns/${c.id}/submit`, admin, {});
    await call('POST', `/campaigns/${c.id}/approve`, approver1, {});
    await call('POST', `/campaigns/${c.id}/approve`, approver2, {});
    for (let i = 0; i < 100 && (await call('GET', `/campaigns/${c.id}`, admin)).json().status !== 'payable'; i++) await new Promise((r) => setTimeout(r, 100));
    const paid = await timed(`paid through the ledger (one entry per household)`, async () => (await call('POST', `/campaigns/${c.id}/payments`, finance, {})).json());
    console.log(`  paid ${paid.paidNow} lines, ${paid.amountNow}`);
    const csv = await timed(`bank file CSV (GBK), ${paid.paidNow} lines`, async () => call('GET', `/campaigns/${c.id}/bank-file?format=csv`, finance));
    const xlsx = await timed(`bank file XLSX, ${paid.paidNow} lines`, async () => call('GET', `/campaigns/${c.id}/bank-file?format=xlsx`, finance));
    console.log(`  csv ${(csv.buf.length / 1024).toFixed(0)} KiB, xlsx ${(xlsx.buf.length / 1024).toFixed(0)} KiB`);
    await timed('progress', async () => call('GET', `/campaigns/${c.id}/progress`, admin));
    peak = Math.max(peak, svc.memory().hwm);
    console.log(`peak RSS of the service (VmHWM)                ${(peak / 2 ** 20).toFixed(0)} MB`);
  } finally {
    clearInterval(sampler);
    await db.destroy();
    await svc.stop();
  }
}
