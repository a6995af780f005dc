import { Router } from 'express';
import Joi from 'joi';
import { defineRoute, type AppContext } from '../http/route';
import { intCursor, pageQuery } from '../platform/paging';
import { OWNER_KINDS } from './model';
import { attachDocument, documentSettings, getDocument, listDocuments, sendDocumentContent, unsupportedType, withdrawDocument, type AttachInput, type DocumentQuery } from './service';

const id = Joi.number().integer().min(1).max(2147483647);
const idParams = Joi.object({ id: id.required() });
const text = (max: number) => Joi.string().trim().min(1).max(max).pattern(/^[^\u0000-\u001f\u007f]*$/).messages({ 'string.pattern.base': '{{#label}} must not contain control characters' });
const READERS = ['officer', 'approver', 'auditor'] as const;

export function documentRoutes(app: AppContext) {
  const r = Router();
  const settings = documentSettings(app.config);

  defineRoute<unknown, AttachInput>(r, app, {
    method: 'post', path: '/documents', tag: 'documents', access: ['officer'], write: true, ownTransaction: true, status: 201,
    summary: 'Attach a supporting document (证明材料): the request body is the file itself (PDF, JPEG, PNG or HEIC by its content, at most DOCUMENT_MAX_BYTES); 415 for any other type, 413 when too large. Officers of the owner’s district',
    query: Joi.object({ ownerKind: Joi.string().valid(...OWNER_KINDS).required(), ownerId: id.required(), title: text(200).required() }),
    openapi: { requestBody: { required: true, content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } }, 'image/*': { schema: { type: 'string', format: 'binary' } } } } },
    handler: async ({ req, user, query }) => {
      // A JSON (or form) body was already read by a body parser: the file must come as the raw body.
      if (req.body !== undefined || req.readableEnded) throw unsupportedType(req.get('content-type') ?? undefined);
      const length = req.get('content-length');
      return { status: 201, body: await attachDocument(app.db, settings, user!, query, req, length && /^\d{1,15}$/.test(length) ? Number(length) : undefined) };
    },
  });
  defineRoute<unknown, DocumentQuery>(r, app, {
    method: 'get', path: '/documents', tag: 'documents', access: READERS,
    summary: 'Documents of one owner (ownerKind + ownerId), or of a household file with those of its records and cases (householdId): metadata only, newest first',
    query: Joi.object({ ownerKind: Joi.string().valid(...OWNER_KINDS), ownerId: id, householdId: id, ...pageQuery, cursor: intCursor })
      .and('ownerKind', 'ownerId').xor('ownerKind', 'householdId'),
    handler: async ({ user, query }) => listDocuments(app.db, settings, user!, query),
  });
  defineRoute<unknown, unknown, { id: number }>(r, app, {
    method: 'get', path: '/documents/:id', tag: 'documents', access: READERS,
    summary: 'One document’s metadata (auditors also see its SHA-256)',
    params: idParams,
    handler: async ({ user, params }) => getDocument(app.db, settings, user!, params.id),
  });
  defineRoute<unknown, unknown, { id: number }>(r, app, {
    method: 'get', path: '/documents/:id/content', tag: 'documents', access: READERS, produces: 'application/pdf',
    summary: 'The document itself, streamed (Content-Type as sniffed at upload, inline); every view is audited (document.viewed); 410 once erased',
    params: idParams,
    handler: async ({ user, params, res }) => sendDocumentContent(app.db, settings, user!, params.id, res),
  });
  defineRoute<{ reason: string }, unknown, { id: number }>(r, app, {
    method: 'post', path: '/documents/:id/withdraw', tag: 'documents', access: ['officer'], write: true,
    summary: 'Withdraw a document with a reason (never deleted: its bytes are kept DOCUMENT_RETENTION_YEARS, then erased; the record and hash stay)',
    params: idParams,
    body: Joi.object({ reason: text(1000).required() }),
    handler: async ({ trx, user, params, body }) => withdrawDocument(trx, settings, user!, params.id, body),
  });
  return r;
}
