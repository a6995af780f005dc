// Supporting documents (证明材料): files attached to household records and aid cases, sealed at rest.
// Other domains call only what is exported here.
export { documentRoutes } from './routes';
export { eraseExpiredDocuments } from './service';
export { OWNER_KINDS, MEDIA_TYPES } from './model';
export type { OwnerKind, MediaType } from './model';
