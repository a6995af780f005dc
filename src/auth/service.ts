import bcrypt from 'bcryptjs';
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Db } from '../platform/db';
import { clock } from '../platform/clock';
import { AppError, badRequest, conflict, notFound, unprocessable } from '../platform/errors';
import { appendAudit } from '../audit';
import { districtExists } from '../reference';
import { incompatibleRoles, type Role, type SessionUser, type UserView } from './model';
import { invalidateTokenCaches, tokenCacheOf, type CachedSession } from './token-cache';

const MAX_FAILED_LOGINS = 5;
const LOCKOUT_MS = 15 * 60_000;
const tokenHash = (token: string) => crypto.createHash('sha256').update(token).digest('hex');

let hashRounds = 10;
export function configurePasswordHashing(rounds: number) {
  hashRounds = rounds;
}

// A hash to compare against when the username is unknown, so a wrong username costs as long as a wrong password.
let dummyHash: string | undefined;

/** A row of users as the database gives it. */
interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  display_name: string;
  roles: Role[];
  district: string | null;
  disabled: boolean;
  failed_logins: number;
  locked_until: Date | null;
  created_at: Date | string;
}

function toView(row: UserRow): UserView {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    roles: row.roles,
    district: row.district ?? null,
    disabled: row.disabled,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export interface NewUser {
  username: string;
  password: string;
  displayName: string;
  roles: Role[];
  district?: string | null;
}

async function assertScopeValid(db: Db, roles: Role[], district: string | null | undefined) {
  if (roles.includes('officer') && !district) throw badRequest('an officer needs a district', [{ in: 'body', path: 'district', message: '"district" is required for officers' }]);
  if (district && !(await districtExists(db, district))) throw badRequest(`unknown district ${district}`, [{ in: 'body', path: 'district', message: `"district" ${district} is not a district code` }]);
}

/** 不相容职务: 422 incompatible_roles naming the pairs. */
function assertRolesCompatible(roles: Role[]) {
  const pairs = incompatibleRoles(roles);
  if (pairs.length) {
    throw unprocessable(
      'incompatible_roles',
      `不相容职务：同一用户不得兼任 ${pairs.map(([a, b]) => `${a} + ${b}`).join('、')} · incompatible duties: one user may not hold ${pairs.map(([a, b]) => `${a} and ${b}`).join(', nor ')}`,
      { roles, incompatible: pairs },
    );
  }
}

/** What the audit row of a user change keeps: never a password or its hash. */
const userFacts = (row: Pick<UserRow, 'display_name' | 'roles' | 'district' | 'disabled'>) => ({ displayName: row.display_name, roles: row.roles, district: row.district ?? null, disabled: row.disabled });

export async function createUser(trx: Knex.Transaction, actor: string, u: NewUser): Promise<UserView> {
  await assertScopeValid(trx, u.roles, u.district);
  assertRolesCompatible(u.roles);
  if (await trx('users').where({ username: u.username }).first()) throw conflict('duplicate_username', `the username ${u.username} is taken`);
  const [row] = await trx('users')
    .insert({
      username: u.username,
      password_hash: await bcrypt.hash(u.password, hashRounds),
      display_name: u.displayName,
      roles: u.roles,
      district: u.district ?? null,
    })
    .returning('*');
  await appendAudit(trx, {
    actor,
    action: 'user.created',
    subject: `user:${row.id}`,
    privatePayload: { username: u.username, roles: u.roles, district: u.district ?? null, after: userFacts(row) },
  });
  return toView(row);
}

export interface UserChange {
  disabled?: boolean;
  roles?: Role[];
  district?: string | null;
  displayName?: string;
  password?: string;
}

export async function updateUser(trx: Knex.Transaction, actor: SessionUser, id: number, change: UserChange): Promise<UserView> {
  const before = await trx('users').where({ id }).forUpdate().first();
  if (!before) throw notFound(`user ${id}`);
  const roles = change.roles ?? before.roles;
  const district = change.district === undefined ? before.district : change.district;
  await assertScopeValid(trx, roles, district);
  // Checked when roles are given or a user is enabled: a user made before the rule can still be disabled or renamed.
  const disabledAfter = change.disabled ?? before.disabled;
  if (!disabledAfter && (change.roles !== undefined || before.disabled)) assertRolesCompatible(roles);
  if (id === actor.id && (change.disabled || (change.roles && !change.roles.includes('admin')))) {
    throw conflict('invalid_state', 'an admin cannot disable or demote themselves');
  }
  const patch: Record<string, unknown> = { roles, district };
  if (change.disabled !== undefined) patch.disabled = change.disabled;
  if (change.displayName !== undefined) patch.display_name = change.displayName;
  if (change.password !== undefined) {
    patch.password_hash = await bcrypt.hash(change.password, hashRounds);
    patch.failed_logins = 0;
    patch.locked_until = null;
  }
  const [row] = await trx('users').where({ id }).update(patch).returning('*');
  invalidateTokenCaches(trx);
  if (change.disabled || change.password !== undefined) {
    await trx('sessions').where({ user_id: id }).whereNull('revoked_at').update({ revoked_at: clock.now() });
  }
  // Every change of rights is its own audit row with the state before and after (the attestation PDF lists them).
  const action = row.disabled && !before.disabled ? 'user.disabled' : !row.disabled && before.disabled ? 'user.enabled' : 'user.updated';
  await appendAudit(trx, {
    actor: actor.username,
    action,
    subject: `user:${id}`,
    privatePayload: {
      username: row.username,
      changed: Object.keys(change).filter((k) => k !== 'password'),
      passwordReset: change.password !== undefined,
      roles,
      district,
      disabled: row.disabled,
      before: userFacts(before),
      after: userFacts(row),
    },
  });
  return toView(row);
}

/** Users holding an incompatible pair of roles (made before the rule): for a warning at start. */
export async function usersWithIncompatibleRoles(db: Db): Promise<{ username: string; roles: Role[] }[]> {
  const rows: Pick<UserRow, 'username' | 'roles'>[] = await db('users').where({ disabled: false }).select('username', 'roles').orderBy('id');
  return rows.filter((r) => incompatibleRoles(r.roles).length > 0).map((r) => ({ username: r.username, roles: r.roles }));
}

export const USER_CHANGE_ACTIONS = ['user.created', 'user.updated', 'user.disabled', 'user.enabled'] as const;

const roleList = (roles: unknown) => (Array.isArray(roles) && roles.length ? roles.join(',') : '—');
const orDash = (v: unknown) => (v === null || v === undefined || v === '' ? '—' : String(v));

/**
 * One line for a user-change audit row (its private payload), for the attestation PDF: "what changed".
 * Rows written before `before`/`after` were recorded show the state after the change only.
 */
/** The private payload of a user-change audit row, as recorded over time (older rows lack before/after). */
export interface UserChangePayload {
  username?: unknown;
  roles?: unknown;
  district?: unknown;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  [field: string]: unknown;
}

export function describeUserChange(action: string, p: UserChangePayload | null | undefined): { username: string; what: string } {
  const username = String(p?.username ?? '?');
  if (action === 'user.created') return { username, what: `创建 created · 角色 roles ${roleList(p?.roles)} · 区 district ${orDash(p?.district)}` };
  const parts: string[] = [];
  if (action === 'user.disabled') parts.push('停用 disabled');
  if (action === 'user.enabled') parts.push('启用 enabled');
  const b = p?.before;
  const a = p?.after ?? { roles: p?.roles, district: p?.district };
  if (b) {
    if (roleList(b.roles) !== roleList(a.roles)) parts.push(`角色 roles ${roleList(b.roles)} → ${roleList(a.roles)}`);
    if (orDash(b.district) !== orDash(a.district)) parts.push(`区 district ${orDash(b.district)} → ${orDash(a.district)}`);
    if (b.displayName !== a.displayName) parts.push('姓名 name changed');
  } else if (Array.isArray(p?.changed) && (p.changed.includes('roles') || p.changed.includes('district'))) {
    parts.push(`角色 roles → ${roleList(a.roles)} · 区 district → ${orDash(a.district)}`);
  }
  if (p?.passwordReset) parts.push('重置密码 password reset');
  if (!parts.length) parts.push('无权限变化 no change of rights');
  return { username, what: parts.join(' · ') };
}

export async function listUsers(db: Db): Promise<UserView[]> {
  return (await db('users').orderBy('id')).map(toView);
}

export async function findUserByUsername(db: Db, username: string) {
  const row = await db('users').where({ username }).first();
  return row ? toView(row) : undefined;
}

/** Checks the password, counts failures and locks the account for a while after too many. */
export async function login(trx: Knex.Transaction, username: string, password: string, ttlMs: number) {
  const row = await trx('users').where({ username }).forUpdate().first();
  const now = clock.now();
  if (!row) {
    dummyHash ??= await bcrypt.hash('not-a-password', hashRounds);
    await bcrypt.compare(password, dummyHash);
    return { error: new AppError(401, 'invalid_credentials', 'wrong username or password') };
  }
  if (row.locked_until && new Date(row.locked_until) > now) {
    return { error: new AppError(429, 'account_locked', 'too many failed logins: try again later', { lockedUntil: new Date(row.locked_until).toISOString() }) };
  }
  if (!(await bcrypt.compare(password, row.password_hash))) {
    const failed = row.failed_logins + 1;
    const lock = failed >= MAX_FAILED_LOGINS;
    await trx('users').where({ id: row.id }).update({ failed_logins: lock ? 0 : failed, locked_until: lock ? new Date(now.getTime() + LOCKOUT_MS) : null });
    return { error: new AppError(401, 'invalid_credentials', 'wrong username or password') };
  }
  if (row.disabled) return { error: new AppError(401, 'invalid_credentials', 'wrong username or password') };
  const token = crypto.randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + ttlMs);
  await trx('users').where({ id: row.id }).update({ failed_logins: 0, locked_until: null });
  await trx('sessions').insert({ token_hash: tokenHash(token), user_id: row.id, created_at: now, expires_at: expiresAt });
  await appendAudit(trx, { actor: row.username, action: 'auth.login', subject: `user:${row.id}` });
  return { token, expiresAt: expiresAt.toISOString(), user: toView(row) };
}

