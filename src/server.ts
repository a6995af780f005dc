import http, { type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import pino from 'pino';
import { loadConfig, ConfigError, type Config } from './platform/config';
import { messageZhOf } from './platform/errors';
import { createKnex, prepareDatabase, roleWarning } from './platform/db';
import { startEmbeddedDb, type EmbeddedDb } from './platform/embedded-db';
import { configureAuditSecret, configureSigningKey } from './audit';
import { configurePasswordHashing, ensureAdmin } from './auth';
import { createApp } from './app';
import { configureDataKey } from './platform/personal-data';
import { startBackgroundJobs } from './jobs';
import { seedOnFirstStart } from '../seeds';
import type { AppContext } from './http/route';

export interface RunningService {
  ctx: AppContext;
  server: Server;
  url: string;
  /** The database URL of the role that owns the schema (migrations; tests that tamper as the owner would). */
  ownerUrl: string;
  /** The embedded server's bootstrap superuser (creating databases, bench); undefined with DATABASE_URL. */
  superuserUrl?: string;
  stop(): Promise<void>;
}

/** Requests Node rejects before express sees them (oversized headers or URL, bad HTTP) still get the design's error format. */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex) {
  if (!socket.writable) return socket.destroy();
  const [status, text, code] =
    err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large', 'headers_too_large']
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout', 'request_timeout']
    : [400, 'Bad Request', 'bad_request'];
  const body = JSON.stringify({ error: { code, message: `the request was refused before it was read: ${text.toLowerCase()}`, messageZh: messageZhOf(code), details: null } });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** Starts the database (embedded unless DATABASE_URL), migrates, seeds on first start, and listens. */
export async function startService(config: Config, opts: { fastDb?: boolean; logTo?: pino.DestinationStream } = {}): Promise<RunningService> {
  const log = pino({ level: config.logLevel, redact: { paths: ['password', '*.password', 'token', '*.token', 'idNumber', '*.idNumber'], censor: '[redacted]' } }, opts.logTo);
  let embedded: EmbeddedDb | undefined;
  if (!config.databaseUrl) {
    log.info({ dataDir: config.dataDir }, 'no DATABASE_URL: starting the embedded PostgreSQL');
    embedded = await startEmbeddedDb({ dataDir: config.dataDir, port: config.embeddedPgPort, database: 'warmth', fast: opts.fastDb, log: (l) => log.debug({ pg: l }) });
  }
  // The service works as DATABASE_URL's role; the owner (DATABASE_OWNER_URL, or the embedded owner role) migrates.
  const appUrl = embedded?.appUrl ?? config.databaseUrl!;
  const ownerUrl = embedded?.ownerUrl ?? config.databaseOwnerUrl ?? appUrl;
  const db = createKnex(appUrl, undefined, config.statementTimeoutMs);
  const owner = ownerUrl === appUrl ? undefined : createKnex(ownerUrl, { min: 0, max: 2 }, config.statementTimeoutMs);
  try {
    // Before the migrations: 20261127_0400_households_health_encrypted encrypts existing rows with DATA_KEY.
    configureDataKey(config.dataKey);
    const roles = await prepareDatabase(db, owner, { production: config.nodeEnv === 'production' }).finally(() => owner?.destroy());
    if (!roles.leastPrivilege) log.warn({ role: roles.role, problems: roles.problems }, roleWarning(roles));
    configureAuditSecret(config.auditSecret);
    configureSigningKey(config.signingKey);
    configurePasswordHashing(config.passwordHashRounds);
    const ctx: AppContext = { config, db, log };
    if (config.adminUsername && config.adminPassword) await ensureAdmin(db, config.adminUsername, config.adminPassword);
    await seedOnFirstStart(ctx);
    const app = createApp(ctx);
    // Time limits: a request must arrive whole within REQUEST_TIMEOUT_SECONDS; slow clients are cut off (408).
    const server = http.createServer(
      { requestTimeout: config.requestTimeoutMs, headersTimeout: Math.min(config.requestTimeoutMs, 60_000), connectionsCheckingInterval: Math.min(config.requestTimeoutMs, 5_000) },
      app,
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    server.on('clientError', answerClientError);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const jobs = startBackgroundJobs(ctx);
    log.info({ port }, `warmth-ledger listening on http://127.0.0.1:${port}`);
    return {
      ctx,
      server,
      url: `http://127.0.0.1:${port}`,
      ownerUrl,
      superuserUrl: embedded?.url,
      async stop() {
        jobs.stop();
        await new Promise<void>((r) => server.close(() => r()));
        server.closeAllConnections();
        await db.destroy();
        await embedded?.stop();
      },
    };
  } catch (e) {
    await db.destroy();
    await embedded?.stop();
    throw e;
  }
}

async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  let service: RunningService;
  try {
    service = await startService(config);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    console.error(`warmth-ledger could not start: ${(e as Error).message}`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.ctx.log.info({ signal }, 'stopping');
    await service.stop().catch((e) => console.error(e));
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
