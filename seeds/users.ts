import type { Knex } from 'knex';
import { createUser, findUserByUsername, type Role, type SessionUser } from '../src/auth';

/** Demo only: every demo account has this password (README, "Demo users"). */
export const DEMO_PASSWORD = 'Warmth-demo-2026';

export const DEMO_USERS: { username: string; displayName: string; roles: Role[]; district?: string }[] = [
  { username: 'admin', displayName: '系统管理员 Admin', roles: ['admin'] },
  { username: 'officer.cy', displayName: '朝阳区帮扶专干 CY officer', roles: ['officer'], district: 'CY' },
  { username: 'officer.cy2', displayName: '朝阳区帮扶专干二 CY officer 2', roles: ['officer'], district: 'CY' },
  { username: 'officer.hd', displayName: '海淀区帮扶专干 HD officer', roles: ['officer'], district: 'HD' },
  { username: 'approver.cy', displayName: '朝阳区审批人 CY approver', roles: ['approver'], district: 'CY' },
  { username: 'approver.hd', displayName: '海淀区审批人 HD approver', roles: ['approver'], district: 'HD' },
  { username: 'approver.wf', displayName: '基金会审批人 Foundation approver', roles: ['approver'] },
  { username: 'approver.wf2', displayName: '基金会审批人二 Foundation approver 2', roles: ['approver'] },
  { username: 'finance', displayName: '财务 Finance', roles: ['finance'] },
  { username: 'auditor', displayName: '审计 Auditor', roles: ['auditor'] },
];

export async function seedUsers(trx: Knex.Transaction) {
  // The demo password is in the README: these accounts must never exist on a production server.
  if (process.env.NODE_ENV === 'production') throw new Error('demo users are never created with NODE_ENV=production');
  for (const u of DEMO_USERS) {
    if (await trx('users').where({ username: u.username }).first()) continue;
    await createUser(trx, 'seed', { ...u, password: DEMO_PASSWORD });
  }
}

/** A demo user the later seed steps act as (users are seeded first). */
export async function demoUser(trx: Knex.Transaction, username: string): Promise<SessionUser> {
  const u = await findUserByUsername(trx, username);
  if (!u) throw new Error(`seed: demo user ${username} is missing`);
  return u;
}
