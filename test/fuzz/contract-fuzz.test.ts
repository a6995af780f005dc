import { expect } from 'chai';
import fc from 'fast-check';
import { api, auditSeq, userToken } from '../support/api';
import { testService } from '../support/env';
import { BAD_PATH_VALUES, badBodyArb, badQueryArb, operationsOf, type Operation } from '../support/fuzz';

// `npm test` sends FUZZ_RUNS (default 25) bad requests per operation and kind; `npm run fuzz` sends thousands.
const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
// Operations whose every call is a legitimate write whatever the body (logging out).
const SKIP = new Set(['POST /auth/logout']);

describe('fuzzing from the contract (OpenAPI): bad requests never get a 5xx and never write', function () {
  this.timeout(600_000);
  let token: string;
  const tokens: Partial<Record<'admin' | 'approver' | 'finance', string>> = {};
  /** The token of a user whose roles the operation lists (the admin one for public and any-user operations). */
  const tokenFor = (op: Operation) => {
    const access = Array.isArray(op.access) ? (op.access as string[]) : [];
    const role = (['admin', 'approver', 'finance'] as const).find((r) => access.includes(r));
    return role ? tokens[role]! : token;
  };
  let operations: Operation[];
  let startSeq: number;
  const stats = { requests: 0, operations: 0 };

  before(async () => {
    // Every role, so requests get past the access check and into validation. No one user may hold admin,
    // finance and approver together (不相容职务, 422 incompatible_roles): one user per incompatible role.
    for (const role of ['admin', 'approver', 'finance'] as const) tokens[role] = (await userToken([role, 'officer', 'auditor'], 'CY')).token;
    token = tokens.admin!;
    operations = operationsOf((await api('GET', '/openapi.json')).body).filter((o) => !SKIP.has(`${o.method} ${o.path}`));
    startSeq = await auditSeq();
  });

  async function send(op: Operation, path: string, what: string, body?: unknown, query = '') {
    const url = `${path}${query ? `?${query}` : ''}`;
    const r = await api(op.method, url, { token: tokenFor(op), ...(body === undefined ? {} : { raw: JSON.stringify(body) }) });
    stats.requests++;
    const where = `${op.method} ${url.slice(0, 120)} (${what})`;
    expect(r.status, `${where}: ${r.text.slice(0, 200)}`).to.be.within(400, 499);
    expect(r.body?.error?.code, where).to.be.a('string');
    expect(r.body?.error?.message, where).to.be.a('string');
    expect(r.body.error, where).to.have.property('details');
  }

  const fill = (op: Operation, value: string) => op.path.replace(/\{[^}]+\}/g, value);

  it('bad bodies for every operation that takes one', async () => {
    for (const op of operations.filter((o) => o.body)) {
      stats.operations++;
      const samples = fc.sample(badBodyArb(op), { numRuns: RUNS });
      for (const [what, body] of samples) await send(op, fill(op, '1'), what, body);
    }
  });

  it('bad query strings for every operation that reads them', async () => {
    for (const op of operations.filter((o) => o.query.length && !o.body)) {
      const samples = fc.sample(badQueryArb(op), { numRuns: RUNS });
      for (const [what, query] of samples) await send(op, fill(op, '1'), what, op.method === 'GET' ? undefined : {}, query);
    }
  });

  it('a NUL character (U+0000) anywhere in a body or a query is 400 naming where, for every operation', async () => {
    for (const op of operations.filter((o) => o.body)) {
      const r = await api(op.method, fill(op, '1'), { token: tokenFor(op), raw: JSON.stringify({ note: 'ok', nested: [{ text: 'a\u0000b' }] }) });
      expect(r.status, `${op.method} ${op.path}: ${r.text.slice(0, 200)}`).to.equal(400);
      expect(r.body.error.details, `${op.method} ${op.path}`).to.deep.equal([{ in: 'body', path: 'nested.0.text', line: 1, message: '不能含空字符 · may not contain U+0000' }]);
    }
    // Nested thousands of levels deep (JSON.parse takes it): a clear 400 from the schema, not a stack overflow.
    const deep = ['[', ']', '{"a":', '}'];
    for (const raw of [deep[0]!.repeat(20_000) + '"\\u0000"' + deep[1]!.repeat(20_000), deep[2]!.repeat(20_000) + '"\\u0000"' + deep[3]!.repeat(20_000)]) {
      const r = await api('POST', '/journal-entries', { token: tokens.finance!, raw });
      expect(r.status, r.text.slice(0, 200)).to.equal(400);
    }
    for (const op of operations.filter((o) => o.query.length && !o.body)) {
      const r = await api(op.method, `${fill(op, '1')}?${op.query[0]!.name}=a%00b`, { token: tokenFor(op) });
      expect(r.status, `${op.method} ${op.path}: ${r.text.slice(0, 200)}`).to.equal(400);
    }
  });

  it('bad path parameters for every operation that has them', async () => {
    for (const op of operations.filter((o) => o.pathParams.length)) {
      for (const v of BAD_PATH_VALUES) await send(op, fill(op, v), `path ${v}`, op.method === 'GET' ? undefined : { 'not-a-field': true });
    }
  });

  after(async () => {
    // Rejected requests appended nothing (the notice sweep, actor 'system', may run meanwhile).
    const rows = await testService().ctx.db('audit_log').where('seq', '>', startSeq).whereNot('actor', 'system').select('seq', 'action', 'actor');
    console.log(`      fuzz: ${stats.requests} bad requests (bodies of ${stats.operations} operations, query strings, path parameters); 5xx: 0; audit rows written: ${rows.length}`);
    expect(rows, JSON.stringify(rows.slice(0, 5))).to.have.length(0);
  });
});
