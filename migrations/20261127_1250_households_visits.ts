import type { Knex } from 'knex';

// Home visits (入户走访) to a household file: date, who went, structured findings (housing, employment, needs in
// clear; health sealed with DATA_KEY like members' health notes), and follow-up actions with due dates.
export async function up(knex: Knex) {
  await knex.raw(`
    CREATE TABLE household_visits (
      id serial PRIMARY KEY,
      household_id integer NOT NULL REFERENCES households (id),
      visit_date date NOT NULL,
      visitors jsonb NOT NULL CHECK (jsonb_typeof(visitors) = 'array' AND jsonb_array_length(visitors) BETWEEN 1 AND 10),
      findings jsonb NOT NULL CHECK (jsonb_typeof(findings) = 'object'),
      health_sealed text,
      summary text,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL
    );
    CREATE INDEX household_visits_household ON household_visits (household_id, visit_date DESC);

    CREATE TABLE household_visit_actions (
      id serial PRIMARY KEY,
      visit_id integer NOT NULL REFERENCES household_visits (id),
      household_id integer NOT NULL REFERENCES households (id),
      action text NOT NULL CHECK (length(action) BETWEEN 1 AND 500),
      due_date date NOT NULL,
      done_at timestamptz,
      done_by text,
      done_note text,
      CHECK ((done_at IS NULL) = (done_by IS NULL))
    );
    CREATE INDEX household_visit_actions_visit ON household_visit_actions (visit_id);
    CREATE INDEX household_visit_actions_open ON household_visit_actions (household_id, due_date) WHERE done_at IS NULL;
  `);
}

export async function down(knex: Knex) {
  await knex.raw('DROP TABLE household_visit_actions; DROP TABLE household_visits;');
}
