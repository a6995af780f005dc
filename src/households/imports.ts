// Bulk import of household files (issue 18): the template, the preview (dryRun), the import (all-or-nothing
// or onlyValid), and the imports' record. Each row goes through the same checks as POST /households (its joi
// schema, the ID check, the district scope, the duplicate rule) and is stored the same way (service.ts:
// newHouseholdRow, createdEvent, createdAudit), only set-based: one look-up of every ID number, inserts in
// batches, one audit append for the whole file, all in one transaction.
import crypto from 'node:crypto';
import type { Router } from 'express';
import Joi from 'joi';
import type { Knex } from 'knex';
import type { Db } from '../platform/db';
import { defineRoute, type AppContext } from '../http/route';
import { AppError, badRequest, notFound, unprocessable } from '../platform/errors';
import { clock } from '../platform/clock';
import { keyedHash } from '../platform/personal-data';
import { intCursor, pageQuery, type Page } from '../platform/paging';
import { str, strOrNull, date, type Raw } from '../platform/rows';
import { appendAuditBatch, type AuditEntry } from '../audit';
import { districtScope, type SessionUser } from '../auth';
import { listDistricts } from '../reference';
import type { HouseholdInput } from './model';
import { createBody } from './routes';
import { activeFilesByHash, canWriteDistrict, createdAudit, createdEvent, duplicateHousehold, eventRow, newHouseholdRow } from './service';
import { parseImportFile, placeOf, templateWorkbook, type ImportProblem, type ParsedHousehold } from './imports-parse';

/** Largest file one import takes (its base64 fits the 28 MB body of LARGE_BODY_PATHS). */
export const MAX_IMPORT_FILE_BYTES = 10_000_000;
const IMPORTERS = ['officer', 'admin'] as const;
const VIEWERS = ['officer', 'admin', 'auditor'] as const;
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const BATCH = 1000;
/** Base64 with or without padding, checked without a backtracking regex (a 28 MB string would overflow its stack). */
const isBase64 = (t: string) => t.length > 0 && t.length % 4 !== 1 && !/[^A-Za-z0-9+/=]/.test(t)
  && (!t.includes('=') || (t.length % 4 === 0 && t.indexOf('=') >= t.length - 2));

export interface ImportBody {
  contentBase64: string;
  fileName?: string;
  encoding?: 'utf-8' | 'gbk';
  dryRun?: boolean;
  onlyValid?: boolean;
}

export interface CheckedRow {
  row: number;
  valid: boolean;
  /** The file as read (the uploader's own data: nothing here is from the database). */
  headName: string | null;
  idNumber: string | null;
  district: string | null;
  category: string | null;
  memberCount: number | null;
  members: number;
  problems: ImportProblem[];
  /** For a valid row: the input as POST /households would take it. */
  input?: HouseholdInput;
}

export interface CheckedFile {
  format: string;
  encoding: string;
  sha256: string;
  rows: CheckedRow[];
  fileProblems: ImportProblem[];
}

// The schema's messages in Chinese, by joi's error type (the English message is joi's own).
function zhOfSchemaError(type: string, column: string, ctx: Record<string, unknown>): string {
  switch (type) {
    case 'any.required': return `“${column}”必填`;
    case 'string.empty': return `“${column}”不能为空`;
    case 'string.max': return `“${column}”不能超过 ${String(ctx.limit)} 个字`;
    case 'string.min': return `“${column}”不能为空`;
    case 'string.pattern.base': return `“${column}”格式不对`;
    case 'idNumber.invalid': return `身份证号无效：${String(ctx.problem)}`;
    case 'number.min': case 'number.max': case 'number.integer': case 'number.base': return `“${column}”超出范围或不是整数`;
    case 'array.max': return `“${column}”最多 ${String(ctx.limit)} 项`;
    case 'array.min': return `“${column}”至少 1 项`;
    case 'array.unique': return `“${column}”有重复`;
    default: return `“${column}”有误`;
  }
}

function schemaProblems(h: ParsedHousehold, sheet: string): { problems: ImportProblem[]; value?: HouseholdInput } {
  const { value, error } = createBody.validate(h.input, { abortEarly: false, convert: false });
  if (!error) return { problems: [], value: value as HouseholdInput };
  const already = new Set(h.problems.map((p) => p.field));
  const problems: ImportProblem[] = [];
  for (const d of error.details) {
    const at = placeOf(h, d.path, sheet);
    // A cell the reader already refused (unknown category …) is not reported again as "required".
    if (already.has(at.field) || (at.field === 'causes' && (already.has('cause') || already.has('otherCauses')))) continue;
    problems.push({ sheet: at.sheet, row: at.row, column: at.column, field: at.field, message: d.message, messageZh: zhOfSchemaError(d.type, at.column, d.context ?? {}) });
  }
  return { problems };
}

