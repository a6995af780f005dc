import { decryptPersonal, encryptPersonal } from '../platform/personal-data';
import type { Member } from './model';

// Household members' health (health notes, disability) and work status (the family's income sources) are
// personal data of the most sensitive kind: at rest they live only inside `sealed`, an AES-GCM value
// (platform/personal-data, DATA_KEY) holding {health, workStatus}. Name, relation and age stay in clear (the
// name as the head's name does; age for the tracker's figures). Stored member: {name, relation, age?, sealed?}.

/** The member fields that are sealed at rest and never written to history or audit rows. */
export const SEALED_MEMBER_FIELDS = ['health', 'workStatus'] as const;

export interface StoredMember {
  name: string;
  relation: string;
  age?: number;
  sealed?: string;
}

/** One canonical shape (fixed key order, no empty sealed fields), so that comparing two lists is exact. */
function canonical(m: Member): Member {
  const out: Member = { name: m.name, relation: m.relation };
  if (m.age !== undefined && m.age !== null) out.age = m.age;
  for (const f of SEALED_MEMBER_FIELDS) if (m[f]) out[f] = m[f];
  return out;
}

export function sealMembers(members: readonly Member[]): StoredMember[] {
  return members.map((raw) => {
    const m = canonical(raw);
    const out: StoredMember = { name: m.name, relation: m.relation };
    if (m.age !== undefined) out.age = m.age;
    const details: Record<string, string> = {};
    for (const f of SEALED_MEMBER_FIELDS) if (m[f]) details[f] = m[f]!;
    if (Object.keys(details).length) out.sealed = encryptPersonal(JSON.stringify(details));
    return out;
  });
}

/** The members as people read them. A row not yet migrated (fields in clear) reads the same. */
export function openMembers(stored: unknown): Member[] {
  if (!Array.isArray(stored)) return [];
  // Rows written before the sealing migration carry health and work status in clear.
  return stored.map((s: StoredMember & { health?: string; workStatus?: string }) => {
    const details = typeof s.sealed === 'string' ? JSON.parse(decryptPersonal(s.sealed)) : { health: s.health, workStatus: s.workStatus };
    return canonical({ name: s.name, relation: s.relation, age: s.age, health: details.health, workStatus: details.workStatus });
  });
}

/** What history and audit rows keep of a member list: no health, no work status. */
export const redactMembers = (members: readonly Member[]) => members.map((m) => ({ name: m.name, relation: m.relation, ...(m.age !== undefined ? { age: m.age } : {}) }));

export const sameMembers = (a: readonly Member[], b: readonly Member[]) => JSON.stringify(a.map(canonical)) === JSON.stringify(b.map(canonical));
