import { Router, type Response } from 'express';
import Joi from 'joi';
import { defineRoute, type AppContext } from '../http/route';
import { perClientLimit } from '../http/rate-limit';
import { dateSchema } from '../platform/clock';
import { badRequest } from '../platform/errors';
import { timeReport } from '../platform/metrics';
import type { ReportSink } from '../../reports/kit';
import { publishReport, verifyReport, type Renderer, type ReportKind } from './publish';
import { aidDisclosure, auditAttestation, exitProgress, exitProgressParams, fundStatementReport } from './renderers';
import { exportGrants, type TextSink } from './open-data';
import { loanReportRoutes } from './loans';
import { campaignReportRoutes } from './campaign-disclosure';
import { onReader, reportsReaderOf, stateAsOf } from './replica';
import { cachedPublic } from '../http/conditional';
import { reportBasis } from './publish';
import { auditHead } from '../audit';

const PDF = 'application/pdf';
const fundCode = () => Joi.string().max(32).pattern(/^[A-Z0-9-]+$/);
const period = { from: dateSchema().required(), to: dateSchema().required() };
const checkPeriod = (q: { from: string; to: string }) => {
  if (q.from > q.to) throw badRequest('from must not be after to', [{ in: 'query', path: 'to', message: '"to" must be on or after "from"' }]);
};

const lastDayOfMonth = (month: string) => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
};

/**
 * A whole calendar month, quarter or year: the periods anyone may ask a disclosure PDF for. Each new PDF
 * appends a report.published row, so anonymous requests are held to a bounded set of periods.
 */
export function isPublicPeriod(from: string, to: string): boolean {
  if (!from.endsWith('-01') || from.slice(0, 4) !== to.slice(0, 4)) return false;
  const startMonth = Number(from.slice(5, 7));
  const endMonth = Number(to.slice(5, 7));
  const span = endMonth - startMonth + 1;
  const whole = to === lastDayOfMonth(to.slice(0, 7));
  return whole && (span === 1 || (span === 3 && startMonth % 3 === 1) || (span === 12 && startMonth === 1));
}

/** Writes to an HTTP response, honouring back-pressure; a client that goes away aborts the generation. */
function responseSink(res: Response, headers: Record<string, string>): ReportSink & TextSink {
  let closed = false;
  res.once('close', () => (closed = true));
  return {
    write(chunk: Buffer | string) {
      if (closed) throw new Error('the client closed the connection');
      if (!res.headersSent) {
        res.status(200);
        for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      }
      return res.write(chunk);
    },
    drain: () =>
      new Promise<void>((resolve, reject) => {
        if (closed) return reject(new Error('the client closed the connection'));
        if (!res.writableNeedDrain) return resolve(); // it drained already while we were busy
        const done = () => {
          res.off('close', gone);
          resolve();
        };
        const gone = () => {
          res.off('drain', done);
          reject(new Error('the client closed the connection'));
        };
        res.once('drain', done);
        res.once('close', gone);
      }),
  };
}

/**
 * Streams a report and publishes it. The last bytes are written as they are made, but the response is ended
 * only once the report.published row is committed: if publishing fails, the connection is cut, so no client
 * holds a complete PDF whose hash the log does not know.
 */
async function sendReport<P extends Record<string, unknown>>(app: AppContext, res: Response, kind: ReportKind, params: P, render: Renderer<P>, actor: string) {
  // HEAD makes and publishes nothing (a body-less answer can carry no trailer, and a probe is no download).
  // Anonymous public PDFs carry the Cache-Control of src/http/conditional.ts; everything else is no-store.
  const cacheControl = String(res.getHeader('Cache-Control') ?? 'no-store');
  if (res.req.method === 'HEAD') {
    res.status(200).set({ 'Content-Type': PDF, 'Cache-Control': cacheControl }).end();
    return;
  }
  const sink = responseSink(res, {
    'Content-Type': PDF,
    'Content-Disposition': `inline; filename="${kind}.pdf"`,
    'Cache-Control': cacheControl,
    Trailer: 'X-Report-SHA256',
  });
  const reader = reportsReaderOf(app);
  try {
    const pub = await timeReport(kind, () => onReader(app, reader, () => publishReport(app.db, kind, params, render, sink, {
      actor, aidRulesName: app.config.aidRulesName, readDb: reader.db,
      onBasis: (basis, snapshotHead) => stateAsOf(res, app, reader, basis, snapshotHead),
    }), { publishes: true }));
    res.addTrailers({ 'X-Report-SHA256': pub.sha256 });
    res.end();
  } catch (e) {
    if (res.headersSent) res.destroy();
    throw e;
  }
}

const pdfDoc = (summary: string) => ({ responses: { 200: { description: summary, content: { [PDF]: { schema: { type: 'string', format: 'binary' } } } } } });

