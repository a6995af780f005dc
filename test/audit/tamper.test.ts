import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import type { Knex } from 'knex';
import { startIsolatedService } from '../support/env';
import type { RunningService } from '../../src/server';
import { shanghaiDate } from '../../src/platform/clock';
import { verifyLog } from '../../src/cli/verify-log';
import { client, ownerDb, rehashFrom, withTriggersOff } from './support';

/** Runs a CLI of ours as a child process (async: the service it talks to runs in this process). */
function runCli(script: string, args: string[], env: Record<string, string | undefined> = process.env): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import=tsx', script, ...args], { env, encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/**
 * The owner of the database rewrites what it likes (triggers off). What each check catches: /audit/verify
 * (the auditor's, with the secret), the public recomputation (verify-log, anyone), the books against the log,
 * and a checkpoint saved before the rewrite. In a service of its own: tampering leaves a database broken.
 */
describe('audit: tampering by the database owner', function () {
  this.timeout(180_000);
  let svc: { service: RunningService; stop: () => Promise<void> };
  let owner: Knex;
  let http: ReturnType<typeof client>;
  let auditor: string;
  let finance: string;
  let fund: string;
  let dir: string;
  const verify = async () => {
    const r = await http.call('GET', '/audit/verify', { token: auditor });
    expect(r.status).to.equal(200);
    return r.body;
  };
  const publicCheck = (extra: Partial<Parameters<typeof verifyLog>[0]> = {}) => verifyLog({ base: svc.service.url, ...extra });

  before(async () => {
    svc = await startIsolatedService();
    owner = ownerDb(svc.service.ownerUrl);
    http = client(svc.service.url);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warmth-tamper-'));
    auditor = (await http.user(['auditor'])).token;
    finance = (await http.user(['finance'])).token;
    const root = `TAMPER${Date.now().toString(36).toUpperCase().slice(-4)}`;
    fund = `${root}-CY`;
    for (const body of [
      { code: root, nameZh: '篡改测试基金会', nameEn: 'Tamper test foundation', kind: 'foundation', restricted: false },
      { code: fund, nameZh: '朝阳专项基金', nameEn: 'CY fund', kind: 'district', parentCode: root, district: 'CY', restricted: false },
    ]) expect((await http.call('POST', '/funds', { token: finance, body })).status).to.equal(201);
    for (const amount of ['5000.00', '700.00']) {
      const r = await http.call('POST', '/donations', { token: finance, body: { fund, amount, date: shanghaiDate(), donor: { name: '爱心企业', kind: 'organization', anonymous: false } } });
      expect(r.status, r.text).to.equal(201);
    }
    const v = await verify();
    expect(v.ok, JSON.stringify(v)).to.equal(true);
    expect(v.ledger).to.include({ ok: true, balancesOk: true, firstBadEntry: null, firstBadBalance: null });
    expect(v.ledger.entriesChecked).to.equal(2);
  });

  after(async () => {
    await owner?.destroy();
    await svc?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const lastRowOf = async (action: string) => owner('audit_log').where({ action }).orderBy('seq', 'desc').first();

  it('rows of hash version 1 (written before the migration) still verify, for the auditor and the public', async () => {
    const head = Number((await owner('audit_head').first()).seq);
    const k = Math.floor(head / 2);
    // A database migrated from version 1: rows 1..k carry version-1 hashes, the rest version 2.
    await withTriggersOff(owner, ['audit_log'], (trx) => rehashFrom(trx, 1, (seq) => (seq <= k ? 1 : 2)));
    const v = await verify();
    expect(v.ok, JSON.stringify(v)).to.equal(true);
    const items = (await http.call('GET', `/public/log?limit=500`)).body.items;
    expect(items.filter((i: any) => i.hashVersion === 1).map((i: any) => i.seq)).to.deep.equal(Array.from({ length: k }, (_, i) => i + 1));
    expect((await publicCheck()).exitCode).to.equal(0);

    // A version-2 row may not be passed off as version 1 (where actor and subject are not in the hash).
    await withTriggersOff(owner, ['audit_log'], (trx) => rehashFrom(trx, 1, (seq) => (seq <= k || seq === head ? 1 : 2)));
    const down = await verify();
    expect(down.ok).to.equal(false);
    expect(down.firstBadSeq).to.equal(head);
    expect(down.problem).to.match(/version/);
    const pub = await publicCheck();
    expect(pub.exitCode).to.equal(1);
    expect(pub.firstBadSeq).to.equal(head);
    await withTriggersOff(owner, ['audit_log'], (trx) => rehashFrom(trx, 1, (seq) => (seq <= k ? 1 : 2)));
    expect((await verify()).ok).to.equal(true);
  });

  for (const column of ['actor', 'subject'] as const) {
    it(`finds the ${column} column changed behind the service’s back, at its seq (auditor and public alike)`, async () => {
      const row = await lastRowOf('ledger.donation_received');
      expect(row.hash_version).to.equal(2);
      const seq = Number(row.seq);
      await withTriggersOff(owner, ['audit_log'], (trx) => trx('audit_log').where({ seq }).update({ [column]: column === 'actor' ? 'somebody-else' : 'journal-entry:1999-000001' }));
      try {
        const v = await verify();
        expect(v.ok).to.equal(false);
        expect(v.firstBadSeq).to.equal(seq);
        const pub = await publicCheck();
        expect(pub.exitCode).to.equal(1);
        expect(pub.firstBadSeq).to.equal(seq);
        expect(pub.lines.join('\n')).to.match(new RegExp(`row ${seq} does not match its hash`));
      } finally {
        await withTriggersOff(owner, ['audit_log'], (trx) => trx('audit_log').where({ seq }).update({ [column]: row[column] }));
      }
      expect((await verify()).ok).to.equal(true);
    });
  }

  it('finds the actor of a version-1 row changed, through the private payload that holds it (the auditor’s check)', async () => {
    const row = await owner('audit_log').where({ hash_version: 1 }).orderBy('seq', 'desc').first();
    const seq = Number(row.seq);
    await withTriggersOff(owner, ['audit_log'], (trx) => trx('audit_log').where({ seq }).update({ actor: 'somebody-else' }));
    try {
      const v = await verify();
      expect(v.firstBadSeq).to.equal(seq);
      expect(v.problem).to.match(/actor/);
    } finally {
      await withTriggersOff(owner, ['audit_log'], (trx) => trx('audit_log').where({ seq }).update({ actor: row.actor }));
    }
  });

  it('finds a journal line changed by the owner, with the balances changed to tie: names the entry (API and npm run verify)', async () => {
    const entry = await owner('journal_entries').where({ source: 'donation' }).orderBy('id', 'desc').first();
    const lines = await owner('journal_lines').where({ entry_id: entry.id }).orderBy('line_no');
    const bump = async (delta: number) =>
      withTriggersOff(owner, ['journal_lines'], async (trx) => {
        for (const l of lines) {
          const side = Number(l.debit) > 0 ? 'debit' : 'credit';
          await trx('journal_lines').where({ id: l.id }).update({ [side]: trx.raw(`${side} + ?`, [delta]) });
          await trx('ledger_balances').where({ account: l.account, fund: l.fund }).update({ [`${side}_total`]: trx.raw(`${side}_total + ?`, [delta]) });
        }
      });
    await bump(100);
    try {
      const v = await verify();
      expect(v.ok).to.equal(false);
      expect(v.firstBadSeq).to.equal(null); // the chain itself is intact
      expect(v.ledger.balancesOk).to.equal(true); // and the balances tie to the (changed) lines
      expect(v.ledger.firstBadEntry).to.include({ id: Number(entry.id), number: entry.number });
      expect(v.ledger.firstBadEntry.problem).to.match(/line 1 .*800\.00.*700\.00/);
      expect(v.problem).to.include(entry.number);

      const env = { ...process.env, DATABASE_URL: svc.service.ownerUrl, DATA_DIR: svc.service.ctx.config.dataDir, AUDIT_SECRET: svc.service.ctx.config.auditSecret, DATA_KEY: svc.service.ctx.config.dataKey.toString('hex'), LOG_LEVEL: 'silent' };
      const cli = await runCli('src/cli/verify.ts', [], env);
      expect(cli.status, cli.stdout + cli.stderr).to.equal(1);
      expect(cli.stdout).to.include(`BAD entry ${entry.number}`);
      const json = await runCli('src/cli/verify.ts', ['--json'], env);
      expect(JSON.parse(json.stdout).ledger.firstBadEntry.number).to.equal(entry.number);
    } finally {
      await bump(-100);
    }
    expect((await verify()).ok).to.equal(true);
  });

  it('finds a maintained balance changed by the owner', async () => {
    await owner('ledger_balances').where({ account: '1002', fund }).update({ debit_total: owner.raw('debit_total + 5') });
    try {
      const v = await verify();
      expect(v.ok).to.equal(false);
      expect(v.ledger.balancesOk).to.equal(false);
      expect(v.ledger.firstBadBalance).to.include({ account: '1002', fund, debitTotal: '5705.00', linesDebit: '5700.00' });
      expect(v.ledger.firstBadEntry).to.equal(null);
    } finally {
      await owner('ledger_balances').where({ account: '1002', fund }).update({ debit_total: owner.raw('debit_total - 5') });
    }
    expect((await verify()).ok).to.equal(true);
  });

  it('finds an entry the owner deleted with its lines (balances fixed to tie): the log still records it', async () => {
    const r = await http.call('POST', '/journal-entries', {
      token: finance,
      body: { date: shanghaiDate(), description: '管理费用 Admin costs', lines: [{ account: '5201', fund, debit: '10.00' }, { account: '1002', fund, credit: '10.00' }] },
    });
    expect(r.status, r.text).to.equal(201);
    const entry = await owner('journal_entries').where({ id: r.body.id }).first();
    const lines = await owner('journal_lines').where({ entry_id: entry.id }).orderBy('line_no');
    const shift = (trx: Knex.Transaction, sign: 1 | -1) =>
      Promise.all(lines.map((l) => trx('ledger_balances').where({ account: l.account, fund: l.fund }).update({
        debit_total: trx.raw('debit_total + ?', [sign * Number(l.debit)]), credit_total: trx.raw('credit_total + ?', [sign * Number(l.credit)]),
      })));
    await withTriggersOff(owner, ['journal_lines', 'journal_entries'], async (trx) => {
      await trx('journal_lines').where({ entry_id: entry.id }).del();
      await trx('journal_entries').where({ id: entry.id }).del();
      await shift(trx, -1);
    });
    try {
      const v = await verify();
      expect(v.ok).to.equal(false);
      expect(v.ledger.balancesOk).to.equal(true);
      expect(v.ledger.firstBadEntry).to.include({ id: null, number: entry.number });
      expect(v.ledger.firstBadEntry.problem).to.match(/no longer hold/);
    } finally {
      await owner.transaction(async (trx) => {
        await trx('journal_entries').insert(entry);
        await trx('journal_lines').insert(lines);
        await shift(trx, 1);
      });
    }
    expect((await verify()).ok).to.equal(true);
  });

  it('a saved checkpoint catches history rewritten with every hash recomputed, naming the first rewritten row', async () => {
    const saved = path.join(dir, 'saved.json');
    const first = await publicCheck({ save: saved });
    expect(first.exitCode, first.lines.join('\n')).to.equal(0);
    expect(first.warnings.join('\n')).to.match(/same server/);
    const cp = JSON.parse(fs.readFileSync(saved, 'utf8'));
    const plain = path.join(dir, 'plain.json');
    fs.writeFileSync(plain, JSON.stringify({ seq: cp.seq, hash: cp.hash, time: cp.time, signature: cp.signature, keyId: cp.keyId }));
    const keyFile = path.join(dir, 'key.pem');
    fs.writeFileSync(keyFile, cp.publicKey);

    // The owner rewrites a fund's public record and recomputes every hash after it, and moves the head.
    const target = await owner('audit_log').where({ action: 'ledger.fund_created' }).orderBy('seq', 'desc').first();
    const seq = Number(target.seq);
    await withTriggersOff(owner, ['audit_log'], async (trx) => {
      await trx('audit_log').where({ seq }).update({ public_payload: target.public_payload.replace('CY fund', 'Forged fund') });
      await rehashFrom(trx, seq);
    });
    const v = await verify();
    expect(v.ok, 'the plain chain check cannot tell').to.equal(true);
    expect(v.head.hash).not.to.equal(cp.hash);
    expect((await publicCheck()).exitCode, 'nor the public recomputation without a checkpoint').to.equal(0);

    const caught = await publicCheck({ checkpoint: saved });
    expect(caught.exitCode).to.equal(1);
    expect(caught.firstBadSeq).to.equal(seq);
    const fromPlain = await publicCheck({ checkpoint: plain, key: keyFile });
    expect(fromPlain.exitCode).to.equal(1);
    expect(fromPlain.firstBadSeq).to.equal(cp.seq);
    expect(fromPlain.lines.join('\n')).to.match(/rewritten/);

    const cli = await runCli('src/cli/verify-log.ts', ['--base', svc.service.url, '--checkpoint', saved, '--key', keyFile]);
    expect(cli.status, cli.stderr).to.equal(1);
    expect(cli.stdout).to.include(`first row that differs: ${seq}`);
  });

  it('an honest later log extends the saved checkpoint: exit 0 and the new head', async () => {
    const saved = path.join(dir, 'honest.json');
    expect((await publicCheck({ save: saved })).exitCode).to.equal(0);
    const before = JSON.parse(fs.readFileSync(saved, 'utf8'));
    await http.user(['auditor']); // appends rows
    const cp = (await http.call('GET', '/public/log/checkpoint')).body;
    expect(cp.seq).to.be.greaterThan(before.seq);
    const cli = await runCli('src/cli/verify-log.ts', ['--base', `${svc.service.url}/api/v1`, '--checkpoint', saved]);
    expect(cli.status, cli.stdout + cli.stderr).to.equal(0);
    expect(cli.stdout).to.include(`head: seq ${cp.seq} hash ${cp.hash}`);
    expect(cli.stdout).to.include(`extends the saved checkpoint (seq ${before.seq})`);
  });

  it('a cut tail (rows deleted, head moved back) is caught by the saved checkpoint', async () => {
    const saved = path.join(dir, 'before-cut.json');
    expect((await publicCheck({ save: saved, rows: false })).exitCode).to.equal(0);
    const cp = JSON.parse(fs.readFileSync(saved, 'utf8'));
    expect(cp).not.to.have.property('rowHashes');
    await withTriggersOff(owner, ['audit_log'], async (trx) => {
      await trx('audit_log').where('seq', '>', cp.seq - 2).del();
      const last = await trx('audit_log').where({ seq: cp.seq - 2 }).first();
      await trx('audit_head').where({ id: 1 }).update({ seq: cp.seq - 2, hash: last.hash });
    });
    expect((await verify()).ok, 'the chain that is left is consistent').to.equal(true);
    const r = await publicCheck({ checkpoint: saved });
    expect(r.exitCode).to.equal(1);
    expect(r.firstBadSeq).to.equal(cp.seq - 1);
    expect(r.lines.join('\n')).to.match(/cut/);
  });
});