/**
 * Reads and checks a file, row by row: what POST /households would refuse, rows of another district than the
 * importer's, member count against members, the same ID number twice in the file, and an active file of the
 * ID number (named only within the importer's district, as the 409 duplicate_household rule). Writes nothing.
 */
export async function checkImportFile(db: Db, actor: SessionUser, body: ImportBody, maxRows: number): Promise<CheckedFile> {
  const bytes = Buffer.from(body.contentBase64, 'base64');
  if (bytes.length === 0) throw badRequest('the file is empty', [{ in: 'body', path: 'contentBase64', message: 'the file is empty' }]).zh('文件是空的');
  if (bytes.length > MAX_IMPORT_FILE_BYTES) {
    throw new AppError(413, 'payload_too_large', `the file is larger than ${MAX_IMPORT_FILE_BYTES} bytes`, { maxBytes: MAX_IMPORT_FILE_BYTES, bytes: bytes.length })
      .zh(`文件超过 ${MAX_IMPORT_FILE_BYTES / 1_000_000} MB，请分成几个文件导入`);
  }
  const districts = await listDistricts(db);
  const parsed = parseImportFile(bytes, { encoding: body.encoding, districts });
  if (parsed.rows.length > maxRows) {
    throw new AppError(413, 'payload_too_large', `the file has ${parsed.rows.length} household rows; one import takes at most ${maxRows}`, { maxRows, rows: parsed.rows.length })
      .zh(`文件有 ${parsed.rows.length} 行档案，一次最多导入 ${maxRows} 行，请分成几个文件导入`);
  }
  const sheet = parsed.sheet;
  const rows: CheckedRow[] = parsed.rows.map((h) => {
    // The schema of POST /households (its ID check is the households model's idNumberProblem).
    const { problems, value } = schemaProblems(h, sheet);
    const all = [...h.problems, ...problems];
    const where = (field: string) => placeOf(h, [field], sheet);
    const add = (field: string, message: string, messageZh: string) => { const at = where(field); all.push({ sheet: at.sheet, row: at.row, column: at.column, field, message, messageZh }); };
    if (h.input.district && !canWriteDistrict(actor, h.input.district)) {
      add('district', `you may import files only into your own district (${actor.district ?? 'none'})`, `只能导入本区（${actor.district ?? '无'}）的档案`);
    }
    const listed = h.input.members?.length ?? 0;
    if (listed > 0 && h.input.memberCount && h.input.memberCount !== listed + 1) {
      add('memberCount', `the member count ${h.input.memberCount} does not match the ${listed} members listed plus the head (${listed + 1})`,
        `家庭人口 ${h.input.memberCount} 与列出的 ${listed} 名家庭成员加户主（${listed + 1} 人）不符`);
    }
    return {
      row: h.row, valid: all.length === 0, headName: h.input.headName ?? null, idNumber: h.input.idNumber ?? null, district: h.input.district ?? null,
      category: h.input.category ?? null, memberCount: h.input.memberCount ?? null, members: listed, problems: all, ...(value ? { input: value } : {}),
    };
  });

  // The same ID number twice in the file: every occurrence, since which one is right is the uploader's to say.
  const byId = new Map<string, CheckedRow[]>();
  for (const r of rows) if (r.input) byId.set(r.input.idNumber, [...(byId.get(r.input.idNumber) ?? []), r]);
  for (const same of byId.values()) {
    if (same.length < 2) continue;
    for (const r of same) {
      const others = same.filter((o) => o !== r).map((o) => o.row);
      r.problems.push({ sheet, row: r.row, column: '身份证号', field: 'idNumber', message: `the same ID number is on row(s) ${others.join(', ')} of the file`, messageZh: `身份证号与文件第 ${others.join('、')} 行重复` });
    }
  }
  // Active files of these ID numbers, one query per 5,000.
  const hashOf = new Map<CheckedRow, string>();
  for (const r of rows) if (r.input) hashOf.set(r, keyedHash(r.input.idNumber));
  const existing = await activeFilesByHash(db, [...new Set(hashOf.values())]);
  for (const [r, hash] of hashOf) {
    const other = existing.get(hash);
    if (!other) continue;
    const e = duplicateHousehold(actor, other);
    r.problems.push({ sheet, row: r.row, column: '身份证号', field: 'idNumber', message: e.message, messageZh: e.messageZh ?? e.message });
  }
  for (const r of rows) r.valid = r.problems.length === 0;
  return { format: parsed.format, encoding: parsed.encoding, sha256: crypto.createHash('sha256').update(bytes).digest('hex'), rows, fileProblems: parsed.fileProblems };
}

