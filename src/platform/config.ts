import Joi from 'joi';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

// ISO-8601 durations as NOTICE_PERIOD uses them (P7D, PT5S, P1DT12H, PT0.5S).
const DURATION = /^P(?!$)(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

export function parseIsoDuration(text: string): number | null {
  const m = DURATION.exec(text);
  if (!m) return null;
  const [, d, h, min, s] = m;
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60_000 + Math.round(Number(s ?? 0) * 1000);
}

export interface Config {
  port: number;
  host: string;
  databaseUrl?: string;
  /** The role that owns the schema: migrations, grants to DATABASE_URL's role, backups (docs/operations.md). */
  databaseOwnerUrl?: string;
  /** A read replica for the read-only report and open-data queries (REPORTS_DATABASE_URL); the primary when unset. */
  reportsDatabaseUrl?: string;
  dataDir: string;
  logLevel: string;
  nodeEnv: string;
  auditSecret: string;
  dataKey: Buffer;
  /** Ed25519 private key (PKCS8 PEM) that signs audit-log checkpoints: SIGNING_KEY, or generated into DATA_DIR. */
  signingKey: string;
  noticePeriodMs: number;
  noticePeriod: string;
  adminUsername?: string;
  adminPassword?: string;
  demoData: boolean;
  tokenTtlMs: number;
  /** How long an instance trusts its cached token check (0: no cache); revocation reaches every instance at once. */
  tokenCacheSeconds: number;
  passwordHashRounds: number;
  exitIncomeThreshold: string;
  /** Most rows one household import file may hold (HOUSEHOLD_IMPORT_MAX_ROWS). */
  householdImportMaxRows: number;
  bodyLimit: string;
  embeddedPgPort: number;
  /** Aid amount tiers (docs/api.md): up to the first, one district approver; up to the second, one foundation approver; above, two. */
  aidDistrictLimit: string;
  aidFoundationLimit: string;
  /** Campaign roll tiers by roll total (like the aid tiers), and the most lines a roll may hold. */
  campaignDistrictLimit: string;
  campaignFoundationLimit: string;
  campaignRollMaxLines: number;
  /** Loan approval tiers (docs/loans.md): up to the first, a district approver; up to the second, one foundation approver; above, two. */
  loanDistrictLimit: string;
  loanFoundationLimit: string;
  /** The default yearly target of the start-up loan programme, and the order a repayment pays penalty, interest, principal. */
  loanProgrammeTarget: string;
  loanAllocationOrder: string;
  /** Public objections accepted per client per 15 minutes. */
  objectionRateLimit: number;
  noticeSweepMs: number;
  /** Bank reconciliation: how many days apart a statement line and a ledger line may be to auto-match. */
  reconcileMatchWindowDays: number;
  loginRateLimit: number;
  publicReportRateLimit: number;
  /** 360Giving open data: the funder's 统一社会信用代码 (funding org id CN-USCI-…), the registered 360G prefix of grant ids, the website. */
  foundationUsci: string;
  grantIdPrefix: string;
  foundationWebsite: string;
  /** The foundation's own rules the public aid disclosure cites by name (AID_RULES_NAME). */
  aidRulesName: string;
  /** Longest a request may take to arrive, and longest one SQL statement may run. */
  requestTimeoutMs: number;
  statementTimeoutMs: number;
  /** On SIGTERM/SIGINT: longest wait for requests in progress before their connections are cut. */
  shutdownGraceMs: number;
  /** GET /metrics: the bearer token it asks for on the service's port; and/or a listener of its own (docs/operations.md). */
  metricsToken?: string;
  metricsPort?: number;
  metricsHost: string;
  /** Express 'trust proxy': which hops may tell the client's address (X-Forwarded-For), for per-client limits. */
  trustProxy: string;
  /** Supporting documents: largest file (bytes), and years a withdrawn document's bytes are kept before erasure. */
  documentMaxBytes: number;
  documentRetentionYears: number;
  /** Where new documents' sealed chunks go: an S3-compatible object store when S3_* is set, else PostgreSQL. */
  s3?: S3Settings;
  /** Home visits: a file not visited for this many days is overdue; an exit needs a visit within this many days before it (0 = off). */
  visitOverdueDays: number;
  exitRequiresVisitDays: number;
}

/** An S3-compatible object store (S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY; S3_REGION, S3_FORCE_PATH_STYLE). */
export interface S3Settings {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  forcePathStyle: boolean;
}
const S3_REQUIRED = ['S3_ENDPOINT', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const;

/** The rules of emergency aid the public disclosure cites (AID_RULES_NAME). */
export const DEFAULT_AID_RULES_NAME = '北京市温暖基金会应急救助实施办法';

const schema = Joi.object({
  PORT: Joi.number().integer().min(0).max(65535).default(3000),
  HOST: Joi.string().default('0.0.0.0'),
  DATABASE_URL: Joi.string().uri({ scheme: ['postgres', 'postgresql'] }),
  DATABASE_OWNER_URL: Joi.string().uri({ scheme: ['postgres', 'postgresql'] }),
  REPORTS_DATABASE_URL: Joi.string().uri({ scheme: ['postgres', 'postgresql'] }),
  DATA_DIR: Joi.string().default('./data'),
  LOG_LEVEL: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent').default('info'),
  NODE_ENV: Joi.string().default('development'),
  AUDIT_SECRET: Joi.string().min(16),
  DATA_KEY: Joi.string().pattern(/^[0-9a-fA-F]{64}$/).message('"DATA_KEY" must be 64 hex characters (a 256-bit key)'),
  SIGNING_KEY: Joi.string().max(4000),
  NOTICE_PERIOD: Joi.string().default('P7D').custom((v, h) => (parseIsoDuration(v) === null ? h.error('any.invalid') : v))
    .messages({ 'any.invalid': '"NOTICE_PERIOD" must be an ISO-8601 duration such as P7D or PT5S' }),
  ADMIN_USERNAME: Joi.string().pattern(/^[a-zA-Z0-9_.-]{2,64}$/),
  ADMIN_PASSWORD: Joi.string().min(8).max(200),
  DEMO_DATA: Joi.string().valid('on', 'off'), // default: on, off in production
  TOKEN_TTL_HOURS: Joi.number().positive().max(24 * 30).default(12),
  TOKEN_CACHE_SECONDS: Joi.number().integer().min(0).max(300).default(30),
  PASSWORD_HASH_ROUNDS: Joi.number().integer().min(4).max(15).default(10),
  EXIT_INCOME_THRESHOLD: Joi.string().pattern(/^\d{1,9}(\.\d{1,2})?$/).default('1450.00'),
  HOUSEHOLD_IMPORT_MAX_ROWS: Joi.number().integer().min(1).max(50_000).default(20_000),
  BODY_LIMIT: Joi.string().pattern(/^\d+(kb|mb)$/).default('1mb'),
  EMBEDDED_PG_PORT: Joi.number().integer().min(1024).max(65535).default(54329),
  AID_DISTRICT_LIMIT: Joi.string().pattern(/^\d{1,12}(\.\d{1,2})?$/).default('5000.00'),
  AID_FOUNDATION_LIMIT: Joi.string().pattern(/^\d{1,12}(\.\d{1,2})?$/).default('20000.00'),
  CAMPAIGN_DISTRICT_LIMIT: Joi.string().pattern(/^\d{1,14}(\.\d{1,2})?$/).default('200000.00'),
  CAMPAIGN_FOUNDATION_LIMIT: Joi.string().pattern(/^\d{1,14}(\.\d{1,2})?$/).default('2000000.00'),
  CAMPAIGN_ROLL_MAX_LINES: Joi.number().integer().min(1).max(50_000).default(50_000),
  LOAN_DISTRICT_LIMIT: Joi.string().pattern(/^\d{1,12}(\.\d{1,2})?$/).default('50000.00'),
  LOAN_FOUNDATION_LIMIT: Joi.string().pattern(/^\d{1,12}(\.\d{1,2})?$/).default('200000.00'),
  LOAN_PROGRAMME_TARGET: Joi.string().pattern(/^\d{1,14}(\.\d{1,2})?$/).default('10000000.00'),
  LOAN_ALLOCATION_ORDER: Joi.string().pattern(/^(penalty|interest|principal),(penalty|interest|principal),(penalty|interest|principal)$/)
    .custom((v, h) => (new Set(v.split(',')).size === 3 ? v : h.error('any.invalid'))).default('penalty,interest,principal')
    .messages({ 'any.invalid': '"LOAN_ALLOCATION_ORDER" must name penalty, interest and principal once each, e.g. penalty,interest,principal' }),
  OBJECTION_RATE_LIMIT: Joi.number().integer().min(1).max(100000).default(5),
  NOTICE_SWEEP_SECONDS: Joi.number().min(0.1).max(3600).default(5),
  RECONCILE_MATCH_WINDOW_DAYS: Joi.number().integer().min(0).max(31).default(3),
  LOGIN_RATE_LIMIT: Joi.number().integer().min(1).max(1_000_000).default(60),
  PUBLIC_REPORT_RATE_LIMIT: Joi.number().integer().min(1).max(1_000_000).default(60),
  FOUNDATION_USCI: Joi.string().default('53110000500000015M').custom((v, h) => (isValidUsci(v) ? v : h.error('any.invalid')))
    .messages({ 'any.invalid': '"FOUNDATION_USCI" must be an 18-character 统一社会信用代码 (GB 32100-2015) with its check character' }),
  GRANT_ID_PREFIX: Joi.string().max(64).pattern(/^360G-[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*$/).default('360G-warmthfoundation')
    .messages({ 'string.pattern.base': '"GRANT_ID_PREFIX" must be a registered 360Giving prefix such as 360G-warmthfoundation' }),
  FOUNDATION_WEBSITE: Joi.string().uri({ scheme: ['https', 'http'] }).max(500).default('https://www.warmth-foundation.example/'),
  AID_RULES_NAME: Joi.string().trim().min(2).max(100).pattern(/^[^\n\r《》]+$/).default(DEFAULT_AID_RULES_NAME)
    .messages({ 'string.pattern.base': '"AID_RULES_NAME" must be the title of the rules on one line, without 《》 (the report adds them)' }),
  REQUEST_TIMEOUT_SECONDS: Joi.number().min(1).max(3600).default(60),
  STATEMENT_TIMEOUT_SECONDS: Joi.number().min(1).max(3600).default(30),
  SHUTDOWN_GRACE_SECONDS: Joi.number().min(0).max(600).default(10),
  METRICS_TOKEN: Joi.string().min(16).max(200).pattern(/^[\x21-\x7e]+$/)
    .messages({ 'string.pattern.base': '"METRICS_TOKEN" must be printable ASCII without spaces' }),
  METRICS_PORT: Joi.number().integer().min(0).max(65535),
  METRICS_HOST: Joi.string().max(200).default('127.0.0.1'),
  TRUST_PROXY: Joi.string().max(200).pattern(/^[\w.:/, -]+$/).default('loopback'),
  DOCUMENT_MAX_BYTES: Joi.number().integer().min(1024).max(200 * 1024 * 1024).default(20 * 1024 * 1024),
  DOCUMENT_RETENTION_YEARS: Joi.number().integer().min(0).max(100).default(10),
  S3_ENDPOINT: Joi.string().uri({ scheme: ['http', 'https'] }).max(500),
  S3_BUCKET: Joi.string().min(3).max(63).pattern(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/)
    .messages({ 'string.pattern.base': '"S3_BUCKET" must be a bucket name: lower-case letters, digits, dots and hyphens' }),
  S3_ACCESS_KEY_ID: Joi.string().min(3).max(200).pattern(/^[\x21-\x7e]+$/),
  S3_SECRET_ACCESS_KEY: Joi.string().min(8).max(200).pattern(/^[\x21-\x7e]+$/),
  S3_REGION: Joi.string().max(50).pattern(/^[a-z0-9-]+$/),
  S3_FORCE_PATH_STYLE: Joi.boolean(),
  VISIT_OVERDUE_DAYS: Joi.number().integer().min(1).max(3650).default(180),
  EXIT_REQUIRES_VISIT_DAYS: Joi.number().integer().min(0).max(3650).default(0),
}).and('ADMIN_USERNAME', 'ADMIN_PASSWORD').unknown(true);

export class ConfigError extends Error {}

// GB 32100-2015: 18 characters of 0-9 and A-Y without I, O, S, V, Z; the 18th checks the first 17 (mod 31).
const USCI_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCI_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
export function isValidUsci(code: string): boolean {
  if (!/^[0-9A-HJ-NPQRTUWXY]{18}$/.test(code)) return false;
  const sum = USCI_WEIGHTS.reduce((t, w, i) => t + USCI_CHARS.indexOf(code[i]!) * w, 0);
  return code[17] === USCI_CHARS[(31 - (sum % 31)) % 31];
}

/** Secrets the embedded default may generate once and keep beside its data. */
function loadOrCreateSecrets(dataDir: string): { auditSecret: string; dataKey: string; signingKey: string } {
  const file = path.join(dataDir, 'secrets.json');
  const existing = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
  if (existing?.signingKey) return existing;
  // A secrets.json from before the signing key keeps its secrets and gets a key added.
  const secrets = existing ?? { auditSecret: crypto.randomBytes(32).toString('hex'), dataKey: crypto.randomBytes(32).toString('hex') };
  secrets.signingKey = crypto.generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}

/** SIGNING_KEY: an Ed25519 PKCS8 PEM ('\\n' escapes allowed) or base64 of the 32-byte seed; returned as PKCS8 PEM. */
function signingKeyPem(text: string): string {
  try {
    const t = text.trim().replace(/\\n/g, '\n');
    const seed = Buffer.from(t, 'base64');
    const key = t.includes('-----BEGIN')
      ? crypto.createPrivateKey(t)
      : seed.length === 32 && /^[A-Za-z0-9+/]{43}=$/.test(t)
        ? crypto.createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' })
        : undefined;
    if (key?.asymmetricKeyType === 'ed25519') return key.export({ format: 'pem', type: 'pkcs8' }).toString();
  } catch {
    // fall through to the one message below
  }
  throw new ConfigError('configuration: "SIGNING_KEY" must be an Ed25519 private key: a PKCS8 PEM or base64 of its 32-byte seed');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const { value, error } = schema.validate(env, { abortEarly: true, convert: true });
  if (error) throw new ConfigError(`configuration: ${error.details[0]!.message}`);
  const production = value.NODE_ENV === 'production';
  if (value.DATABASE_URL && production && (!value.AUDIT_SECRET || !value.DATA_KEY)) {
    throw new ConfigError('configuration: "AUDIT_SECRET" and "DATA_KEY" are required with DATABASE_URL in production');
  }
  if (value.DATABASE_URL && production && !value.SIGNING_KEY) {
    throw new ConfigError('configuration: "SIGNING_KEY" (the Ed25519 key of audit checkpoints) is required with DATABASE_URL in production');
  }
  if (value.DATABASE_OWNER_URL && !value.DATABASE_URL) {
    throw new ConfigError('configuration: "DATABASE_OWNER_URL" needs "DATABASE_URL" (the embedded database makes its own roles)');
  }
  // S3 storage is all or nothing: half a configuration would quietly keep documents in PostgreSQL.
  const s3Given = [...S3_REQUIRED, 'S3_REGION', 'S3_FORCE_PATH_STYLE'].filter((k) => value[k] !== undefined);
  const s3Missing = S3_REQUIRED.find((k) => value[k] === undefined);
  if (s3Given.length && s3Missing) {
    throw new ConfigError(`configuration: "${s3Missing}" is missing: S3 storage needs ${S3_REQUIRED.join(', ')} together (${s3Given.join(', ')} set); set none of them to keep documents in PostgreSQL`);
  }
  // Demo accounts share a published password: never in production.
  const demoData = (value.DEMO_DATA ?? (production ? 'off' : 'on')) === 'on';
  if (demoData && production) {
    throw new ConfigError('configuration: "DEMO_DATA=on" is refused with NODE_ENV=production (demo users have a published password)');
  }
  const dataDir = path.resolve(value.DATA_DIR);
  const generated = !value.AUDIT_SECRET || !value.DATA_KEY || !value.SIGNING_KEY ? loadOrCreateSecrets(dataDir) : undefined;
  return {
    port: value.PORT,
    host: value.HOST,
    databaseUrl: value.DATABASE_URL,
    databaseOwnerUrl: value.DATABASE_OWNER_URL,
    reportsDatabaseUrl: value.REPORTS_DATABASE_URL,
    dataDir,
    logLevel: value.LOG_LEVEL,
    nodeEnv: value.NODE_ENV,
    auditSecret: value.AUDIT_SECRET ?? generated!.auditSecret,
    dataKey: Buffer.from(value.DATA_KEY ?? generated!.dataKey, 'hex'),
    signingKey: signingKeyPem(value.SIGNING_KEY ?? generated!.signingKey),
    noticePeriod: value.NOTICE_PERIOD,
    noticePeriodMs: parseIsoDuration(value.NOTICE_PERIOD)!,
    adminUsername: value.ADMIN_USERNAME,
    adminPassword: value.ADMIN_PASSWORD,
    demoData,
    tokenTtlMs: value.TOKEN_TTL_HOURS * 3_600_000,
    tokenCacheSeconds: value.TOKEN_CACHE_SECONDS,
    passwordHashRounds: value.PASSWORD_HASH_ROUNDS,
    exitIncomeThreshold: value.EXIT_INCOME_THRESHOLD,
    householdImportMaxRows: value.HOUSEHOLD_IMPORT_MAX_ROWS,
    bodyLimit: value.BODY_LIMIT,
    embeddedPgPort: value.EMBEDDED_PG_PORT,
    aidDistrictLimit: value.AID_DISTRICT_LIMIT,
    aidFoundationLimit: value.AID_FOUNDATION_LIMIT,
    campaignDistrictLimit: value.CAMPAIGN_DISTRICT_LIMIT,
    campaignFoundationLimit: value.CAMPAIGN_FOUNDATION_LIMIT,
    campaignRollMaxLines: value.CAMPAIGN_ROLL_MAX_LINES,
    loanDistrictLimit: value.LOAN_DISTRICT_LIMIT,
    loanFoundationLimit: value.LOAN_FOUNDATION_LIMIT,
    loanProgrammeTarget: value.LOAN_PROGRAMME_TARGET,
    loanAllocationOrder: value.LOAN_ALLOCATION_ORDER,
    objectionRateLimit: value.OBJECTION_RATE_LIMIT,
    noticeSweepMs: Math.round(value.NOTICE_SWEEP_SECONDS * 1000),
    reconcileMatchWindowDays: value.RECONCILE_MATCH_WINDOW_DAYS,
    loginRateLimit: value.LOGIN_RATE_LIMIT,
    publicReportRateLimit: value.PUBLIC_REPORT_RATE_LIMIT,
    foundationUsci: value.FOUNDATION_USCI,
    grantIdPrefix: value.GRANT_ID_PREFIX,
    foundationWebsite: value.FOUNDATION_WEBSITE,
    aidRulesName: value.AID_RULES_NAME,
    requestTimeoutMs: Math.round(value.REQUEST_TIMEOUT_SECONDS * 1000),
    statementTimeoutMs: Math.round(value.STATEMENT_TIMEOUT_SECONDS * 1000),
    shutdownGraceMs: Math.round(value.SHUTDOWN_GRACE_SECONDS * 1000),
    metricsToken: value.METRICS_TOKEN,
    metricsPort: value.METRICS_PORT,
    metricsHost: value.METRICS_HOST,
    trustProxy: value.TRUST_PROXY,
    documentMaxBytes: value.DOCUMENT_MAX_BYTES,
    documentRetentionYears: value.DOCUMENT_RETENTION_YEARS,
    s3: s3Missing ? undefined : {
      endpoint: value.S3_ENDPOINT, bucket: value.S3_BUCKET, accessKeyId: value.S3_ACCESS_KEY_ID, secretAccessKey: value.S3_SECRET_ACCESS_KEY,
      region: value.S3_REGION ?? 'us-east-1', forcePathStyle: value.S3_FORCE_PATH_STYLE ?? true,
    },
    visitOverdueDays: value.VISIT_OVERDUE_DAYS,
    exitRequiresVisitDays: value.EXIT_REQUIRES_VISIT_DAYS,
  };
}
