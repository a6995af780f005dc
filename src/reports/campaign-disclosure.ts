// 送温暖活动名单公示 The campaign disclosure PDF (issue 17): a relief campaign's roll once its notice is over
// (payable, being paid, paid), masked, with totals by district and category; published to the audit log and
// verifiable like every report. Data through the campaigns domain's index.ts inside the publisher's snapshot;
// layout in reports/campaign-disclosure.ts.
import type { Request, RequestHandler, Response, Router } from 'express';
import Joi from 'joi';
import { CAMPAIGN_STATUS_ZH, CATEGORY_ZH, campaignDisclosureLines, disclosedCampaign, type CampaignStatus, type DisclosedLine } from '../campaigns';
import { defineRoute, type AppContext } from '../http/route';
import { notFound } from '../platform/errors';
import { maskName } from '../platform/masking';
import { shanghaiTime, type ReportMeta } from '../../reports/kit';
import {
  renderCampaignDisclosure, summarizeCampaign, type CampaignDisclosureLabels, type CampaignDisclosureRow,
} from '../../reports/campaign-disclosure';
import type { Db } from '../platform/db';
import type { Renderer, ReportKind } from './publish';
import { disclosureLabels, TITLES } from './renderers';

const CATEGORY_EN: Record<string, string> = { deep: 'deep', relative: 'relative', accidental: 'accidental' };
const STATUS_EN: Record<string, string> = { payable: 'payable', paying: 'being paid', paid: 'paid' };
// The public sees paid or not: a transfer the bank returned is "to pay" again (its reason is no one's business).
const PAY_STATE_LABEL: Record<string, string> = { unpaid: '待发放 to pay', returned: '待发放 to pay', paid: '已发放 paid', confirmed: '已发放 paid' };

/** The lines as the PDF shows them: the reference C<id>-<line>, the name masked once more (maskName is idempotent). */
async function* rowsOf(db: Db, id: number): AsyncIterable<CampaignDisclosureRow[]> {
  for await (const batch of campaignDisclosureLines(db, id)) {
    yield batch.map((l: DisclosedLine) => ({ ref: `C${id}-${l.lineNo}`, maskedName: maskName(l.maskedName), district: l.district, category: l.category, amount: l.amount, payState: l.payState }));
  }
}

const notDisclosed = (id: number) =>
  notFound(`campaign ${id} with a disclosed roll (its notice over: payable, being paid or paid)`).zh(`活动 ${id} 不存在，或其名单尚未公示期满（公示期满、待支付或已支付后才公开）`);

export type CampaignDisclosureParams = { campaign: number };
export const campaignDisclosureReport: Renderer<CampaignDisclosureParams> = async (p, ctx) => {
  const c = await disclosedCampaign(ctx.db, p.campaign);
  if (!c) throw notDisclosed(p.campaign);
  const base = await disclosureLabels(ctx.db);
  const labels: CampaignDisclosureLabels = {
    district: base.district,
    category: (k) => `${CATEGORY_ZH[k] ?? k} ${CATEGORY_EN[k] ?? ''}`.trim(),
    payState: (k) => PAY_STATE_LABEL[k] ?? k,
  };
  const summary = await summarizeCampaign(rowsOf(ctx.db, c.id), labels);
  const [titleZh, titleEn] = TITLES['campaign-disclosure'];
  const notice = c.noticeStart && c.noticeEnd ? `${shanghaiTime(new Date(c.noticeStart))} 至 ${shanghaiTime(new Date(c.noticeEnd))}` : '—';
  const meta: ReportMeta = {
    kind: 'campaign-disclosure', titleZh, titleEn, generatedAt: ctx.generatedAt, head: ctx.head,
    period: `${c.year} 年度 year ${c.year} · ${c.kindZh}`,
    scope: `活动 Campaign C${c.id} ${c.name}（${c.district ? base.district(c.district) : '全市 city-wide'}）`,
  };
  const facts = {
    name: c.name, kind: `${c.kindZh} ${c.kind.replace(/_/g, ' ')}`, year: c.year, status: `${CAMPAIGN_STATUS_ZH[c.status as CampaignStatus]} ${STATUS_EN[c.status] ?? c.status}`,
    funds: c.funds.join('、'), notice, approvedTotal: c.approvedTotal,
  };
  return renderCampaignDisclosure(meta, facts, summary, () => rowsOf(ctx.db, c.id), labels, ctx.sink);
};

type Send = <P extends Record<string, unknown>>(app: AppContext, res: Response, kind: ReportKind, params: P, render: Renderer<P>, actor: string) => Promise<void>;
const pdfDoc = { responses: { 200: { description: 'The PDF', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } } } };

/** The PDF route, registered by reportRoutes with its sender (stream + publish) and its public rate limit. */
export function campaignReportRoutes(r: Router, app: AppContext, send: Send, publicLimit: RequestHandler) {
  r.get('/reports/campaign-disclosure.pdf', (req: Request, res: Response, next) => (req.user ? next() : publicLimit(req, res, next)));
  defineRoute<unknown, { campaign: number }>(r, app, {
    method: 'get', path: '/reports/campaign-disclosure.pdf', tag: 'reports', access: 'public', produces: 'application/pdf',
    summary: 'Campaign disclosure PDF (送温暖活动名单公示): the roll of a campaign whose notice is over, masked, with totals by district and category; published to the audit log. 404 before the notice ends',
    query: Joi.object({ campaign: Joi.number().integer().min(1).max(2147483647).required() }),
    openapi: pdfDoc,
    handler: async ({ res, query, user }) => {
      // Refused before any byte (the renderer checks again inside the snapshot).
      if (!(await disclosedCampaign(app.db, query.campaign))) throw notDisclosed(query.campaign);
      await send(app, res, 'campaign-disclosure', { campaign: query.campaign }, campaignDisclosureReport, user?.username ?? 'public');
    },
  });
}