export async function logout(trx: Knex.Transaction, token: string, user: SessionUser) {
  await trx('sessions').where({ token_hash: tokenHash(token) }).update({ revoked_at: clock.now() });
  invalidateTokenCaches(trx);
  await appendAudit(trx, { actor: user.username, action: 'auth.logout', subject: `user:${user.id}` });
}

/** The user behind a bearer token, if the token is known, unexpired, unrevoked and the user enabled. */
export async function userForToken(db: Knex, token: string): Promise<SessionUser | undefined> {
  const hash = tokenHash(token);
  const load = () => sessionForTokenHash(db, hash);
  const cache = tokenCacheOf(db);
  return cache ? cache.lookup(hash, load) : (await load())?.user;
}

async function sessionForTokenHash(db: Db, hash: string): Promise<CachedSession | undefined> {
  const row = await db('sessions as s')
    .join('users as u', 'u.id', 's.user_id')
    .where('s.token_hash', hash)
    .whereNull('s.revoked_at')
    .where('s.expires_at', '>', clock.now())
    .where('u.disabled', false)
    .first('u.*', 's.expires_at as session_expires_at');
  if (!row) return undefined;
  return { user: { id: row.id, username: row.username, displayName: row.display_name, roles: row.roles, district: row.district ?? null }, expiresAt: new Date(row.session_expires_at) };
}

/** ADMIN_USERNAME / ADMIN_PASSWORD: created at start if no such user exists. */
export async function ensureAdmin(db: Knex, username: string, password: string) {
  await db.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(7301)');
    if (await trx('users').where({ username }).first()) return;
    await createUser(trx, 'system', { username, password, displayName: '系统管理员 Administrator', roles: ['admin'] });
  });
}
