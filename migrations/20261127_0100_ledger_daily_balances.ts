import type { Knex } from 'knex';

// No overdraft at any date (issue 12): the running end-of-day balance of each fund's 1001 现金 / 1002 银行存款,
// one row per (account, fund, day with activity). A posting dated d adds its net change to the row of d
// (created from the previous day's closing if missing) and to every later row, under the ledger_balances row
// lock of the same (account, fund); the CHECK makes the database refuse any negative running balance.
// A balance on a day without a row is the closing of the last row before it (or 0).
//
// Backfilled from the journal lines. A database whose history already went negative (postings made before
// this rule) still migrates: the CHECK is added NOT VALID, so the old negative days stay as they are, while
// every row a posting writes from now on is checked; the migration prints how many days are negative, and
// `ALTER TABLE ledger_daily_balances VALIDATE CONSTRAINT ledger_daily_balances_no_overdraft` can be run
// once a correction dated on or before the first negative day has lifted them (docs/ledger.md).
export async function up(knex: Knex) {
  await knex.schema.createTable('ledger_daily_balances', (t) => {
    t.string('account', 8).notNullable();
    t.string('fund', 32).notNullable();
    t.date('date').notNullable();
    t.decimal('closing', 18, 2).notNullable();
    t.primary(['account', 'fund', 'date']);
    t.foreign(['account', 'fund']).references(['account', 'fund']).inTable('ledger_balances');
  });
  await knex.raw(`ALTER TABLE ledger_daily_balances ADD CONSTRAINT ledger_daily_balances_accounts CHECK (account IN ('1001','1002'))`);
  await knex.raw(`
    INSERT INTO ledger_daily_balances (account, fund, date, closing)
    SELECT account, fund, date, sum(sum(debit) - sum(credit)) OVER (PARTITION BY account, fund ORDER BY date)
      FROM journal_lines WHERE account IN ('1001','1002')
     GROUP BY account, fund, date`);
  await knex.raw(`ALTER TABLE ledger_daily_balances ADD CONSTRAINT ledger_daily_balances_no_overdraft CHECK (closing >= 0) NOT VALID`);
  const neg = await knex.raw(`SELECT count(*)::int AS days, count(DISTINCT (account, fund))::int AS keys, min(date)::text AS first FROM ledger_daily_balances WHERE closing < 0`);
  const { days, keys, first } = neg.rows[0] as { days: number; keys: number; first: string | null };
  if (days === 0) {
    await knex.raw(`ALTER TABLE ledger_daily_balances VALIDATE CONSTRAINT ledger_daily_balances_no_overdraft`);
  } else {
    console.warn(
      `ledger: ${days} day(s) of ${keys} fund cash/bank balance(s) were already negative before the by-date overdraft rule (first ${first}); ` +
        `they are kept (CHECK NOT VALID) and postings dated on or before them are refused until corrected: ` +
        `SELECT * FROM ledger_daily_balances WHERE closing < 0 ORDER BY fund, account, date`,
    );
  }
}

export async function down(knex: Knex) {
  await knex.schema.dropTable('ledger_daily_balances');
}
