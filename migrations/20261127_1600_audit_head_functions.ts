import type { Knex } from 'knex';

// Issue 15, step F: the audit chain's two statements as functions, so their plans are made once per connection
// (a statement sent with parameters was planned anew at every call) and a posting group can take the head lock
// in the same round trip as its entries.
//   audit_lock_head()                     the head, locked FOR UPDATE until commit (as appendAuditBatch read it)
//   audit_append_rows(rows, seq, hash)    the rows hashed by the service, then the head moved to (seq, hash)
// SECURITY INVOKER: the caller's grants, the table's CHECKs and triggers apply as before.
export async function up(knex: Knex) {
  await knex.raw(`
CREATE OR REPLACE FUNCTION audit_lock_head() RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
  v_seq bigint;
  v_hash text;
BEGIN
  SELECT seq, hash INTO STRICT v_seq, v_hash FROM audit_head WHERE id = 1 FOR UPDATE;
  RETURN jsonb_build_object('seq', v_seq, 'hash', v_hash);
END $fn$`);
  await knex.raw(`
CREATE OR REPLACE FUNCTION audit_append_rows(p_rows jsonb, p_seq bigint, p_hash text) RETURNS int
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $fn$
DECLARE
  v_inserted int;
  v_moved int;
BEGIN
  INSERT INTO audit_log (seq, time, actor, action, subject, public_payload, private_payload, private_digest, prev_hash, hash, hash_version, request_id)
  SELECT x.seq, x.time::timestamptz, x.actor, x.action, x.subject, x.public_payload, x.private_payload, x.private_digest, x.prev_hash, x.hash, x.hash_version, x.request_id
    FROM jsonb_to_recordset(p_rows) AS x(seq bigint, time text, actor text, action text, subject text, public_payload text, private_payload text,
                                         private_digest text, prev_hash text, hash text, hash_version int, request_id text)
   ORDER BY x.seq;
  GET DIAGNOSTICS v_inserted = ROW_COUNT;
  UPDATE audit_head SET seq = p_seq, hash = p_hash WHERE id = 1;
  GET DIAGNOSTICS v_moved = ROW_COUNT;
  IF v_moved <> 1 THEN RAISE EXCEPTION 'the audit head row is missing'; END IF;
  RETURN v_inserted;
END $fn$`);
}

export async function down(knex: Knex) {
  await knex.raw('DROP FUNCTION IF EXISTS audit_append_rows(jsonb, bigint, text)');
  await knex.raw('DROP FUNCTION IF EXISTS audit_lock_head()');
}
