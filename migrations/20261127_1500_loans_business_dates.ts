import type { Knex } from 'knex';

// Loans' business dates (docs/loans.md, "Dates"): the day an application was made and the day it was approved
// (either may be entered late, dated back), and the day of the latest restructuring. Disbursement is never
// before approval, approval never before application; repayments never before the latest restructuring.
// Rows made before this migration take the day their timeline row was written (Asia/Shanghai), lowered where
// a back-dated disbursement came earlier, so the checks hold for them too.
export async function up(knex: Knex) {
  await knex.schema.alterTable('loans', (t) => {
    t.date('applied_date');
    t.date('approved_date');
    t.date('restructured_date');
  });
  await knex.raw(`UPDATE loans l SET approved_date = LEAST(e.day, COALESCE(l.disbursed_date, e.day))
    FROM (SELECT loan_id, MAX((at AT TIME ZONE 'Asia/Shanghai')::date) AS day FROM loan_events WHERE action = 'approved' GROUP BY loan_id) e
    WHERE e.loan_id = l.id`);
  await knex.raw(`UPDATE loans SET approved_date = disbursed_date WHERE approved_date IS NULL AND disbursed_date IS NOT NULL`);
  await knex.raw(`UPDATE loans SET applied_date = LEAST((created_at AT TIME ZONE 'Asia/Shanghai')::date, COALESCE(approved_date, (created_at AT TIME ZONE 'Asia/Shanghai')::date))`);
  await knex.raw(`UPDATE loans l SET restructured_date = GREATEST(e.day, l.disbursed_date)
    FROM (SELECT loan_id, MAX((at AT TIME ZONE 'Asia/Shanghai')::date) AS day FROM loan_events WHERE action = 'restructured' GROUP BY loan_id) e
    WHERE e.loan_id = l.id`);
  await knex.raw(`ALTER TABLE loans ALTER COLUMN applied_date SET NOT NULL`);
  await knex.raw(`ALTER TABLE loans ADD CONSTRAINT loans_dates_in_order CHECK (
    (approved_date IS NULL OR approved_date >= applied_date)
    AND (disbursed_date IS NULL OR (approved_date IS NOT NULL AND disbursed_date >= approved_date))
    AND (restructured_date IS NULL OR restructured_date >= disbursed_date)
    AND (status NOT IN ('approved','active','closed','written_off') OR approved_date IS NOT NULL))`);
}

export async function down(knex: Knex) {
  await knex.raw(`ALTER TABLE loans DROP CONSTRAINT loans_dates_in_order`);
  await knex.schema.alterTable('loans', (t) => {
    t.dropColumn('applied_date');
    t.dropColumn('approved_date');
    t.dropColumn('restructured_date');
  });
}
