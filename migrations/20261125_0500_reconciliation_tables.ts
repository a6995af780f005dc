import type { Knex } from 'knex';

// Bank reconciliation (DESIGN §6, issue 7): imported statements and their lines, and the matches between
// statement lines and the ledger's 1002 lines. Ledger lines are referred to by id only (no foreign key
// into the ledger's tables: this domain reads the ledger through its index.ts).
export async function up(knex: Knex) {
  await knex.schema.createTable('bank_statements', (t) => {
    t.increments('id');
    t.string('fund', 40).notNullable();
    t.date('period_from').notNullable();
    t.date('period_to').notNullable();
    t.decimal('opening_balance', 18, 2).notNullable();
    t.decimal('closing_balance', 18, 2).notNullable();
    t.string('format', 10).notNullable();
    t.string('encoding', 10).notNullable();
    t.integer('line_count').notNullable();
    /** sha256 of fund, period, balances and every line's date and amount: the same statement twice is refused. */
    t.string('fingerprint', 64).notNullable();
    t.string('status', 10).notNullable().defaultTo('open');
    t.string('imported_by', 100).notNullable();
    t.timestamp('imported_at', { useTz: true }).notNullable();
    t.string('closed_by', 100);
    t.timestamp('closed_at', { useTz: true });
    t.unique(['fund', 'fingerprint']);
    t.index(['fund', 'period_from']);
  });
  await knex.raw(`ALTER TABLE bank_statements ADD CONSTRAINT bank_statements_period CHECK (period_from <= period_to)`);
  await knex.raw(`ALTER TABLE bank_statements ADD CONSTRAINT bank_statements_status CHECK (status IN ('open','closed'))`);
  await knex.raw(`ALTER TABLE bank_statements ADD CONSTRAINT bank_statements_format CHECK (format IN ('csv','camt053'))`);
  await knex.raw(`ALTER TABLE bank_statements ADD CONSTRAINT bank_statements_closed CHECK ((status = 'closed') = (closed_at IS NOT NULL))`);

  await knex.schema.createTable('bank_statement_lines', (t) => {
    t.bigIncrements('id');
    t.integer('statement_id').notNullable().references('bank_statements.id');
    t.integer('line_no').notNullable();
    t.date('date').notNullable();
    t.decimal('amount', 18, 2).notNullable();
    t.string('description', 500).notNullable();
    t.string('reference', 100);
    t.string('counterparty', 200);
    t.decimal('balance', 18, 2);
    t.index(['statement_id', 'id']);
  });
  await knex.raw(`ALTER TABLE bank_statement_lines ADD CONSTRAINT bank_statement_lines_amount CHECK (amount <> 0)`);

  await knex.schema.createTable('reconciliation_matches', (t) => {
    t.bigIncrements('id');
    t.integer('statement_id').notNullable().references('bank_statements.id');
    t.string('rule', 12).notNullable();
    t.integer('score').notNullable();
    t.string('note', 500);
    t.string('created_by', 100).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['statement_id']);
  });
  await knex.raw(`ALTER TABLE reconciliation_matches ADD CONSTRAINT reconciliation_matches_rule CHECK (rule IN ('reference','amount_date','manual'))`);
  await knex.raw(`ALTER TABLE reconciliation_matches ADD CONSTRAINT reconciliation_matches_score CHECK (score BETWEEN 0 AND 100)`);

  // One statement line and one ledger line belong to at most one match: one-to-one, enforced here.
  await knex.schema.createTable('reconciliation_match_statement_lines', (t) => {
    t.bigInteger('match_id').notNullable().references('reconciliation_matches.id').onDelete('CASCADE');
    t.bigInteger('statement_line_id').notNullable().unique().references('bank_statement_lines.id');
  });
  await knex.schema.createTable('reconciliation_match_ledger_lines', (t) => {
    t.bigInteger('match_id').notNullable().references('reconciliation_matches.id').onDelete('CASCADE');
    t.bigInteger('ledger_line_id').notNullable().unique();
    t.string('fund', 40).notNullable();
    t.date('date').notNullable();
    t.decimal('amount', 18, 2).notNullable();
    t.index(['match_id']);
    t.index(['fund', 'date']);
  });
  await knex.raw(`CREATE INDEX reconciliation_match_statement_lines_match ON reconciliation_match_statement_lines (match_id)`);
}

export async function down(knex: Knex) {
  await knex.schema.dropTable('reconciliation_match_ledger_lines');
  await knex.schema.dropTable('reconciliation_match_statement_lines');
  await knex.schema.dropTable('reconciliation_matches');
  await knex.schema.dropTable('bank_statement_lines');
  await knex.schema.dropTable('bank_statements');
}
