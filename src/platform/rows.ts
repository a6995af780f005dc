// Decoding database rows once, in each domain's model: what the driver returns (NUMERIC → string,
// DATE → 'YYYY-MM-DD' string, BIGINT → number, timestamptz → Date; see db.ts) into the row types.
export type Raw = Record<string, unknown>;
export const str = (v: unknown) => String(v);
export const strOrNull = (v: unknown) => (v === null || v === undefined ? null : String(v));
export const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));
export const date = (v: unknown) => (v instanceof Date ? v : new Date(String(v)));
export const dateOrNull = (v: unknown) => (v === null || v === undefined ? null : date(v));
/** A column holding one of a closed set of codes: anything else is a broken invariant, not bad input. */
export function known<T extends string>(values: readonly T[], v: unknown, what: string): T {
  if (!values.includes(v as T)) throw new Error(`unknown ${what} ${String(v)}`);
  return v as T;
}
