// npm run import-statement -- --fund WF-CY --from 2026-10-01 --to 2026-10-31 --opening 0.00 --closing 100.00 file.csv
// Checks the file locally with the service's own parser (bad lines are named before anything is sent),
// then imports it through the HTTP API (POST /bank-statements) and, with --auto-match, matches it.
// Server and credentials: --url or WARMTH_URL (default http://127.0.0.1:3000); WARMTH_TOKEN, or
// WARMTH_USERNAME and WARMTH_PASSWORD of a finance user.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { parseStatementFile } from '../reconciliation/parse';
import { MULTI_STATEMENT_FORMATS, STATEMENT_FORMATS, StatementFileError, type StatementFormat } from '../reconciliation/model';

const USAGE = `usage: npm run import-statement -- --fund CODE --from YYYY-MM-DD --to YYYY-MM-DD --opening 0.00 --closing 100.00 [--format csv|xls|xlsx|camt053|mt940] [--encoding utf-8|gbk] [--auto-match] [--window-days N] [--url URL] FILE`;

function fail(message: string, code = 1): never {
  console.error(message);
  process.exit(code);
}

const { values, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        fund: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
        opening: { type: 'string' }, closing: { type: 'string' }, format: { type: 'string' }, encoding: { type: 'string' },
        'auto-match': { type: 'boolean' }, 'window-days': { type: 'string' }, url: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    return fail(`${(e as Error).message}\n${USAGE}`, 2);
  }
})();
if (values.help) fail(USAGE, 0);
const file = positionals[0];
for (const k of ['fund', 'from', 'to', 'opening', 'closing'] as const) if (!values[k]) fail(`--${k} is required\n${USAGE}`, 2);
if (!file) fail(`the statement file is required\n${USAGE}`, 2);
const FORMAT_BY_EXTENSION: [RegExp, StatementFormat][] = [[/\.xml$/i, 'camt053'], [/\.(mt940|sta)$/i, 'mt940'], [/\.xlsx$/i, 'xlsx'], [/\.xls$/i, 'xls']];
const format = (values.format ?? FORMAT_BY_EXTENSION.find(([re]) => re.test(file))?.[1] ?? 'csv') as StatementFormat;
if (!STATEMENT_FORMATS.includes(format)) fail(`--format must be one of ${STATEMENT_FORMATS.join(', ')}`, 2);
const encoding = values.encoding as 'utf-8' | 'gbk' | undefined;
if (encoding && encoding !== 'utf-8' && encoding !== 'gbk') fail('--encoding must be utf-8 or gbk', 2);
const base = (values.url ?? process.env.WARMTH_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');

const steps = ['read', 'check', 'upload', ...(values['auto-match'] ? ['auto-match'] : [])];
const bar = process.stdout.isTTY ? new cliProgress.SingleBar({ format: ' {bar} {value}/{total} {step}', hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
bar?.start(steps.length, 0, { step: steps[0] });
const done = (i: number) => bar?.update(i + 1, { step: steps[i + 1] ?? 'done' });

async function call(method: string, p: string, token: string | undefined, body?: unknown) {
  const res = await fetch(`${base}/api/v1${p}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, body: json, text };
}

try {
  const bytes = fs.readFileSync(path.resolve(file));
  done(0);
  const header = { periodFrom: values.from!, periodTo: values.to!, openingBalance: values.opening!, closingBalance: values.closing! };
  const input = { ...header, format, contentBase64: bytes.toString('base64'), ...(encoding ? { encoding } : {}) };
  // A bank file may hold several accounts: which one is the fund's only the service knows (the fund's bankAccount).
  const lineCount = (MULTI_STATEMENT_FORMATS as readonly string[]).includes(format) ? undefined : parseStatementFile(input).lines.length;
  done(1);
  let token = process.env.WARMTH_TOKEN;
  if (!token) {
    const { WARMTH_USERNAME: username, WARMTH_PASSWORD: password } = process.env;
    if (!username || !password) throw new Error('set WARMTH_TOKEN, or WARMTH_USERNAME and WARMTH_PASSWORD (a finance user)');
    const login = await call('POST', '/auth/login', undefined, { username, password });
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text.slice(0, 200)}`);
    token = login.body.token as string;
  }
  const r = await call('POST', '/bank-statements', token, { fund: values.fund, ...input });
  if (r.status !== 201) throw new Error(`import refused: ${r.status} ${r.body?.error ? `${r.body.error.code}: ${r.body.error.message}` : r.text.slice(0, 300)}`);
  done(2);
  let matched: number | undefined;
  if (values['auto-match']) {
    const m = await call('POST', `/bank-statements/${r.body.id}/auto-match`, token, values['window-days'] ? { windowDays: Number(values['window-days']) } : {});
    if (m.status !== 200) throw new Error(`auto-match refused: ${m.status} ${m.text.slice(0, 300)}`);
    matched = m.body.matched;
    done(3);
  }
  bar?.stop();
  console.log(`statement ${r.body.id} imported: fund ${r.body.fund}, ${r.body.periodFrom} to ${r.body.periodTo}, ${lineCount ?? r.body.lineCount ?? '?'} lines (${r.body.encoding})${matched !== undefined ? `, ${matched} matched` : ''}`);
} catch (e) {
  bar?.stop();
  if (e instanceof StatementFileError) {
    fail(`the file is not valid:\n${e.problems.map((p) => `  ${p.line === null ? '' : `line ${p.line}${p.column ? ` (${p.column})` : ''}: `}${p.problem}`).join('\n')}`);
  }
  fail((e as Error).message);
}
