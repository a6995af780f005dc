// Users, roles, bearer tokens. Other domains read the caller from req.user and the scope helpers in model.
export { ROLES, INCOMPATIBLE_ROLES, incompatibleRoles, hasRole, canSeeDistrict, districtScope, isFoundationApprover } from './model';
export type { Role, SessionUser, UserView } from './model';
export { authenticate } from './middleware';
export { startTokenCache } from './token-cache';
export { authRoutes } from './routes';
export { createUser, ensureAdmin, findUserByUsername, configurePasswordHashing, usersWithIncompatibleRoles, describeUserChange, USER_CHANGE_ACTIONS } from './service';
