import type { Knex } from 'knex';
import { encryptPersonal } from '../src/platform/personal-data';

// Household members' health and work status (health notes, disability, income sources) encrypted at rest, as
// ID numbers are: each member {name, relation, age, health, workStatus} becomes {name, relation, age, sealed}
// where sealed = AES-GCM({health, workStatus}) with DATA_KEY (format: src/households/members.ts). Kept here in
// full, not imported, so a later change to the domain's code does not change what this migration did.
//
// The key: the service configures DATA_KEY before it migrates (src/server.ts), so this migration encrypts the
// rows in place. On a database with such rows and no key configured it stops with "DATA_KEY is not configured"
// (nothing is changed: the migration runs in a transaction). A database without members in clear needs no key.
//
// The file history (household_events, kind 'updated') kept old → new member lists with these fields in clear:
// they are reduced to name, relation and age with `healthOrWorkRedacted: true`. Audit rows written before this
// migration are immutable and chained; their private payloads are left as they are (see docs/households.md).

const SEALED = ['health', 'workStatus'] as const;

function sealMember(m: any) {
  if (!m || typeof m !== 'object' || typeof m.sealed === 'string') return m;
  const out: Record<string, unknown> = { name: m.name, relation: m.relation };
  if (m.age !== undefined && m.age !== null) out.age = m.age;
  const details: Record<string, string> = {};
  for (const f of SEALED) if (m[f]) details[f] = String(m[f]);
  if (Object.keys(details).length) out.sealed = encryptPersonal(JSON.stringify(details));
  return out;
}

const redact = (list: unknown) =>
  Array.isArray(list) ? list.map((m: any) => ({ name: m?.name, relation: m?.relation, ...(m?.age !== undefined ? { age: m.age } : {}) })) : list;

const hasClearDetails = (list: unknown) => Array.isArray(list) && list.some((m: any) => m && SEALED.some((f) => f in m));

export async function up(knex: Knex) {
  let after = 0;
  for (;;) {
    const rows = await knex('households')
      .where('id', '>', after)
      .whereRaw('jsonb_path_exists(members, ?::jsonpath)', ['$[*] ? (exists(@.health) || exists(@.workStatus))'])
      .orderBy('id')
      .limit(1000)
      .select('id', 'members');
    if (!rows.length) break;
    for (const r of rows) await knex('households').where({ id: r.id }).update({ members: JSON.stringify(r.members.map(sealMember)) });
    after = rows[rows.length - 1].id;
  }
  const events = await knex('household_events').where({ kind: 'updated' }).whereRaw(`changes::text LIKE '%"members"%'`).select('id', 'changes');
  for (const e of events) {
    if (!Array.isArray(e.changes)) continue;
    let touched = false;
    const changes = e.changes.map((c: any) => {
      if (c?.field !== 'members' || !(hasClearDetails(c.old) || hasClearDetails(c.new))) return c;
      touched = true;
      return { field: 'members', old: redact(c.old), new: redact(c.new), healthOrWorkRedacted: true };
    });
    if (touched) await knex('household_events').where({ id: e.id }).update({ changes: JSON.stringify(changes) });
  }
}

export async function down() {
  // Not reversed: decrypting personal data back into clear is not something a rollback should do.
}
