import type { Knex } from 'knex';

// Reports: one row per published PDF (its SHA-256 is also in the audit log as 'report.published').
// head_seq is the audit row the report was made at: the last row that is not itself a report.published row,
// so publishing a report does not move the head the next identical request is made at.
export async function up(knex: Knex) {
  await knex.schema.createTable('reports_published', (t) => {
    t.increments('id');
    t.string('sha256', 64).notNullable().unique();
    t.string('kind', 40).notNullable();
    t.text('params_key').notNullable(); // canonical JSON of the parameters
    t.bigInteger('head_seq').notNullable();
    t.string('head_hash', 64).notNullable();
    t.timestamp('generated_at', { useTz: true }).notNullable();
    t.bigInteger('published_seq').notNullable().unique(); // seq of the report.published audit row
    t.timestamp('published_at', { useTz: true }).notNullable();
    t.integer('pages').notNullable();
    t.bigInteger('bytes').notNullable();
    t.index(['kind', 'params_key', 'head_seq']);
  });
  await knex.raw(`
    CREATE TRIGGER reports_published_immutable BEFORE UPDATE OR DELETE ON reports_published FOR EACH ROW EXECUTE FUNCTION refuse_change();
  `);
}

export async function down(knex: Knex) {
  await knex.schema.dropTable('reports_published');
}
