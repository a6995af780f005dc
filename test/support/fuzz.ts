import fc from 'fast-check';

// Bad requests generated from the service's own OpenAPI document (issue 9 "fuzzing from the contract").
// Every generated request is invalid by construction: a required field missing, a value of the wrong type,
// an unknown field, a string past its maximum, a float or exponent amount, a bad date or a bad page size.

export interface Operation {
  method: string;
  path: string; // OpenAPI path with {params}
  access: unknown;
  body?: JsonSchema;
  query: { name: string; schema: JsonSchema }[];
  pathParams: string[];
}

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  maxLength?: number;
  pattern?: string;
  enum?: unknown[];
  items?: JsonSchema;
  additionalProperties?: boolean;
  minimum?: number;
  maximum?: number;
  format?: string;
}

export function operationsOf(doc: any): Operation[] {
  return Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      access: op['x-access'],
      body: op.requestBody?.content?.['application/json']?.schema,
      query: (op.parameters ?? []).filter((p: any) => p.in === 'query').map((p: any) => ({ name: p.name, schema: p.schema })),
      pathParams: (op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name),
    })),
  );
}

const HOSTILE_STRINGS = [
  "' OR 1=1 --", '"; DROP TABLE journal_lines; --', '<script>alert(1)</script>', '\u0000', '\uD800', '‮reversed', '𠮷'.repeat(3000),
  '../../etc/passwd', '%00', '${7*7}', '{{7*7}}', 'NaN', 'Infinity', '-0', '1e309', '0x10', ' ', '',
];
const BAD_AMOUNTS: unknown[] = [100, 1.5, '1e3', '1.005', '-1.00', 'NaN', '１２３', '1,000.00', ' 1.00', '99999999999999999.00', true, null, {}, []];
const BAD_DATES: unknown[] = ['2026-02-30', '2026-13-01', '26-01-01', '2026/01/01', '2026-1-1', 20260101, '9999-12-31', '1900-01-01', 'today', ''];
// null is not here: an optional field may take it (the JSON Schema export does not always say so).
const WRONG_TYPE: unknown[] = [12345, -1, 3.14, true, {}, [], [1, 2], { $ne: 1 }, '1'.repeat(70_000)];

/** A plausible valid-looking value of a schema, to fill the fields a mutation does not touch. */
function plausible(s: JsonSchema | undefined): unknown {
  if (!s) return 'x';
  if (s.enum?.length) return s.enum[0];
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'integer':
    case 'number':
      return Math.max(1, s.minimum ?? 1);
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object':
      return Object.fromEntries((s.required ?? []).map((k) => [k, plausible(s.properties?.[k])]));
    default:
      if (s.pattern?.includes('\\.\\d{1,2}')) return '1.00';
      return 'x';
  }
}

const isAmountField = (name: string, s: JsonSchema) => /amount|balance|income|expenses/i.test(name) || !!s.pattern?.includes('\\.\\d{1,2}');
const isDateField = (name: string) => /(^|[A-Z])(date|from|to|asOf|periodFrom|periodTo)$/i.test(name) || /date$/i.test(name);

