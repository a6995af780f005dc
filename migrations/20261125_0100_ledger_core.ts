import type { Knex } from 'knex';

// The ledger: funds, the NPO chart of accounts (reference data), immutable balanced journal entries with a
// gapless number per year, reversals, maintained balances per (account, fund), and closed periods.
// The rules the database itself enforces (so a bug in the service cannot break them):
//   - entries, lines and reversals are never updated or deleted (trigger refuse_change from the platform);
//   - each line is a debit or a credit, > 0, never both (CHECK);
//   - every entry balances per fund (a deferred constraint trigger checks it at commit);
//   - a fund's 1001 现金 / 1002 银行存款 balance never goes below zero (CHECK on ledger_balances);
//   - an entry is reversed at most once (UNIQUE original_id in ledger_reversals).

// [code, 中文名, English name, type, normal side]
export const CHART: [string, string, string, string, 'debit' | 'credit'][] = [
  ['1001', '现金', 'Cash on hand', 'asset', 'debit'],
  ['1002', '银行存款', 'Bank deposits', 'asset', 'debit'],
  ['1009', '其他货币资金', 'Other monetary funds', 'asset', 'debit'],
  ['1101', '短期投资', 'Short-term investments', 'asset', 'debit'],
  ['1102', '短期投资跌价准备', 'Allowance for short-term investment losses', 'asset', 'credit'],
  ['1111', '应收票据', 'Notes receivable', 'asset', 'debit'],
  ['1121', '应收账款', 'Accounts receivable', 'asset', 'debit'],
  ['1122', '其他应收款', 'Other receivables', 'asset', 'debit'],
  ['1131', '坏账准备', 'Allowance for bad debts', 'asset', 'credit'],
  ['1141', '预付账款', 'Prepayments', 'asset', 'debit'],
  ['1201', '存货', 'Inventories', 'asset', 'debit'],
  ['1202', '存货跌价准备', 'Allowance for inventory losses', 'asset', 'credit'],
  ['1301', '待摊费用', 'Prepaid expenses', 'asset', 'debit'],
  ['1401', '长期股权投资', 'Long-term equity investments', 'asset', 'debit'],
  ['1402', '长期债权投资', 'Long-term debt investments', 'asset', 'debit'],
  ['1421', '长期投资减值准备', 'Impairment of long-term investments', 'asset', 'credit'],
  ['1501', '固定资产', 'Fixed assets', 'asset', 'debit'],
  ['1502', '累计折旧', 'Accumulated depreciation', 'asset', 'credit'],
  ['1505', '在建工程', 'Construction in progress', 'asset', 'debit'],
  ['1506', '文物文化资产', 'Cultural relics and heritage assets', 'asset', 'debit'],
  ['1509', '固定资产清理', 'Fixed assets in disposal', 'asset', 'debit'],
  ['1601', '无形资产', 'Intangible assets', 'asset', 'debit'],
  ['1701', '受托代理资产', 'Assets held as agent', 'asset', 'debit'],
  ['2101', '短期借款', 'Short-term borrowings', 'liability', 'credit'],
  ['2201', '应付票据', 'Notes payable', 'liability', 'credit'],
  ['2202', '应付账款', 'Accounts payable', 'liability', 'credit'],
  ['2203', '预收账款', 'Receipts in advance', 'liability', 'credit'],
  ['2204', '应付工资', 'Wages payable', 'liability', 'credit'],
  ['2206', '应交税金', 'Taxes payable', 'liability', 'credit'],
  ['2209', '其他应付款', 'Other payables', 'liability', 'credit'],
  ['2301', '预提费用', 'Accrued expenses', 'liability', 'credit'],
  ['2401', '预计负债', 'Provisions', 'liability', 'credit'],
  ['2501', '长期借款', 'Long-term borrowings', 'liability', 'credit'],
  ['2502', '长期应付款', 'Long-term payables', 'liability', 'credit'],
  ['2601', '受托代理负债', 'Liabilities held as agent', 'liability', 'credit'],
  ['3101', '非限定性净资产', 'Unrestricted net assets', 'net_assets', 'credit'],
  ['3102', '限定性净资产', 'Restricted net assets', 'net_assets', 'credit'],
  ['4101', '捐赠收入', 'Donation income', 'income', 'credit'],
  ['4201', '会费收入', 'Membership dues', 'income', 'credit'],
  ['4301', '提供服务收入', 'Service income', 'income', 'credit'],
  ['4401', '政府补助收入', 'Government grants', 'income', 'credit'],
  ['4501', '商品销售收入', 'Sales income', 'income', 'credit'],
  ['4601', '投资收益', 'Investment income', 'income', 'credit'],
  ['4901', '其他收入', 'Other income', 'income', 'credit'],
  ['4902', '内部调拨收入', 'Inter-fund transfers in', 'income', 'credit'],
  ['5101', '业务活动成本', 'Programme activity costs', 'expense', 'debit'],
  ['5201', '管理费用', 'Administrative expenses', 'expense', 'debit'],
  ['5301', '筹资费用', 'Fundraising expenses', 'expense', 'debit'],
  ['5401', '其他费用', 'Other expenses', 'expense', 'debit'],
  ['5402', '内部调拨支出', 'Inter-fund transfers out', 'expense', 'debit'],
];