/** The preview's answer: every row with its problems (the inputs themselves are not echoed twice). */
export function previewOf(c: CheckedFile, fileName: string | null) {
  const invalid = c.rows.filter((r) => !r.valid).length;
  return {
    dryRun: true, fileName, format: c.format, encoding: c.encoding, sha256: c.sha256,
    rows: c.rows.length, valid: c.rows.length - invalid, invalid,
    problemCount: c.fileProblems.length + c.rows.reduce((n, r) => n + r.problems.length, 0),
    fileProblems: c.fileProblems,
    items: c.rows.map(({ input: _input, ...r }) => r),
  };
}

/**
 * Imports a checked file in the caller's transaction: every row (refused as a whole, 422 import_has_problems,
 * when any row or the file has a problem), or with onlyValid the valid rows only. One household_imports row,
 * the files, their 'created' events and one `household.created` audit row each, then `household.imported`.
 */
export async function importHouseholds(trx: Knex.Transaction, actor: SessionUser, body: ImportBody, c: CheckedFile) {
  const valid = c.rows.filter((r) => r.valid && r.input);
  const invalid = c.rows.filter((r) => !r.valid);
  if (!body.onlyValid && (invalid.length || c.fileProblems.length)) {
    const problems = [...c.fileProblems, ...invalid.flatMap((r) => r.problems)];
    throw unprocessable('import_has_problems', `${invalid.length} of ${c.rows.length} rows (and ${c.fileProblems.length} file problems) have problems: nothing was imported (send onlyValid: true to import the ${valid.length} valid rows)`, {
      rows: c.rows.length, valid: valid.length, invalid: invalid.length, problems: problems.slice(0, 200),
    }).zh(`${c.rows.length} 行中有 ${invalid.length} 行有问题${c.fileProblems.length ? `，另有 ${c.fileProblems.length} 处文件问题` : ''}，未导入任何档案（可选择只导入 ${valid.length} 行无问题的）`);
  }
  if (!valid.length) {
    throw unprocessable('import_has_problems', 'no row of the file can be imported', { rows: c.rows.length, valid: 0, invalid: invalid.length, problems: [...c.fileProblems, ...invalid.flatMap((r) => r.problems)].slice(0, 200) })
      .zh('文件中没有可以导入的行');
  }
  const now = clock.now();
  const skipped = invalid.slice(0, 1000).map((r) => ({ row: r.row, problems: r.problems.map((p) => p.messageZh) }));
  const [imp] = await trx('household_imports').insert({
    created_by: actor.username, actor_district: actor.district ?? null, created_at: now, file_name: body.fileName ?? null, format: c.format,
    encoding: c.encoding, file_sha256: c.sha256, row_count: c.rows.length, created_count: valid.length, skipped_count: invalid.length,
    only_valid: !!body.onlyValid, skipped: JSON.stringify(skipped),
  }).returning('id');
  const importId = Number((imp as { id: number }).id);

  // Batch by batch: the sealed rows of one batch only are in memory at a time.
  const audits: AuditEntry[] = [];
  const districts = new Set<string>();
  for (let i = 0; i < valid.length; i += BATCH) {
    const batch = valid.slice(i, i + BATCH).map((r) => ({ row: r.row, input: r.input!, stored: newHouseholdRow(actor, r.input!, r.input!.idNumber, keyedHash(r.input!.idNumber), now) }));
    let ids: { id: number; id_number_hash: string }[];
    try {
      // In a savepoint: after a unique violation the transaction must still answer the look-up below.
      ids = await trx.transaction((sp) => sp('households').insert(batch.map((b) => b.stored)).returning(['id', 'id_number_hash']));
    } catch (e) {
      // Another request filed one of these numbers since the check: the same 409 as a single create.
      if ((e as { code?: string }).code === '23505') {
        const found = await activeFilesByHash(trx, batch.map((b) => b.stored.id_number_hash));
        const first = [...found.values()][0];
        if (first) throw duplicateHousehold(actor, first);
      }
      throw e;
    }
    const idOf = new Map(ids.map((x) => [x.id_number_hash, Number(x.id)]));
    const created = batch.map(({ input, stored }) => ({
      id: idOf.get(stored.id_number_hash)!, head_name: stored.head_name, district: stored.district, union_org: stored.union_org, category: input.category, causes: input.causes,
      monthly_income: input.monthlyIncome, member_count: input.memberCount, status: 'registered' as const, status_date: stored.status_date,
    }));
    await trx('household_events').insert(created.map((h) => eventRow(createdEvent(h, actor))));
    await trx('household_import_files').insert(created.map((h, j) => ({ import_id: importId, household_id: h.id, row: batch[j]!.row })));
    created.forEach((h, j) => {
      districts.add(h.district);
      audits.push(createdAudit(h, actor, batch[j]!.input.members?.length ?? 0, { importId }));
    });
  }
  const created = { length: valid.length };
  audits.push({
    actor: actor.username,
    action: 'household.imported',
    subject: `household-import:${importId}`,
    publicPayload: { importId, created: created.length, districts: [...districts].sort() },
    privatePayload: { importId, fileName: body.fileName ?? null, format: c.format, sha256: c.sha256, rows: c.rows.length, created: created.length, skipped: invalid.length, onlyValid: !!body.onlyValid },
  });
  // Last, in slices: the chain lock is taken by the first and held to the commit; the slices only keep the
  // hashing buffers small (one statement of 20,000 rows would hold ~100 MB of JSON at once).
  for (let i = 0; i < audits.length; i += 2000) await appendAuditBatch(trx, audits.slice(i, i + 2000));
  return { importId, rows: c.rows.length, created: created.length, skipped: invalid.length, skippedRows: skipped, districts: [...districts].sort() };
}

