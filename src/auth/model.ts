export const ROLES = ['admin', 'officer', 'approver', 'finance', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/**
 * 不相容职务 Incompatible duties: pairs of roles one user may never hold together (whoever keeps the books
 * or approves aid is not the one who grants rights, and whoever approves is not the one who pays).
 */
export const INCOMPATIBLE_ROLES: readonly (readonly [Role, Role])[] = [
  ['admin', 'finance'],
  ['admin', 'approver'],
  ['finance', 'approver'],
];

/** The incompatible pairs among these roles (empty when the combination is allowed). */
export const incompatibleRoles = (roles: readonly string[]) => INCOMPATIBLE_ROLES.filter(([a, b]) => roles.includes(a) && roles.includes(b));

/** The caller of a request, as the auth middleware found it. */
export interface SessionUser {
  id: number;
  username: string;
  displayName: string;
  roles: Role[];
  /** Officers and district approvers act only in this district; null means city-wide. */
  district: string | null;
}

export interface UserView extends SessionUser {
  disabled: boolean;
  createdAt: string;
}

export const hasRole = (u: SessionUser | undefined, ...roles: Role[]) => !!u && u.roles.some((r) => roles.includes(r));

/** A foundation-level approver is an approver with no district. */
export const isFoundationApprover = (u: SessionUser) => u.roles.includes('approver') && !u.district;

/**
 * District scope: officers and district approvers see only their own district; admins, finance, auditors
 * and foundation approvers see all. A user holding a city-wide role is city-wide.
 */
export function canSeeDistrict(u: SessionUser, district: string) {
  if (u.roles.some((r) => r === 'admin' || r === 'finance' || r === 'auditor')) return true;
  if (!u.district) return true;
  return u.district === district;
}

/** The district a list must be narrowed to for this user, or null when the user is city-wide. */
export function districtScope(u: SessionUser): string | null {
  return canSeeDistrict(u, '\u0000') ? null : u.district;
}
