import type { Knex } from 'knex';
import { chainHash, GENESIS_HASH, type HashVersion } from '../../src/audit';
import { chainRowOf } from '../../src/audit/service';
import { createKnex } from '../../src/platform/db';
import { ADMIN } from '../support/env';
import { apiAt, type ApiOptions } from '../support/api';

/** A connection as the role that owns the schema: the only one that may disable triggers (tampering). */
export function ownerDb(url: string): Knex {
  return createKnex(url, { min: 0, max: 2 });
}

/** Runs fn as the owner with the user triggers of these tables off (what an owner who tampers does). */
export async function withTriggersOff<T>(owner: Knex, tables: string[], fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return owner.transaction(async (trx) => {
    for (const t of tables) await trx.raw(`ALTER TABLE ${t} DISABLE TRIGGER USER`);
    const out = await fn(trx);
    for (const t of tables) await trx.raw(`ALTER TABLE ${t} ENABLE TRIGGER USER`);
    return out;
  });
}

/**
 * History rewritten with the owner's rights: every hash from row `from` on recomputed (under each row's
 * version, or the one `versionOf` gives), every link re-made, the head moved. The plain chain check then
 * passes: only a checkpoint saved before can tell.
 */
export async function rehashFrom(trx: Knex.Transaction, from: number, versionOf?: (seq: number) => HashVersion) {
  let prevHash = from <= 1 ? GENESIS_HASH : (await trx('audit_log').where({ seq: from - 1 }).first()).hash;
  const rows = await trx('audit_log').where('seq', '>=', from).orderBy('seq');
  for (const r of rows) {
    const row = { ...chainRowOf(r), prevHash, hashVersion: versionOf ? versionOf(Number(r.seq)) : chainRowOf(r).hashVersion };
    const hash = chainHash(row);
    await trx('audit_log').where({ seq: r.seq }).update({ prev_hash: prevHash, hash, hash_version: row.hashVersion });
    prevHash = hash;
  }
  const last = rows.length ? Number(rows[rows.length - 1].seq) : from - 1;
  await trx('audit_head').where({ id: 1 }).update({ seq: last, hash: prevHash });
}

/** Plain HTTP to a service of its own (test/support/api.ts talks to the shared one). */
export function client(baseUrl: string) {
  const call = (method: string, path: string, opts: ApiOptions = {}) => apiAt(baseUrl, method, path, opts);
  let n = 0;
  const login = async (username: string, password: string) => {
    const r = await call('POST', '/auth/login', { body: { username, password } });
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
    return r.body.token as string;
  };
  const user = async (roles: string[]) => {
    const admin = await login(ADMIN.username, ADMIN.password);
    const username = `audit-t${++n}-${roles.join('-')}`;
    const r = await call('POST', '/users', { token: admin, body: { username, password: 'Test-pass-12345', displayName: username, roles } });
    if (r.status !== 201) throw new Error(`user: ${r.status} ${r.text}`);
    return { token: await login(username, 'Test-pass-12345'), username, id: r.body.id as number };
  };
  return { call, login, user };
}
