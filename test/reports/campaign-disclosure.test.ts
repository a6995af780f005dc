import crypto from 'node:crypto';
import { expect } from 'chai';
import { api, auditSeq, errorCode } from '../support/api';
import { testService } from '../support/env';
import { createHousehold, newIdNumber } from '../households/support';
import { accountNo, createCampaign, funds, ok, people, today, waitPayable } from '../campaigns/support';
import { formatAmount } from '../../reports/kit';
import { INDIVIDUAL_NAME } from '../../src/reports/open-data';
import { getBytes, isPdf, pdfText, squash } from './support';
import { packageValidator } from './giving-schema';

// Two districts few other tests use; each household with an ID number and a bank account we can look for.
const DISTRICTS = ['MY', 'YQ'];
const HEADS = [
  { district: 'MY', headName: '欧阳春华', masked: '欧**华', category: 'deep', memberCount: 3, causes: ['illness'] },
  { district: 'YQ', headName: '司徒明月', masked: '司**月', category: 'relative', memberCount: 1, causes: ['other'] },
];

describe('campaign disclosure PDF and campaign grants in the 360Giving export', function () {
  this.timeout(120_000);
  let p: Awaited<ReturnType<typeof people>>;
  let campaignId: number;
  const secrets: string[] = [];

  before(async () => {
    p = await people(DISTRICTS);
    const tree = await funds(p.finance.token, DISTRICTS, '500000.00');
    for (const h of HEADS) {
      const idNumber = newIdNumber();
      const officer = p.officers[h.district]!.token;
      const made = await createHousehold(officer, { ...h, idNumber, masked: undefined });
      const account = accountNo();
      await ok('PUT', `/households/${made.id}/bank-account`, officer, { bankAccount: { accountNo: account, accountName: h.headName, bankName: '北京银行密云支行' } });
      secrets.push(h.headName, idNumber, account);
    }
    const c = await createCampaign(p.city.token, {
      name: '公示报告测试送温暖', funds: [tree.funds.MY, tree.funds.YQ],
      rules: { perCategory: { deep: '800.00', relative: '500.00', accidental: '600.00' }, perAdditionalMember: '100.00', cap: '1000.00' },
      eligibility: { districts: DISTRICTS },
    });
    campaignId = c.id;
    await ok('POST', `/campaigns/${c.id}/roll`, p.city.token, {});
    await ok('POST', `/campaigns/${c.id}/submit`, p.city.token, {});
    // Before the notice ends the roll is not disclosed: 404, nothing published.
    const seq = await auditSeq();
    const early = await api('GET', `/reports/campaign-disclosure.pdf?campaign=${c.id}`);
    expect(early.status, early.text).to.equal(404);
    expect(errorCode(early)).to.equal('not_found');
    expect(early.body.error.messageZh).to.include('公示期满');
    expect(await auditSeq()).to.equal(seq);
    await ok('POST', `/campaigns/${c.id}/approve`, p.approver1.token, {});
    await waitPayable(p.city.token, c.id);
    await ok('POST', `/campaigns/${c.id}/payments`, p.finance.token, { date: today() }, { 'Idempotency-Key': crypto.randomUUID() });
  });

  it('is public once the notice is over: masked roll, totals by district and category, never an ID number or a bank account; it verifies', async () => {
    const progress = await ok('GET', `/campaigns/${campaignId}/progress`, p.auditor.token);
    const r = await getBytes(`/reports/campaign-disclosure.pdf?campaign=${campaignId}`);
    expect(r.status, r.text.slice(0, 300)).to.equal(200);
    expect(r.headers.get('content-type')).to.equal('application/pdf');
    expect(isPdf(r.buf)).to.equal(true);
    const { text } = await pdfText(r.buf);
    const flat = squash(text);
    expect(flat).to.include(squash('送温暖活动名单公示'));
    expect(flat).to.include('公示报告测试送温暖');
    for (const h of HEADS) {
      expect(flat).to.include(h.masked);
      expect(flat).to.include(`C${campaignId}-`);
    }
    // Totals: the roll's total, each district's and each category's, as the progress answer states them.
    expect(flat).to.include(squash(formatAmount(progress.amounts.roll)));
    for (const d of progress.byDistrict) expect(flat).to.include(squash(formatAmount(d.amount)));
    for (const c of progress.byCategory) expect(flat).to.include(squash(formatAmount(c.amount)));
    expect(flat).to.include('密云').and.include('延庆').and.include('深度困难').and.include('相对困难');
    expect(flat).to.include(squash('合计 Total'));
    // The chain head the report was made at is printed; its SHA-256 is published and verifies.
    expect(flat).to.match(/审计链第\d+行/);
    for (const s of secrets) expect(flat, s).not.to.include(s);
    const sha = crypto.createHash('sha256').update(r.buf).digest('hex');
    const v = await api('GET', `/public/reports/verify?sha256=${sha}`);
    expect(v.status).to.equal(200);
    expect(v.body).to.include({ issued: true, kind: 'campaign-disclosure' });
    expect(v.body.params).to.deep.equal({ campaign: campaignId });
    // Asked again with nothing new in the log: the same bytes, nothing appended.
    const seq = await auditSeq();
    const again = await getBytes(`/reports/campaign-disclosure.pdf?campaign=${campaignId}`);
    expect(crypto.createHash('sha256').update(again.buf).digest('hex')).to.equal(sha);
    expect(await auditSeq()).to.equal(seq);
  });

  it('answers 404 for an unknown campaign and 400 for junk, publishing nothing', async () => {
    const seq = await auditSeq();
    expect((await api('GET', '/reports/campaign-disclosure.pdf?campaign=2147483000')).status).to.equal(404);
    const junk = await api('GET', '/reports/campaign-disclosure.pdf?campaign=abc');
    expect(junk.status).to.equal(400);
    expect(errorCode(junk)).to.equal('validation_failed');
    expect(await auditSeq()).to.equal(seq);
  });

  it('the 360Giving package holds one anonymous grant per paid line and still validates against the standard', async () => {
    const validate = packageValidator();
    const year = today().slice(0, 4);
    const r = await api('GET', `/public/export/360giving.json?from=${year}-01-01&to=${today()}`);
    expect(r.status, r.text.slice(0, 300)).to.equal(200);
    expect(validate(r.body), JSON.stringify(validate.errors?.slice(0, 5))).to.equal(true);
    const prefix = testService().ctx.config.grantIdPrefix;
    const paid = (await ok('GET', `/campaigns/${campaignId}/lines?payState=paid&limit=500`, p.auditor.token)).items as { lineNo: number; amount: string; district: string }[];
    expect(paid.length).to.be.at.least(HEADS.length);
    const grants = (r.body.grants as { id: string; amountAwarded: number; recipientIndividual: { id: string; name: string }; toIndividualsDetails: { primaryGrantReason: string }; beneficiaryLocation: { geoCode: string }[]; grantProgramme: { code: string }[] }[])
      .filter((g) => g.id.startsWith(`${prefix}-C${campaignId}-`));
    expect(grants.length).to.equal(paid.length);
    for (const l of paid) {
      const g = grants.find((x) => x.id === `${prefix}-C${campaignId}-${l.lineNo}`)!;
      expect(g, `line ${l.lineNo}`).to.not.equal(undefined);
      expect(g.amountAwarded).to.equal(Number(l.amount));
      expect(g.recipientIndividual.name).to.equal(INDIVIDUAL_NAME);
      expect(g.toIndividualsDetails.primaryGrantReason).to.equal('GTIR010');
      expect(g.beneficiaryLocation[0]!.geoCode).to.equal(l.district === 'MY' ? '110118' : '110119');
      expect(g.grantProgramme[0]!.code).to.equal(`${prefix}-campaign-C${campaignId}`);
    }
    // One recipient id per grant: a household's grants are not linked to each other.
    expect(new Set(grants.map((g) => g.recipientIndividual.id)).size).to.equal(grants.length);
    // Nothing of the person: no name (not even masked), no ID number, no account.
    for (const s of [...secrets, ...HEADS.map((h) => h.masked)]) expect(r.text, s).not.to.include(s);
    // The finance CSV carries them too, with exact amounts.
    const csv = await api('GET', `/reports/360giving.csv?from=${year}-01-01&to=${today()}`, { token: p.finance.token });
    expect(csv.status).to.equal(200);
    expect(csv.text).to.include(`${prefix}-C${campaignId}-${paid[0]!.lineNo},`);
    expect(csv.text).to.include(`,${paid[0]!.amount},`);
  });
});
