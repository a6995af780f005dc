import crypto from 'node:crypto';
import { expect } from 'chai';
import { api, auditSeq, errorCode, userToken } from '../support/api';
import { fundWithMoney, household } from '../support/fixtures';
import { testService } from '../support/env';
import { clock } from '../../src/platform/clock';
import { fundStatement } from '../../src/ledger';
import { formatAmount } from '../../reports/kit';
import { getBytes, isPdf, pdfText, squash } from './support';

const today = () => new Date(clock.now().getTime() + 8 * 3600_000).toISOString().slice(0, 10);
const year = () => today().slice(0, 4);
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

describe('reports: PDFs over HTTP, publication and verification', function () {
  this.timeout(120_000);
  let auditor: string, admin: string, finance: string, officer: string, officer2: string, approver: string;
  let fund: string, root: string, caseNo: string;
  const HEAD = '欧阳建国';
  const PHONE = '13987654321';

  before(async () => {
    [auditor, admin, officer, officer2, approver] = await Promise.all([
      userToken(['auditor']).then((u) => u.token),
      userToken(['admin']).then((u) => u.token),
      userToken(['officer'], 'CY').then((u) => u.token),
      userToken(['officer'], 'CY').then((u) => u.token),
      userToken(['approver']).then((u) => u.token),
    ]);
    ({ fund, root, finance } = await fundWithMoney('50000.00'));
    // One paid aid case whose head has a four-character name, so masking is visible (欧**国).
    const hh = await household(officer, 'CY', HEAD);
    const c = await api('POST', '/aid-cases', { token: officer, body: { householdId: hh, fund, reason: 'illness', description: '住院治疗', requestedAmount: '1234.50', urgent: false } });
    expect(c.status, c.text).to.equal(201);
    caseNo = c.body.caseNo;
    const id = c.body.id;
    expect((await api('POST', `/aid-cases/${id}/submit`, { token: officer, body: {} })).status).to.equal(200);
    expect((await api('POST', `/aid-cases/${id}/review`, { token: officer2, body: { recommendedAmount: '1234.50', note: '属实' } })).status).to.equal(200);
    const ap = await api('POST', `/aid-cases/${id}/approve`, { token: approver, body: { approvedAmount: '1234.50', note: '同意' } });
    expect(ap.status, ap.text).to.equal(200);
    clock.advance(3_000);
    const paid = await api('POST', `/aid-cases/${id}/disburse`, { token: finance, body: { paymentRef: 'P-R1', date: today() } });
    expect(paid.status, paid.text).to.equal(200);
  });

  it('aid disclosure: public, a PDF with the paid case masked, totals, no personal data', async () => {
    const r = await getBytes(`/reports/aid-disclosure.pdf?from=${year()}-01-01&to=${year()}-12-31&fund=${fund}`);
    expect(r.status, r.text.slice(0, 300)).to.equal(200);
    expect(r.headers.get('content-type')).to.match(/application\/pdf/);
    expect(isPdf(r.buf)).to.equal(true);
    const { text } = await pdfText(r.buf);
    for (const s of ['应急救助公示', '北京市温暖基金会', caseNo, '欧**国', '疾病', '朝阳区', '1,234.50', '按事由', '按区']) expect(text).to.include(s);
    expect(text).not.to.include(HEAD);
    expect(text).not.to.include(PHONE);
    expect(text).not.to.include('13912345678');
    expect(text).not.to.match(/(?<![\dA-Za-z])\d{17}[\dX](?![\dA-Za-z])/); // no resident ID number (not inside the head hash)
    expect(text).not.to.include('某路1号');
  });

  it('the same request at the same head gives the same bytes and appends one report.published row only', async () => {
    const path = `/reports/aid-disclosure.pdf?from=${year()}-01-01&to=${year()}-12-31`;
    const seq0 = await auditSeq();
    const a = await getBytes(path);
    const seq1 = await auditSeq();
    const b = await getBytes(path);
    const seq2 = await auditSeq();
    expect(a.status).to.equal(200);
    expect(a.buf.equals(b.buf)).to.equal(true);
    expect(seq1 - seq0).to.be.oneOf([0, 1]); // 0 when an earlier test already published these bytes
    expect(seq2).to.equal(seq1);
    const row = (await api('GET', `/public/log?after=${seq0}&limit=10`)).body.items.filter((i: any) => i.action === 'report.published');
    const v = await api('GET', `/public/reports/verify?sha256=${sha(a.buf)}`);
    expect(v.status).to.equal(200);
    expect(v.body).to.include({ issued: true, kind: 'aid-disclosure', sha256: sha(a.buf) });
    expect(v.body.params).to.deep.equal({ from: `${year()}-01-01`, to: `${year()}-12-31` });
    expect(v.body.seq).to.be.a('number');
    expect(v.body.issuedAt).to.be.a('string');
    if (row.length) expect(row[0].publicPayload).to.deep.equal({ kind: 'aid-disclosure', params: { from: `${year()}-01-01`, to: `${year()}-12-31` }, headSeq: v.body.headSeq, sha256: sha(a.buf) });
    // The header names the head it was made at (the last row that is not report.published).
    expect((await pdfText(a.buf)).text).to.include(`seq ${v.body.headSeq}`);
  });

  it('verify: an unknown hash was not issued; a malformed one is 400', async () => {
    const r = await api('GET', `/public/reports/verify?sha256=${'0'.repeat(64)}`);
    expect(r.body).to.deep.equal({ sha256: '0'.repeat(64), issued: false });
    expect(errorCode(await api('GET', '/public/reports/verify?sha256=xyz'))).to.equal('validation_failed');
  });

  it('audit attestation: auditor and admin only; chain verified; twice at the same head is byte-identical', async () => {
    expect((await getBytes('/reports/audit-attestation.pdf')).status).to.equal(401);
    expect((await getBytes('/reports/audit-attestation.pdf', finance)).status).to.equal(403);
    const a = await getBytes('/reports/audit-attestation.pdf', auditor);
    const seq = await auditSeq();
    const b = await getBytes('/reports/audit-attestation.pdf', admin);
    expect(await auditSeq()).to.equal(seq);
    expect(a.status).to.equal(200);
    expect(a.buf.equals(b.buf)).to.equal(true);
    const { text } = await pdfText(a.buf);
    const head = (await api('GET', '/audit/verify', { token: auditor })).body;
    expect(head.ok).to.equal(true);
    for (const s of ['审计链证明', '通过 Passed', 'aid.approved', 'ledger.posted', '按月份与动作']) expect(text).to.include(s);
    const v = (await api('GET', `/public/reports/verify?sha256=${sha(a.buf)}`)).body;
    expect(v).to.include({ issued: true, kind: 'audit-attestation' });
    expect(text).to.include(`链长度 Chain length (rows) ${v.headSeq}`);
  });

  it('fund statement: finance and auditor; every figure equals the ledger statement to the fen', async () => {
    const from = `${year()}-01-01`;
    expect((await getBytes(`/reports/fund-statement.pdf?fund=${root}&from=${from}&to=${today()}`, officer)).status).to.equal(403);
    expect((await getBytes(`/reports/fund-statement.pdf?fund=NOPE-X&from=${from}&to=${today()}`, finance)).status).to.equal(404);
    const r = await getBytes(`/reports/fund-statement.pdf?fund=${root}&from=${from}&to=${today()}`, finance);
    expect(r.status, r.text.slice(0, 200)).to.equal(200);
    const st = await fundStatement(testService().ctx.db, root, from, today());
    const { text } = await pdfText(r.buf);
    expect(text).to.include('基金收支报表');
    const flat = squash(text);
    for (const [k, zh] of [['opening', '期初现金及银行存款'], ['payments', '本期付款'], ['closing', '期末现金及银行存款']] as const) {
      expect(flat, k).to.include(squash(`${zh}`));
      expect(flat, k).to.include(formatAmount(st.total[k]).replace(/\s/g, ''));
    }
    expect(flat).to.include('捐赠收入');
    expect(flat).to.include('业务活动成本');
    expect(st.total.donations).to.equal('50000.00');
    expect(st.total.aidPaid).to.equal('1234.50');
    expect(flat).to.include('1,234.50');
    expect(flat).to.include('48,765.50'); // closing = 50000.00 − 1234.50
    for (const f of st.funds) expect(flat).to.include(formatAmount(f.closing));
  });

  it('exit progress: auditor and admin; the tracker figures and the chart labels', async () => {
    expect((await getBytes(`/reports/exit-progress.pdf?year=${year()}`, finance)).status).to.equal(403);
    const r = await getBytes(`/reports/exit-progress.pdf?year=${year()}`, auditor);
    expect(r.status, r.text.slice(0, 200)).to.equal(200);
    const t = (await api('GET', `/targets/${year()}`, { token: admin })).body;
    const { text } = await pdfText(r.buf);
    for (const s of ['解困脱困目标进度', '按月脱困户数', '按区（对照配额）', '12月', `年度目标（户） Target (households) ${t.target}`, `已脱困（户） Exited this year ${t.exited}`]) expect(text).to.include(s);
    expect(text).to.include('月均目标'); // the chart's target line label (bars are vector rectangles)
  });

  it('360Giving export: public JSON grants with the standard’s fields, recipients anonymous; CSV for finance (schema checks: open-data.test.ts)', async () => {
    const r = await api('GET', `/public/export/360giving.json?from=${year()}-01-01&to=${today()}&fund=${fund}`);
    expect(r.status, r.text.slice(0, 200)).to.equal(200);
    const prefix = testService().ctx.config.grantIdPrefix;
    const g = r.body.grants.find((x: any) => x.id === `${prefix}-${caseNo}`);
    expect(g).to.include({ currency: 'CNY', amountAwarded: 1234.5 });
    expect(g.recipientIndividual.name).to.equal('Individual Recipient');
    expect(g.recipientIndividual.id).to.match(new RegExp(`^${prefix}-IND-[0-9a-f]{16}$`));
    expect(g.fundingOrganization[0].name).to.include('北京市温暖基金会');
    expect(g.fundingOrganization[0].id).to.match(/^CN-USCI-[0-9A-HJ-NPQRTUWXY]{18}$/);
    expect(g.awardDate).to.match(/^\d{4}-\d{2}-\d{2}$/);
    expect(g.classifications[0]).to.include({ code: 'illness', title: '疾病' });
    expect(g.toIndividualsDetails).to.include({ primaryGrantReason: 'GTIR030' });
    expect(g.beneficiaryLocation[0]).to.include({ geoCode: '110105', countryCode: 'CN' });
    expect(r.text).not.to.include(HEAD);
    expect(r.text).not.to.include('欧**国');
    expect((await api('GET', `/reports/360giving.csv?from=${year()}-01-01&to=${today()}`, { token: officer })).status).to.equal(403);
    const csv = await getBytes(`/reports/360giving.csv?from=${year()}-01-01&to=${today()}&fund=${fund}`, finance);
    expect(csv.status).to.equal(200);
    expect(csv.text).to.include(`${prefix}-${caseNo}`);
    expect(csv.text).to.include(',1234.50,');
    expect(csv.text).not.to.include(HEAD);
  });

  it('refuses a period that ends before it starts, and no login → 400 not 500', async () => {
    const r = await api('GET', `/reports/aid-disclosure.pdf?from=2026-12-31&to=2026-01-01`);
    expect(errorCode(r)).to.equal('validation_failed');
  });

  it('HEAD of a PDF answers its headers, makes and publishes nothing, and the service stays up', async () => {
    const seq = await auditSeq();
    for (const path of [`/reports/aid-disclosure.pdf?from=2025-01-01&to=2025-12-31`, `/reports/audit-attestation.pdf`]) {
      const res = await fetch(`${testService().url}/api/v1${path}`, { method: 'HEAD', headers: path.includes('attestation') ? { authorization: `Bearer ${auditor}` } : {} });
      expect(res.status, path).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/application\/pdf/);
    }
    expect(await auditSeq()).to.equal(seq);
    expect((await api('GET', '/health')).status).to.equal(200);
  });

  it('without a login, disclosure PDFs only for whole months, quarters or years: other ranges append nothing', async () => {
    const seq = await auditSeq();
    for (const [from, to] of [['2026-01-01', '2026-01-30'], ['2026-01-02', '2026-01-31'], ['2026-02-01', '2026-04-30'], ['2026-01-01', '2026-06-30'], ['2025-12-01', '2026-01-31'], [`${year()}-01-01`, today()]]) {
      if (to === `${year()}-12-31`) continue;
      const r = await api('GET', `/reports/aid-disclosure.pdf?from=${from}&to=${to}`);
      expect(r.status, `${from}..${to}`).to.equal(400);
      expect(errorCode(r)).to.equal('validation_failed');
    }
    expect(await auditSeq()).to.equal(seq);
    for (const [from, to] of [['2024-02-01', '2024-02-29'], ['2026-04-01', '2026-06-30'], ['2025-01-01', '2025-12-31']]) {
      expect((await getBytes(`/reports/aid-disclosure.pdf?from=${from}&to=${to}`)).status, `${from}..${to}`).to.equal(200);
    }
    // Staff may ask for any range.
    expect((await getBytes(`/reports/aid-disclosure.pdf?from=${year()}-01-05&to=${today()}`, auditor)).status).to.equal(200);
  });
});
