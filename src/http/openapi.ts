import parse from 'joi-to-json';
import type { RouteSpec } from './route';

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
};

const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z]+)/g, '{$1}');

function parameters(spec: RouteSpec) {
  const out: Record<string, unknown>[] = [];
  for (const [where, schema] of [['path', spec.params], ['query', spec.query]] as const) {
    if (!schema) continue;
    const json = parse(schema, 'open-api') as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, s] of Object.entries(json.properties ?? {})) {
      out.push({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema: s });
    }
  }
  for (const m of spec.path.matchAll(/:([A-Za-z]+)/g)) {
    if (!out.some((p) => p.in === 'path' && p.name === m[1])) out.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
  }
  if (spec.idempotent) out.push({ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 200 } });
  return out;
}

/** The OpenAPI 3 document, built from the same route specs that serve the requests, so it cannot drift. */
export function buildOpenApi(routes: readonly RouteSpec[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of routes) {
    const access = spec.access === 'public' ? 'public (no login)' : spec.access === 'authenticated' ? 'any logged-in user' : `roles: ${spec.access.join(', ')}`;
    const success = spec.produces
      ? { description: 'OK', content: { [spec.produces]: { schema: { type: 'string', format: 'binary' } } } }
      : { description: 'OK', content: { 'application/json': { schema: {} } } };
    const op: Record<string, unknown> = {
      operationId: `${spec.method}${spec.path.replace(/[/:{}-]+(\w)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      tags: [spec.tag],
      summary: spec.summary,
      description: `Access: ${access}.${spec.idempotent ? ' Idempotent with an Idempotency-Key header or idempotencyKey field.' : ''}`,
      'x-access': spec.access,
      parameters: parameters(spec),
      responses: {
        [String(spec.status ?? 200)]: success,
        '4XX': { description: 'Client error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
      ...(spec.access === 'public' ? { security: [] } : {}),
      ...spec.openapi,
    };
    if (spec.body) op.requestBody = { required: true, content: { 'application/json': { schema: parse(spec.body, 'open-api') } } };
    (paths[toOpenApiPath(spec.path)] ??= {})[spec.method] = op;
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'warmth-ledger API · 温暖基金会账务系统接口',
      version,
      description: 'Amounts are decimal strings ("1234.50"); a JSON number for an amount is refused. Errors are {"error": {code, message, details}}.',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: errorSchema },
    },
    paths,
  };
}
