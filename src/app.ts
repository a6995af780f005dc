import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError, messageZhOf } from './platform/errors';
import { requestContext, requestIdOf } from './platform/request-context';
import { appMetrics, httpMetrics, metricsHandler } from './platform/metrics';
import { healthRoutes, type ServiceState } from './http/health';
import { auditHead } from './audit';
import { authenticate } from './auth';
import { registeredRoutes, type AppContext } from './http/route';
import { buildOpenApi } from './http/openapi';
import { domainRouters, LARGE_BODY_PATHS, RAW_BODY_PATHS } from './domains';
import { webRouter } from './web';

const require = createRequire(import.meta.url);

/** The package's version: package.json is one folder up from src/, two from dist/src/ (npm run build). */
function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')).version;
    const parent = path.dirname(dir);
    if (parent === dir) return '0.0.0';
    dir = parent;
  }
}
const VERSION = packageVersion();

// PostgreSQL errors a client can cause with odd input, or that the client should retry; anything else is
// our bug and stays a 500.
const BAD_VALUE = 'a value in the request is out of range or malformed';
const PG_ERRORS: Record<string, [number, string, string]> = {
  '22P02': [400, 'validation_failed', BAD_VALUE], // invalid text representation
  '22003': [400, 'validation_failed', BAD_VALUE], // numeric out of range
  '22007': [400, 'validation_failed', BAD_VALUE], // invalid datetime format
  '22008': [400, 'validation_failed', BAD_VALUE], // datetime out of range
  '22001': [400, 'validation_failed', BAD_VALUE], // string too long
  '22021': [400, 'validation_failed', BAD_VALUE], // bad byte sequence (NUL in text)
  '22P05': [400, 'validation_failed', BAD_VALUE], // untranslatable character (\u0000 in jsonb)
  '23505': [409, 'conflict', 'the change conflicts with data that exists'],
  '23001': [409, 'immutable', 'the change conflicts with data that exists'],
  '57014': [503, 'statement_timeout', 'the request took too long and was cancelled: nothing was changed'],
};

// The database went away (restart, failover, pool exhausted): the client should retry, so a 503, not a 500.
const UNAVAILABLE = 'the database is not reachable: retry the request (with the same Idempotency-Key)';
const databaseAway = (e: { code?: string; name?: string }) =>
  e.name === 'KnexTimeoutError' || (!!e.code && (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(e.code) || /^(08|57P)/.test(e.code)));

/** One app's metrics: the process's, its pool's and the audit chain's length. */
const metricsOf = (ctx: AppContext) => appMetrics(ctx.db, async () => (await auditHead(ctx.db)).seq);

/** The listener of METRICS_PORT (src/server.ts): GET /metrics and nothing else; the token is still asked when set. */
export function createMetricsApp(ctx: AppContext) {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metricsHandler(metricsOf(ctx), ctx.config.metricsToken, { open: true }));
  app.use((req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: `no route ${req.method} ${req.path}`, messageZh: messageZhOf('not_found'), details: null } });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    ctx.log.error({ err }, 'metrics scrape failed');
    res.status(500).json({ error: { code: 'internal_error', message: 'the metrics could not be read', messageZh: messageZhOf('internal_error'), details: null } });
  });
  return app;
}

/** The app of one service; `state` is what the service around it tells /health/ready (a second app has none). */
export function createApp(ctx: AppContext, state: ServiceState = { stopping: false }) {
  const app = express();
  app.disable('x-powered-by');
  app.use(httpMetrics);
  // Loopback by default (the web pages call the API through it); behind a load balancer, name it in TRUST_PROXY.
  app.set('trust proxy', ctx.config.trustProxy);
  app.use(
    pinoHttp({
      logger: ctx.log,
      genReqId: requestIdOf, // also answered as X-Request-Id and written into the audit rows of the request's writes
      // Only method and path: query strings may carry names or ID numbers, headers carry tokens.
      serializers: {
        req: (req) => ({ id: req.id, method: req.method, path: String(req.url).split('?')[0] }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => req.url === '/health' || !!req.url?.startsWith('/health/') || req.url === '/metrics' },
    }),
  );
  app.use(requestContext);
  app.use(
    helmet({
      contentSecurityPolicy: { directives: { 'default-src': ["'self'"], 'img-src': ["'self'", 'data:'], 'script-src': ["'self'"], 'style-src': ["'self'", "'unsafe-inline'"] } },
    }),
  );

  healthRoutes(app, ctx, state, VERSION);
  // Prometheus metrics: with METRICS_TOKEN here; else only on the METRICS_PORT listener (src/server.ts).
  app.get('/metrics', metricsHandler(metricsOf(ctx), ctx.config.metricsToken, { open: false }));

  // A 20 MB statement file (MAX_FILE_CHARS) sent as base64 is about 26.7 MB of JSON.
  for (const p of LARGE_BODY_PATHS) app.use(`/api/v1${p}`, express.json({ limit: '28mb' }));
  const json = express.json({ limit: ctx.config.bodyLimit });
  app.use((req, res, next) => (req.method === 'POST' && RAW_BODY_PATHS.some((p) => req.path === `/api/v1${p}`) ? next() : json(req, res, next)));
  app.use('/api/v1', authenticate(ctx.db));
  for (const router of domainRouters(ctx)) app.use('/api/v1', router);

  const openapi = buildOpenApi(registeredRoutes(), VERSION);
  app.get('/api/v1/openapi.json', (_req, res) => res.json(openapi));
  app.get('/docs/swagger-initializer.js', (_req, res) => {
    res.type('application/javascript').send(`window.onload = () => { window.ui = SwaggerUIBundle({ url: '/api/v1/openapi.json', dom_id: '#swagger-ui' }); };`);
  });
  app.use('/docs', express.static(path.dirname(require.resolve('swagger-ui-dist/package.json')), { index: 'index.html' }));

  app.use('/', webRouter(ctx)); // the web console (src/web): pages, after the API and before the 404

  app.use((req, _res, next) => next(new AppError(404, 'not_found', `no route ${req.method} ${req.path}`)));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; type?: string; code?: string; message?: string; name?: string };
    let status = 500, code = 'internal_error', message = 'internal error: the request was not carried out', details: unknown = { requestId: req.id };
    if (err instanceof AppError) {
      ({ status, code, message } = err);
      details = err.details ?? null;
    } else if (e.type === 'entity.too.large') {
      [status, code, message] = [413, 'payload_too_large', 'the request body is too large'];
    } else if (e.type === 'entity.parse.failed') {
      [status, code, message] = [400, 'validation_failed', 'the request body is not valid JSON'];
    } else if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
      [status, code, message] = [415, 'unsupported_media_type', 'the request body must be UTF-8 JSON'];
    } else if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      [status, code, message] = [e.status, 'bad_request', e.message ?? 'bad request'];
    } else if (databaseAway(e)) {
      [status, code, message] = [503, 'unavailable', UNAVAILABLE];
    } else if (e.code && PG_ERRORS[e.code]) {
      [status, code, message] = PG_ERRORS[e.code]!;
    }
    if (status >= 500) req.log.error({ err }, 'request failed');
    if (!res.headersSent) res.status(status).json({ error: { code, message, messageZh: messageZhOf(code, err instanceof AppError ? err.messageZh : undefined), details } });
    else res.destroy(); // a half-sent answer (a stream that failed) must not look complete
  });
  return app;
}