// ------------------------------------------------------------------------------------------ the record

interface ImportRow {
  id: number; created_by: string; actor_district: string | null; created_at: Date; file_name: string | null; format: string; encoding: string;
  file_sha256: string; row_count: number; created_count: number; skipped_count: number; only_valid: boolean; skipped: unknown;
}
const decodeImport = (r: Raw): ImportRow => ({
  id: Number(r.id), created_by: str(r.created_by), actor_district: strOrNull(r.actor_district), created_at: date(r.created_at), file_name: strOrNull(r.file_name),
  format: str(r.format), encoding: str(r.encoding), file_sha256: str(r.file_sha256), row_count: Number(r.row_count), created_count: Number(r.created_count),
  skipped_count: Number(r.skipped_count), only_valid: r.only_valid === true, skipped: r.skipped ?? [],
});
const importView = (r: ImportRow) => ({
  id: r.id, createdBy: r.created_by, district: r.actor_district, createdAt: r.created_at.toISOString(), fileName: r.file_name, format: r.format, encoding: r.encoding,
  sha256: r.file_sha256, rows: r.row_count, created: r.created_count, skipped: r.skipped_count, onlyValid: r.only_valid,
});

/** Officers see their district's imports; admins and auditors all. */
function scoped<T extends Knex.QueryBuilder>(q: T, viewer: SessionUser): T {
  const scope = districtScope(viewer);
  if (scope) q.where({ actor_district: scope });
  return q;
}

export async function listImports(db: Db, viewer: SessionUser, query: { limit: number; cursor?: string }): Promise<Page<ReturnType<typeof importView>>> {
  const q = scoped(db('household_imports').select('*'), viewer).orderBy('id', 'desc').limit(query.limit + 1);
  if (query.cursor) q.where('id', '<', Number(query.cursor));
  const rows = (await q).map(decodeImport);
  const items = rows.slice(0, query.limit).map(importView);
  return { items, nextCursor: rows.length > query.limit ? String(items[items.length - 1]!.id) : null };
}

export async function getImport(db: Db, viewer: SessionUser, id: number, query: { limit: number; cursor?: string }) {
  const found = await scoped(db('household_imports').where({ id }), viewer).first();
  if (!found) throw notFound(`household import ${id}`);
  const imp = decodeImport(found);
  const q = db('household_import_files as f').join('households as h', 'h.id', 'f.household_id').where('f.import_id', id)
    .orderBy('f.row').limit(query.limit + 1).select('f.row', 'h.id', 'h.head_name', 'h.district', 'h.category', 'h.status');
  if (query.cursor) q.where('f.row', '>', Number(query.cursor));
  const rows = (await q).map((r: Raw) => ({ row: Number(r.row), householdId: Number(r.id), headName: str(r.head_name), district: str(r.district), category: str(r.category), status: str(r.status) }));
  const items = rows.slice(0, query.limit);
  return { ...importView(imp), skippedRows: imp.skipped, files: { items, nextCursor: rows.length > query.limit ? String(items[items.length - 1]!.row) : null } };
}

