import Joi from 'joi';

export const MAX_PAGE = 500;

/** limit (1..500, default 50) and an opaque cursor, as every list of the API takes them. */
export const pageQuery = {
  limit: Joi.number().integer().min(1).max(MAX_PAGE).default(50),
  cursor: Joi.string().max(200),
};

/** A cursor that is a positive integer id/seq; anything else is a 400. */
export const intCursor = Joi.string().pattern(/^\d{1,15}$/).message('{{#label}} must be a cursor returned by this list');

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function pageOf<T>(rows: T[], limit: number, cursorOf: (row: T) => string | number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? String(cursorOf(items[items.length - 1]!)) : null };
}
