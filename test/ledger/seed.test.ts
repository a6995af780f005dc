import { expect } from 'chai';
import { seedLedger, DEMO_FUNDS } from '../../seeds/ledger';
import { fundBalance, listFunds, trialBalance } from '../../src/ledger';
import { db } from './support';

describe('ledger: demo data', () => {
  it('seeds the fund tree and a year of postings quickly, balanced and never overdrawn (rolled back afterwards)', async function () {
    this.timeout(60_000);
    const started = Date.now();
    const rollback = new Error('rollback');
    try {
      await db().transaction(async (trx) => {
        await seedLedger(trx);
        const funds = (await listFunds(trx)).map((f) => f.code);
        for (const f of DEMO_FUNDS) expect(funds).to.include(f.code);
        const tb = await trialBalance(trx, {});
        expect(tb.totals.debit).to.equal(tb.totals.credit);
        const entries = await trx('journal_entries').join('journal_lines', 'journal_lines.entry_id', 'journal_entries.id').where('journal_lines.fund', 'WF').countDistinct('journal_entries.id as c').first();
        expect(Number(entries!.c)).to.be.greaterThan(10);
        for (const f of DEMO_FUNDS) {
          const b = await fundBalance(trx, f.code);
          expect(Number(b.bank), f.code).to.be.at.least(0);
        }
        throw rollback;
      });
    } catch (e) {
      if (e !== rollback) throw e;
    }
    expect(Date.now() - started).to.be.lessThan(15_000);
  });
});