// ------------------------------------------------------------------------------------------ routes

export function importRoutes(r: Router, app: AppContext) {
  defineRoute(r, app, {
    method: 'get', path: '/households/imports/template', tag: 'households', access: IMPORTERS, produces: XLSX_TYPE,
    summary: 'The bulk-import template (.xlsx): Chinese headers with English beneath, one example row, drop-downs for district, category and cause, a 家庭成员 sheet and a 说明 sheet listing the columns',
    openapi: { responses: { 200: { description: 'The workbook', content: { [XLSX_TYPE]: { schema: { type: 'string', format: 'binary' } } } } } },
    handler: async ({ res, user }) => {
      const districts = await listDistricts(app.db);
      const buf = await templateWorkbook(districts, user!.district ?? districts[0]?.code ?? '', app.config.householdImportMaxRows);
      res.type(XLSX_TYPE).setHeader('Content-Disposition', `attachment; filename="household-import-template.xlsx"; filename*=UTF-8''${encodeURIComponent('困难职工家庭档案导入模板.xlsx')}`);
      res.send(buf);
    },
  });
  defineRoute<ImportBody>(r, app, {
    method: 'post', path: '/households/imports', tag: 'households', access: IMPORTERS, write: true, ownTransaction: true, status: 201,
    summary: 'Bulk import of household files from an .xlsx (the template) or CSV (UTF-8 with or without BOM, or GBK; detected) as contentBase64. dryRun: true previews every row with its problems by row and column, storing nothing (200). Otherwise imports all rows, or 422 import_has_problems and nothing stored; onlyValid: true imports the valid rows only (201 {importId, created, skipped}). Officers import into their own district only. More rows than HOUSEHOLD_IMPORT_MAX_ROWS or a file over 10 MB: 413',
    body: Joi.object({
      // Line breaks are dropped first (`base64` and mail programs wrap at 76); a larger file is the service's 413.
      contentBase64: Joi.string().min(1).max(28_000_000).custom((v: string, h) => {
        const t = v.replace(/[ \t\r\n]+/g, '');
        return isBase64(t) ? t : h.error('string.base64');
      }).required(),
      fileName: Joi.string().max(200).pattern(/^[^\u0000-\u001f]*$/),
      encoding: Joi.string().valid('utf-8', 'gbk'),
      dryRun: Joi.boolean().strict(),
      onlyValid: Joi.boolean().strict(),
    }),
    handler: async ({ user, body }) => {
      const checked = await checkImportFile(app.db, user!, body, app.config.householdImportMaxRows);
      if (body.dryRun) return { status: 200, body: previewOf(checked, body.fileName ?? null) };
      // Two imports sharing ID numbers may deadlock on the unique index: the loser rolled back whole, so it is
      // run again (its check is then the single create's 409 duplicate_household).
      for (let attempt = 1; ; attempt++) {
        try {
          const out = await app.db.transaction((trx) => importHouseholds(trx, user!, body, checked));
          return { status: 201, body: out };
        } catch (e) {
          if (attempt >= 3 || !['40P01', '40001'].includes((e as { code?: string }).code ?? '')) throw e;
        }
      }
    },
  });
  defineRoute<unknown, { limit: number; cursor?: string }>(r, app, {
    method: 'get', path: '/households/imports', tag: 'households', access: VIEWERS,
    summary: 'Bulk imports, newest first (officers: their district\'s)',
    query: Joi.object({ ...pageQuery, cursor: intCursor }),
    handler: async ({ user, query }) => listImports(app.db, user!, query),
  });
  defineRoute<unknown, { limit: number; cursor?: string }, { id: number }>(r, app, {
    method: 'get', path: '/households/imports/:id', tag: 'households', access: VIEWERS,
    summary: 'One bulk import: who, when, the file\'s SHA-256, counts, the rows it skipped, and the files it created (paged: limit, cursor)',
    params: Joi.object({ id: Joi.number().integer().min(1).max(2147483647).required() }),
    query: Joi.object({ ...pageQuery, limit: Joi.number().integer().min(1).max(500).default(500), cursor: intCursor }),
    handler: async ({ user, params, query }) => getImport(app.db, user!, params.id, query),
  });
}
