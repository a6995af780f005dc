// What the reports domain reads of a campaign (the disclosure PDF, the 360Giving export): masked facts only,
// streamed in keyset batches inside the caller's snapshot. Nothing here writes.
import type { Db } from '../platform/db';
import { money } from '../platform/money';
import { decodeCampaign, KIND_ZH, type CampaignKind, type CampaignStatus } from './model';

/** A roll is disclosed once its notice is over: payable, being paid or paid (as aid is disclosed once paid). */
export const DISCLOSED_STATUSES: readonly CampaignStatus[] = ['payable', 'paying', 'paid'];

export interface DisclosedCampaign {
  id: number;
  name: string;
  kind: CampaignKind;
  kindZh: string;
  year: number;
  district: string | null;
  funds: string[];
  status: CampaignStatus;
  noticeStart: string | null;
  noticeEnd: string | null;
  approvedTotal: string | null;
}

/** The campaign's public facts, or null when it does not exist or its roll is not disclosed yet. */
export async function disclosedCampaign(db: Db, id: number): Promise<DisclosedCampaign | null> {
  const raw = await db('campaigns').where({ id }).first();
  if (!raw) return null;
  const c = decodeCampaign(raw);
  if (!DISCLOSED_STATUSES.includes(c.status)) return null;
  return {
    id: c.id, name: c.name, kind: c.kind, kindZh: KIND_ZH[c.kind], year: c.year, district: c.district, funds: c.funds, status: c.status,
    noticeStart: c.notice_start?.toISOString() ?? null, noticeEnd: c.notice_end?.toISOString() ?? null,
    approvedTotal: c.approved_total === null ? null : money(c.approved_total),
  };
}

/** One line of a disclosed roll: the five public fields and its payment state (never the household, rule or account). */
export interface DisclosedLine {
  lineNo: number;
  maskedName: string;
  district: string;
  category: string;
  amount: string;
  payState: string;
}

/** The included lines of a roll in line order, in batches. */
export async function* campaignDisclosureLines(db: Db, id: number, batchSize = 1000): AsyncIterable<DisclosedLine[]> {
  let after = 0;
  for (;;) {
    const rows: { line_no: number; masked_name: string; district: string; category: string; amount: string; pay_state: string }[] = await db('campaign_lines')
      .where({ campaign_id: id, status: 'included' }).where('line_no', '>', after).orderBy('line_no').limit(batchSize)
      .select('line_no', 'masked_name', 'district', 'category', 'amount', 'pay_state');
    if (!rows.length) return;
    yield rows.map((r) => ({ lineNo: Number(r.line_no), maskedName: r.masked_name, district: r.district, category: r.category, amount: money(r.amount), payState: r.pay_state }));
    after = Number(rows[rows.length - 1]!.line_no);
    if (rows.length < batchSize) return;
  }
}

/** A paid line as open data sees it: no name, no household, no rule (it would tell the causes). */
export interface PaidCampaignLine {
  campaignId: number;
  campaignName: string;
  kind: CampaignKind;
  year: number;
  lineNo: number;
  district: string;
  fund: string;
  amount: string;
  paidDate: string;
  noticeStart: string | null;
  updatedAt: string;
}

/**
 * Lines paid (posted; bank result pending or confirmed, or cash) with a payment date in [from, to], optionally
 * of one fund, ordered by campaign and line, in batches. A line the bank returned is not paid until paid again.
 */
export async function* paidCampaignLines(db: Db, q: { from: string; to: string; fund?: string }, batchSize = 1000): AsyncIterable<PaidCampaignLine[]> {
  let after: [number, number] = [0, 0];
  for (;;) {
    const query = db('campaign_lines as l').join('campaigns as c', 'c.id', 'l.campaign_id')
      .where('l.status', 'included').whereIn('l.pay_state', ['paid', 'confirmed'])
      .whereBetween('l.paid_date', [q.from, q.to])
      .whereRaw('(l.campaign_id, l.line_no) > (?, ?)', after)
      .orderBy([{ column: 'l.campaign_id' }, { column: 'l.line_no' }]).limit(batchSize)
      .select('l.campaign_id', 'l.line_no', 'l.district', 'l.fund', 'l.amount', db.raw(`to_char(l.paid_date, 'YYYY-MM-DD') AS paid_date`),
        'c.name', 'c.kind', 'c.year', 'c.notice_start', 'c.updated_at');
    if (q.fund) query.where('l.fund', q.fund);
    const rows: { campaign_id: number; line_no: number; district: string; fund: string; amount: string; paid_date: string; name: string; kind: CampaignKind; year: number; notice_start: Date | null; updated_at: Date }[] = await query;
    if (!rows.length) return;
    yield rows.map((r) => ({
      campaignId: Number(r.campaign_id), campaignName: r.name, kind: r.kind, year: Number(r.year), lineNo: Number(r.line_no), district: r.district, fund: r.fund,
      amount: money(r.amount), paidDate: r.paid_date, noticeStart: r.notice_start ? new Date(r.notice_start).toISOString() : null, updatedAt: new Date(r.updated_at).toISOString(),
    }));
    const last = rows[rows.length - 1]!;
    after = [Number(last.campaign_id), Number(last.line_no)];
    if (rows.length < batchSize) return;
  }
}