export function reportRoutes(app: AppContext) {
  const r = Router();
  const publicLimit = perClientLimit(app.config.publicReportRateLimit, 'public report requests');
  defineRoute<unknown, { fund: string; from: string; to: string }>(r, app, {
    method: 'get', path: '/reports/fund-statement.pdf', tag: 'reports', access: ['finance', 'auditor'], produces: PDF,
    summary: 'Fund statement PDF (基金收支报表): income and expenses by account (gross), cash and bank receipts and payments, opening and closing — for the subtree and each fund; ties to the trial balance; published to the audit log',
    query: Joi.object({ fund: fundCode().required(), ...period }),
    openapi: pdfDoc('The PDF'),
    handler: async ({ res, query, user }) => {
      checkPeriod(query);
      await sendReport(app, res, 'fund-statement', { fund: query.fund, from: query.from, to: query.to }, fundStatementReport, user!.username);
    },
  });
  // Public and costly (and each new report appends an audit row): limited per client address.
  r.get('/reports/aid-disclosure.pdf', (req, res, next) => (req.user ? next() : publicLimit(req, res, next)));
  r.get('/public/export/360giving.json', (req, res, next) => (req.user ? next() : publicLimit(req, res, next)));
  const reader = reportsReaderOf(app);
  // A PDF is made at its basis (publishing it moves the head, not the basis): the validator follows the basis.
  const atBasis = () => ({ scope: 'shared' as const, maxAge: 60, basis: () => onReader(app, reader, (db) => reportBasis(db)) });
  defineRoute<unknown, { fund?: string; from: string; to: string }>(r, app, {
    method: 'get', path: '/reports/aid-disclosure.pdf', tag: 'reports', access: 'public', produces: PDF,
    summary: 'Aid disclosure PDF (应急救助公示): every paid case of the period, masked, with totals by reason and district; streamed; published to the audit log. Without a login only whole months, quarters or years',
    query: Joi.object({ fund: fundCode(), ...period }),
    openapi: pdfDoc('The PDF'),
    handler: cachedPublic(app.db, atBasis, async ({ res, query, user }) => {
      checkPeriod(query);
      if (!user && !isPublicPeriod(query.from, query.to)) {
        throw badRequest('without a login, a disclosure PDF is for a whole month, quarter or year (e.g. from=2026-01-01&to=2026-03-31); 未登录时只能下载整月、整季或整年的公示报告', [
          { in: 'query', path: 'from', message: 'must start a calendar month, quarter or year, and "to" must end it' },
        ]);
      }
      const params = { from: query.from, to: query.to, ...(query.fund ? { fund: query.fund } : {}) };
      await sendReport(app, res, 'aid-disclosure', params, aidDisclosure, user?.username ?? 'public');
    }),
  });
  defineRoute<unknown, { year: number }>(r, app, {
    method: 'get', path: '/reports/exit-progress.pdf', tag: 'reports', access: ['auditor', 'admin'], produces: PDF,
    summary: 'Exit-target progress PDF (解困脱困目标进度): the tracker, a monthly chart, districts against quota; published to the audit log',
    query: Joi.object({ year: Joi.number().integer().min(2000).max(2099).required() }),
    openapi: pdfDoc('The PDF'),
    handler: async ({ res, query, user }) => {
      await sendReport(app, res, 'exit-progress', exitProgressParams(query.year), exitProgress, user!.username);
    },
  });
  defineRoute(r, app, {
    method: 'get', path: '/reports/audit-attestation.pdf', tag: 'reports', access: ['auditor', 'admin'], produces: PDF,
    summary: 'Audit attestation PDF (审计链证明): chain length, head, a full verification run now, actions by type and month; published to the audit log',
    openapi: pdfDoc('The PDF'),
    handler: async ({ res, user }) => {
      await sendReport(app, res, 'audit-attestation', {}, auditAttestation, user!.username);
    },
  });
  defineRoute<unknown, { sha256: string }>(r, app, {
    method: 'get', path: '/public/reports/verify', tag: 'public', access: 'public',
    summary: 'Was a report with this SHA-256 issued? Kind, parameters, the audit head it was made at, when and at which seq it was published',
    query: Joi.object({ sha256: Joi.string().length(64).hex().required() }),
    handler: cachedPublic(app.db, { scope: 'shared' }, async ({ query }) => verifyReport(app.db, query.sha256)),
  });
  defineRoute<unknown, { fund?: string; from: string; to: string }>(r, app, {
    method: 'get', path: '/public/export/360giving.json', tag: 'public', access: 'public', produces: 'application/json',
    summary: 'Paid aid of the period as a 360Giving 1.4 data package {version, license, publisher, grants: [...]} to anonymous individuals (valid against the standard\'s schema; amountAwarded is a number); 404 no_grants when nothing was paid (a package must hold a grant)',
    query: Joi.object({ fund: fundCode(), ...period }),
    handler: cachedPublic(app.db, () => ({ scope: 'shared', maxAge: 60, basis: () => onReader(app, reader, auditHead) }), async ({ res, query }) => {
      checkPeriod(query);
      const sink = responseSink(res, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': String(res.getHeader('Cache-Control') ?? 'no-store') });
      await onReader(app, reader, (db) => exportGrants(db, query, 'json', sink, app.config, (head) => stateAsOf(res, app, reader, head)));
      res.end();
    }),
  });
  defineRoute<unknown, { fund?: string; from: string; to: string }>(r, app, {
    method: 'get', path: '/reports/360giving.csv', tag: 'reports', access: ['finance', 'auditor'], produces: 'text/csv',
    summary: 'The 360Giving grants of the period as CSV (UTF-8 with BOM; exact decimal amounts) for finance',
    query: Joi.object({ fund: fundCode(), ...period }),
    handler: async ({ res, query }) => {
      checkPeriod(query);
      const sink = responseSink(res, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="360giving-${query.from}-${query.to}.csv"`, 'Cache-Control': 'no-store' });
      await onReader(app, reader, (db) => exportGrants(db, query, 'csv', sink, app.config, (head) => stateAsOf(res, app, reader, head)));
      res.end();
    },
  });
  loanReportRoutes(r, app, sendReport, publicLimit);
  campaignReportRoutes(r, app, sendReport, publicLimit);
  return r;
}
