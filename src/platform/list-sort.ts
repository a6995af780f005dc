import Joi from 'joi';
import type { Knex } from 'knex';
import type { Db } from './db';
import { badRequest } from './errors';

/**
 * Sorted lists with keyset paging and an optional total, shared by the main lists
 * (households, aid cases, journal entries, bank statements).
 *
 * `sort=key` ascending, `sort=-key` descending, keys from the list's whitelist; ties are broken by the id in
 * the same direction, so the order is total and stable. Without `sort` a list keeps its old order (newest
 * first) and its old cursor (the last id). With `sort` the cursor is `k` + base64url of [sort, value, id]:
 * the next page is the rows after (value, id) in that order (a row comparison), so paging stays correct while
 * rows are added. A cursor made for another sort (or an id cursor with a sort) is a 400.
 * `withTotal=true` adds `total`, a count(*) with the same filters (not the cursor).
 */
export interface SortColumn {
  /** SQL expression of trusted constants (never input); must never be NULL (COALESCE where a column may be). */
  expr: string;
  /** The SQL type the cursor's text value is cast back to. */
  type: 'text' | 'numeric' | 'timestamptz' | 'date' | 'integer' | 'bigint';
}
export type SortSpec = Record<string, SortColumn>;

/** The paging and sorting part of a sorted list's query (each list adds its filters). */
export interface SortedListQuery {
  limit: number;
  cursor?: string;
  sort?: string;
  withTotal?: boolean;
}

export const sortSchema = (spec: SortSpec) =>
  Joi.string().valid(...Object.keys(spec).flatMap((k) => [k, `-${k}`])).messages({ 'any.only': `{{#label}} must be one of ${Object.keys(spec).join(', ')} (with - for descending)` });

/** An id cursor (lists in their default order) or a sorted-list cursor. */
export const listCursor = Joi.string().max(400).pattern(/^(\d{1,15}|k[A-Za-z0-9_-]{4,395})$/).message('{{#label}} must be a cursor returned by this list');

export const withTotalSchema = Joi.boolean();

/** The query fields every sorted list takes (besides its filters, limit and cursor). */
export const sortQuery = (spec: SortSpec) => ({ sort: sortSchema(spec), withTotal: withTotalSchema, cursor: listCursor });

export interface SortedPage<T> {
  items: T[];
  nextCursor: string | null;
  total?: number;
}

const encode = (sort: string, value: string, id: number) => 'k' + Buffer.from(JSON.stringify([sort, value, id])).toString('base64url');
function decode(cursor: string, sort: string): { value: string; id: number } {
  try {
    const [s, value, id] = JSON.parse(Buffer.from(cursor.slice(1), 'base64url').toString('utf8'));
    if (s === sort && typeof value === 'string' && Number.isSafeInteger(id) && id > 0) return { value, id };
  } catch {
    // fall through to the 400
  }
  throw badRequest('the cursor does not belong to this list and sort order', [{ in: 'query', path: 'cursor', message: '"cursor" must be a cursor returned by this list with the same sort' }]);
}

/**
 * Runs a filtered list query `q` (filters only: no order, limit or cursor yet) as one page.
 * `idColumn` is the qualified id column (`id`, `e.id`); `defaultSort` is what no `sort` means.
 */
export async function sortedPage<R extends Record<string, any>>(
  db: Db,
  q: Knex.QueryBuilder,
  opts: { spec: SortSpec; sort?: string; cursor?: string; limit: number; withTotal?: boolean; idColumn?: string },
): Promise<SortedPage<R>> {
  const idCol = opts.idColumn ?? 'id';
  const total = opts.withTotal ? Number((await q.clone().clearSelect().clearOrder().count({ n: '*' }).first())?.n ?? 0) : undefined;
  const cursor = opts.cursor;
  let rows: R[];
  if (!opts.sort) {
    if (cursor && !/^\d+$/.test(cursor)) throw badRequest('a sorted-list cursor needs its sort', [{ in: 'query', path: 'cursor', message: '"cursor" belongs to a sorted list: pass the same sort' }]);
    if (cursor) q.where(idCol, '<', Number(cursor));
    rows = await q.orderBy(idCol, 'desc').limit(opts.limit + 1);
    const items = rows.slice(0, opts.limit);
    return { items, nextCursor: rows.length > opts.limit ? String(items[items.length - 1]![idCol.split('.').pop()!]) : null, ...(total !== undefined ? { total } : {}) };
  }
  const desc = opts.sort.startsWith('-');
  const col = opts.spec[desc ? opts.sort.slice(1) : opts.sort];
  if (!col) throw badRequest(`unknown sort ${opts.sort}`, [{ in: 'query', path: 'sort', message: '"sort" is not a sortable column of this list' }]);
  const dir = desc ? 'desc' : 'asc';
  if (cursor) {
    if (!cursor.startsWith('k')) throw badRequest('an id cursor cannot page a sorted list', [{ in: 'query', path: 'cursor', message: '"cursor" must be a cursor returned by this list with the same sort' }]);
    const c = decode(cursor, opts.sort);
    q.whereRaw(`((${col.expr}), ${idCol}) ${desc ? '<' : '>'} (?::${col.type}, ?)`, [c.value, c.id]);
  }
  q.select(db.raw(`(${col.expr})::text as _sort_key`)).orderByRaw(`(${col.expr}) ${dir}, ${idCol} ${dir}`).limit(opts.limit + 1);
  rows = await q;
  const items = rows.slice(0, opts.limit);
  const last = items[items.length - 1];
  const nextCursor = rows.length > opts.limit && last ? encode(opts.sort, String(last._sort_key), Number(last[idCol.split('.').pop()!])) : null;
  return { items, nextCursor, ...(total !== undefined ? { total } : {}) };
}