export async function up(knex: Knex) {
  await knex.schema.createTable('ledger_accounts', (t) => {
    t.string('code', 8).primary();
    t.string('name_zh', 32).notNullable();
    t.string('name_en', 80).notNullable();
    t.string('type', 16).notNullable();
    t.string('normal_side', 8).notNullable();
    t.integer('sort').notNullable();
  });
  await knex.raw(`ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_type CHECK (type IN ('asset','liability','net_assets','income','expense'))`);
  await knex.raw(`ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_side CHECK (normal_side IN ('debit','credit'))`);
  await knex('ledger_accounts').insert(CHART.map(([code, zh, en, type, side], i) => ({ code, name_zh: zh, name_en: en, type, normal_side: side, sort: i + 1 })));

  await knex.schema.createTable('ledger_funds', (t) => {
    t.string('code', 32).primary();
    t.string('name_zh', 100).notNullable();
    t.string('name_en', 200).notNullable();
    t.string('kind', 20).notNullable();
    t.string('parent_code', 32).references('ledger_funds.code');
    t.string('district', 8).references('districts.code');
    t.boolean('restricted').notNullable().defaultTo(false);
    t.string('created_by', 100).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['parent_code']);
  });
  await knex.raw(`ALTER TABLE ledger_funds ADD CONSTRAINT ledger_funds_kind CHECK (kind IN ('foundation','district','enterprise_group','institution'))`);
  await knex.raw(`ALTER TABLE ledger_funds ADD CONSTRAINT ledger_funds_tree CHECK ((kind = 'foundation') = (parent_code IS NULL))`);
  await knex.raw(`ALTER TABLE ledger_funds ADD CONSTRAINT ledger_funds_district CHECK (kind <> 'district' OR district IS NOT NULL)`);

  await knex.schema.createTable('journal_entries', (t) => {
    t.bigIncrements('id');
    t.string('number', 16).notNullable().unique();
    t.date('date').notNullable();
    t.string('description', 500).notNullable();
    t.string('source', 16).notNullable();
    t.string('source_ref', 100);
    t.bigInteger('reverses_id').references('journal_entries.id');
    t.string('created_by', 100).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['date']);
    t.index(['source', 'source_ref']);
  });
  await knex.raw(`ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_source CHECK (source IN ('manual','donation','allocation','aid','reversal','closing'))`);
  await knex.raw(`ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_number CHECK (number ~ '^[0-9]{4}-[0-9]{6,}$' AND substr(number, 1, 4) = to_char(date, 'YYYY'))`);

  await knex.schema.createTable('journal_lines', (t) => {
    t.bigIncrements('id');
    t.bigInteger('entry_id').notNullable().references('journal_entries.id');
    t.smallint('line_no').notNullable();
    // The entry's date, copied so as-of sums read one table (lines never change, so it cannot drift).
    t.date('date').notNullable();
    t.string('account', 8).notNullable().references('ledger_accounts.code');
    t.string('fund', 32).notNullable().references('ledger_funds.code');
    t.decimal('debit', 18, 2).notNullable().defaultTo(0);
    t.decimal('credit', 18, 2).notNullable().defaultTo(0);
    t.string('memo', 500);
    // Tags into other domains: plain integers, no foreign keys (the ledger does not read their tables).
    t.integer('household_id');
    t.integer('aid_case_id');
    t.unique(['entry_id', 'line_no']);
    t.index(['fund', 'account', 'date']);
    t.index(['date']);
    t.index(['household_id']);
    t.index(['aid_case_id']);
  });
  // Open aid payables (2209 lines tagged to a case) are read on every fund balance: keep them at hand.
  await knex.raw(`CREATE INDEX journal_lines_aid_payable ON journal_lines (fund, date) WHERE account = '2209' AND aid_case_id IS NOT NULL`);
  await knex.raw(`ALTER TABLE journal_lines ADD CONSTRAINT journal_lines_one_side CHECK ((debit > 0 AND credit = 0) OR (credit > 0 AND debit = 0))`);

  // An entry is reversed at most once: the original's id is unique here (the original row never changes).
  await knex.schema.createTable('ledger_reversals', (t) => {
    t.bigInteger('original_id').primary().references('journal_entries.id');
    t.bigInteger('reversal_id').notNullable().unique().references('journal_entries.id');
    t.string('reason', 500).notNullable();
    t.string('created_by', 100).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
  });

  // Donor details of donation entries (one row per donation entry).
  await knex.schema.createTable('ledger_donations', (t) => {
    t.bigInteger('entry_id').primary().references('journal_entries.id');
    t.string('fund', 32).notNullable().references('ledger_funds.code');
    t.decimal('amount', 18, 2).notNullable();
    t.date('date').notNullable();
    t.string('donor_name', 200);
    t.string('donor_kind', 16).notNullable();
    t.boolean('anonymous').notNullable();
    t.boolean('restricted').notNullable();
    t.string('purpose', 500);
  });

  // Balances per (account, fund), kept current in the posting transaction. One row per account × fund,
  // created with the fund, so posting only ever updates (and locks) existing rows.
  await knex.schema.createTable('ledger_balances', (t) => {
    t.string('account', 8).notNullable().references('ledger_accounts.code');
    t.string('fund', 32).notNullable().references('ledger_funds.code');
    t.decimal('debit_total', 18, 2).notNullable().defaultTo(0);
    t.decimal('credit_total', 18, 2).notNullable().defaultTo(0);
    t.primary(['account', 'fund']);
    t.index(['fund']);
  });
  // No overdraft, enforced by the database as the last line of defence (the service checks first and
  // answers 409 insufficient_funds; this CHECK turns a bug into a failed transaction, never a negative fund).
  await knex.raw(`ALTER TABLE ledger_balances ADD CONSTRAINT ledger_balances_no_overdraft CHECK (account NOT IN ('1001','1002') OR debit_total >= credit_total)`);
  await knex.raw(`ALTER TABLE ledger_balances ADD CONSTRAINT ledger_balances_totals_nonneg CHECK (debit_total >= 0 AND credit_total >= 0)`);

  // Gapless numbering: one counter row per year, incremented (and so locked) inside the posting transaction.
  await knex.schema.createTable('ledger_counters', (t) => {
    t.integer('year').primary();
    t.integer('last').notNullable();
  });

  // Periods are months; a row here means the month is closed. Closing is sequential, so every month up to
  // the latest closed one is closed. ledger_period_state holds that latest month: postings read it FOR SHARE,
  // a close updates it, so a posting and a close of its month never both commit.
  await knex.schema.createTable('ledger_periods', (t) => {
    t.string('period', 7).primary();
    t.string('closed_by', 100).notNullable();
    t.timestamp('closed_at', { useTz: true }).notNullable();
  });
  await knex.raw(`ALTER TABLE ledger_periods ADD CONSTRAINT ledger_periods_format CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$')`);
  await knex.schema.createTable('ledger_period_state', (t) => {
    t.integer('id').primary();
    t.string('closed_through', 7);
  });
  await knex.raw(`ALTER TABLE ledger_period_state ADD CONSTRAINT ledger_period_state_single CHECK (id = 1)`);
  await knex('ledger_period_state').insert({ id: 1, closed_through: null });

  await knex.raw(`
    CREATE TRIGGER journal_entries_immutable BEFORE UPDATE OR DELETE ON journal_entries FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER journal_lines_immutable BEFORE UPDATE OR DELETE ON journal_lines FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER journal_lines_no_truncate BEFORE TRUNCATE ON journal_lines FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER ledger_reversals_immutable BEFORE UPDATE OR DELETE ON ledger_reversals FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER ledger_donations_immutable BEFORE UPDATE OR DELETE ON ledger_donations FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER ledger_periods_immutable BEFORE UPDATE OR DELETE ON ledger_periods FOR EACH ROW EXECUTE FUNCTION refuse_change();

    CREATE FUNCTION journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE bad record; n int;
    BEGIN
      SELECT count(*) INTO n FROM journal_lines WHERE entry_id = NEW.id;
      IF n < 2 THEN
        RAISE EXCEPTION 'journal entry % has % line(s): at least two are needed', NEW.number, n USING ERRCODE = 'check_violation';
      END IF;
      SELECT fund, sum(debit) - sum(credit) AS diff INTO bad FROM journal_lines WHERE entry_id = NEW.id
        GROUP BY fund HAVING sum(debit) <> sum(credit) LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'journal entry % does not balance in fund % (difference %)', NEW.number, bad.fund, bad.diff USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entry_balanced();
  `);
}

export async function down() {
  throw new Error('the ledger migration is not reversible: journal entries are immutable');
}
