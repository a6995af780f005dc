import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { testService } from '../support/env';
import { fundWithMoney } from '../support/fixtures';
import { backupDatabase, restoreDatabase } from '../../src/platform/backup';
import { createKnex } from '../../src/platform/db';
import { verifyAuditChain } from '../../src/audit';
import { trialBalance } from '../../src/ledger';
import { withDatabaseUrl } from '../../src/cli/database-url';

describe('backup and restore', function () {
  this.timeout(120_000);

  it('restores a backup into an empty database: the ledger balances, the chain verifies, the figures match', async () => {
    await fundWithMoney('1234.56');
    // Backups are the owner's work (npm run backup uses DATABASE_OWNER_URL); creating a database the superuser's.
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'warmth-backup-')), 'b.dump');
    await backupDatabase(testService().ownerUrl, file);
    expect(fs.statSync(file).size).to.be.greaterThan(1000);

    const url = testService().superuserUrl!;
    const name = `warmth_restore_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const target = new URL(url);
    target.pathname = `/${name}`;
    const restored = createKnex(target.toString(), { min: 0, max: 2 });
    try {
      await restoreDatabase(target.toString(), file);
      let refused = false;
      await restoreDatabase(target.toString(), file).catch(() => (refused = true));
      expect(refused, 'a second restore into a non-empty database is refused').to.equal(true);

      const today = new Date().toISOString().slice(0, 10);
      const [before, after] = [await trialBalance(testService().ctx.db, { asOf: today }), await trialBalance(restored, { asOf: today })];
      expect(after.totals).to.deep.equal(before.totals);
      expect(after.totals.debit).to.equal(after.totals.credit);
      const v = await verifyAuditChain(restored);
      expect(v.ok).to.equal(true);
      expect(v.head.seq).to.be.at.most((await verifyAuditChain(testService().ctx.db)).head.seq);
    } finally {
      await restored.destroy();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });

  it('npm run backup and restore connect as the owner, not as the working role', async () => {
    const svc = testService();
    let seen: { me: string; owner: string } | undefined;
    await withDatabaseUrl(svc.ctx.config, async (url) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      seen = (await c.query(`SELECT current_user AS me, pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname = 'audit_log' AND relnamespace = 'public'::regnamespace`)).rows[0];
      await c.end();
    });
    expect(seen!.me).to.equal(seen!.owner);
    expect(seen!.me).to.not.equal((await svc.ctx.db.raw('SELECT current_user AS r')).rows[0].r);
  });
});