/** One invalid body for the operation, as [description, body]. */
export function badBodyArb(op: Operation): fc.Arbitrary<[string, unknown]> {
  const schema = op.body!;
  const props = Object.entries(schema.properties ?? {});
  const base = plausible(schema) as Record<string, unknown>;
  const arbs: fc.Arbitrary<[string, unknown]>[] = [
    fc.constantFrom<[string, unknown]>(['not an object', []], ['a string body', 'text'], ['null body', null]),
    fc.tuple(fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !(k in (schema.properties ?? {})) && k !== 'idempotencyKey' && k !== '__proto__'), fc.anything()).map(
      ([k, v]) => [`unknown field ${k}`, { ...base, [k]: v ?? 1 }] as [string, unknown],
    ),
  ];
  const required = schema.required ?? [];
  if (required.length) arbs.push(fc.constantFrom(...required).map((k) => [`missing ${k}`, Object.fromEntries(Object.entries(base).filter(([key]) => key !== k))] as [string, unknown]));
  if (props.length) {
    arbs.push(
      fc.tuple(fc.constantFrom(...props), fc.constantFrom(...WRONG_TYPE)).filter(([[, s], v]) => !accepts(s, v)).map(([[k], v]) => [`wrong type for ${k}`, { ...base, [k]: v }] as [string, unknown]),
    );
    const amounts = props.filter(([k, s]) => isAmountField(k, s));
    if (amounts.length) arbs.push(fc.tuple(fc.constantFrom(...amounts), fc.constantFrom(...BAD_AMOUNTS)).map(([[k], v]) => [`bad amount ${k}=${JSON.stringify(v)}`, { ...base, [k]: v }] as [string, unknown]));
    const dates = props.filter(([k, s]) => isDateField(k) && (s.type === 'string' || !s.type));
    if (dates.length) arbs.push(fc.tuple(fc.constantFrom(...dates), fc.constantFrom(...BAD_DATES)).map(([[k], v]) => [`bad date ${k}=${JSON.stringify(v)}`, { ...base, [k]: v }] as [string, unknown]));
    const bounded = props.filter(([, s]) => typeof s.maxLength === 'number');
    if (bounded.length) arbs.push(fc.constantFrom(...bounded).map(([k, s]) => [`${k} past its maximum`, { ...base, [k]: 'x'.repeat(s.maxLength! + 1) }] as [string, unknown]));
    const patterned = props.filter(([, s]) => s.pattern || s.enum);
    if (patterned.length) arbs.push(fc.tuple(fc.constantFrom(...patterned), fc.constantFrom(...HOSTILE_STRINGS)).filter(([[, s], v]) => !accepts(s, v)).map(([[k], v]) => [`hostile ${k}`, { ...base, [k]: v }] as [string, unknown]));
  }
  return fc.oneof(...arbs);
}

/** Does the schema obviously accept the value? Used only to drop mutations that might be valid. */
function accepts(s: JsonSchema, v: unknown): boolean {
  const type = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (!type.length) return true; // an untyped field may take anything
  if (v === null) return type.includes('null');
  if (s.enum) return s.enum.includes(v);
  if (typeof v === 'string') {
    if (!type.includes('string')) return false;
    if (s.maxLength !== undefined && v.length > s.maxLength) return false;
    if (s.pattern && !new RegExp(s.pattern).test(v)) return false;
    return true;
  }
  if (typeof v === 'number') return type.includes('number') || (type.includes('integer') && Number.isInteger(v));
  if (typeof v === 'boolean') return type.includes('boolean');
  if (Array.isArray(v)) return type.includes('array');
  return type.includes('object');
}

/** Percent-encodes, sending a lone surrogate as the invalid UTF-8 bytes it would be. */
const enc = (v: string) => {
  try {
    return encodeURIComponent(v);
  } catch {
    return '%ED%A0%80';
  }
};

/** Bad query strings: negative, huge and non-numeric page sizes, bad dates, unknown parameters, injections. */
export function badQueryArb(op: Operation): fc.Arbitrary<[string, string]> {
  const arbs: fc.Arbitrary<[string, string]>[] = [
    fc.constantFrom(...HOSTILE_STRINGS).map((v) => [`unknown parameter`, `zzz=${enc(v)}`] as [string, string]),
  ];
  if (op.query.some((q) => q.name === 'limit')) {
    arbs.push(fc.constantFrom('-1', '0', '501', '100000000000', 'abc', '1.5', '1e3', '').map((v) => [`limit=${v}`, `limit=${enc(v)}`] as [string, string]));
  }
  if (op.query.some((q) => q.name === 'cursor')) {
    arbs.push(fc.constantFrom("1' OR '1'='1", '-5', 'abc', '9'.repeat(400)).map((v) => [`cursor=${v}`, `cursor=${enc(v)}`] as [string, string]));
  }
  const dates = op.query.filter((q) => isDateField(q.name));
  if (dates.length) {
    arbs.push(fc.tuple(fc.constantFrom(...dates), fc.constantFrom(...BAD_DATES.filter((d): d is string => typeof d === 'string' && d !== ''))).map(([q, v]) => [`${q.name}=${v}`, `${q.name}=${enc(v)}`] as [string, string]));
  }
  return fc.oneof(...arbs);
}

/** Path parameters that are not ids: words, negatives, overflows, injections, traversal. */
export const BAD_PATH_VALUES = ['abc', '-1', '0', '1.5', '99999999999999999999', "1'%20OR%20'1'='1", '%00', '..%2F..%2Fetc', '%F0%A0%AE%B7'];
