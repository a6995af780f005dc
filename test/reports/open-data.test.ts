import { expect } from 'chai';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { api, errorCode, userToken } from '../support/api';
import { fundWithMoney, household } from '../support/fixtures';
import { testService } from '../support/env';
import { clock } from '../../src/platform/clock';
import { ConfigError, isValidUsci, loadConfig } from '../../src/platform/config';
import { AID_REASONS } from '../../src/aid';
import { CSV_COLUMNS, DISTRICT_GBT2260, INDIVIDUAL_NAME, REASON_CODES } from '../../src/reports/open-data';

import { CODELISTS, packageValidator } from './giving-schema';

const today = () => new Date(clock.now().getTime() + 8 * 3600_000).toISOString().slice(0, 10);
const year = () => today().slice(0, 4);
const errorsOf = (v: ValidateFunction) => JSON.stringify(v.errors?.slice(0, 5));

describe('360Giving open data: valid against the standard’s schema, anonymous, with the standard’s codes', function () {
  this.timeout(120_000);
  const validate = packageValidator();
  const config = () => testService().ctx.config;
  const HEADS = { CY: '司马光明', HD: '诸葛孔明' };
  let fundCY: string, fundHD: string, caseCY: string, caseHD: string;

  async function paidCase(district: 'CY' | 'HD', fund: string, finance: string, reason: string, amount: string) {
    const [officer, officer2, approver] = await Promise.all([
      userToken(['officer'], district).then((u) => u.token),
      userToken(['officer'], district).then((u) => u.token),
      userToken(['approver']).then((u) => u.token),
    ]);
    const hh = await household(officer, district, HEADS[district]);
    const c = await api('POST', '/aid-cases', { token: officer, body: { householdId: hh, fund, reason, description: '说明', requestedAmount: amount, urgent: false } });
    expect(c.status, c.text).to.equal(201);
    expect((await api('POST', `/aid-cases/${c.body.id}/submit`, { token: officer, body: {} })).status).to.equal(200);
    expect((await api('POST', `/aid-cases/${c.body.id}/review`, { token: officer2, body: { recommendedAmount: amount, note: '属实' } })).status).to.equal(200);
    const ap = await api('POST', `/aid-cases/${c.body.id}/approve`, { token: approver, body: { approvedAmount: amount, note: '同意' } });
    expect(ap.status, ap.text).to.equal(200);
    return { id: c.body.id as number, caseNo: c.body.caseNo as string, finance };
  }

  before(async () => {
    const cy = await fundWithMoney('20000.00', 'CY');
    const hd = await fundWithMoney('20000.00', 'HD');
    [fundCY, fundHD] = [cy.fund, hd.fund];
    const a = await paidCase('CY', fundCY, cy.finance, 'illness', '1234.50');
    const b = await paidCase('HD', fundHD, hd.finance, 'disaster', '800.00');
    clock.advance(3_000); // past the notice period (PT2S in tests)
    for (const [x, ref] of [[a, 'P-OD1'], [b, 'P-OD2']] as const) {
      const paid = await api('POST', `/aid-cases/${x.id}/disburse`, { token: x.finance, body: { paymentRef: ref, date: today() } });
      expect(paid.status, paid.text).to.equal(200);
    }
    [caseCY, caseHD] = [a.caseNo, b.caseNo];
  });

  it('a period with paid cases: the package passes the official package and grant schemas (and their codelists)', async () => {
    for (const q of [`fund=${fundCY}`, `fund=${fundHD}`, '']) {
      const r = await api('GET', `/public/export/360giving.json?from=${year()}-01-01&to=${today()}&${q}`);
      expect(r.status, r.text.slice(0, 300)).to.equal(200);
      expect(r.headers.get('content-type')).to.match(/^application\/json/);
      expect(validate(r.body), errorsOf(validate)).to.equal(true);
      expect(r.body.grants.length).to.be.greaterThan(0);
    }
  });

  it('the validator has teeth: what the standard refuses is refused', async () => {
    const r = await api('GET', `/public/export/360giving.json?from=${year()}-01-01&to=${today()}&fund=${fundCY}`);
    const good = r.body;
    const broken = (change: (g: any, p: any) => void) => {
      const p = structuredClone(good);
      change(p.grants[0], p);
      return validate(p);
    };
    expect(broken(() => {})).to.equal(true);
    expect(broken((g) => delete g.recipientIndividual.name), 'recipient without a name').to.equal(false);
    expect(broken((g) => delete g.fundingOrganization), 'no funder').to.equal(false);
    expect(broken((g) => (g.toIndividualsDetails.primaryGrantReason = 'GTIR999')), 'reason off the codelist').to.equal(false);
    expect(broken((g) => (g.toIndividualsDetails.grantPurpose = ['illness'])), 'purpose off the codelist').to.equal(false);
    expect(broken((g) => (g.awardDate = '2026-13-01')), 'bad award date').to.equal(false);
    expect(broken((g) => (g.dataSource = 'not a web address')), 'bad data source').to.equal(false);
    expect(broken((g) => (g.amountAwarded = '1234.50')), 'amount as a string').to.equal(false);
    expect(broken((g) => (g.currency = 'RMB')), 'not an ISO 4217 code').to.equal(false);
    expect(broken((_g, p) => (p.version = '1.4.3')), 'package version is major.minor').to.equal(false);
    expect(broken((_g, p) => p.grants.push(structuredClone(p.grants[0]))), 'the same grant twice').to.equal(false);
    // Why an empty period is a 404: the package schema refuses a package without grants.
    expect(validate({ ...good, grants: [] })).to.equal(false);
  });

  it('data quality: funder id from org-id.guide, registered grant prefix, no name of any individual, codes, district codes', async () => {
    const c = config();
    const r = await api('GET', `/public/export/360giving.json?from=${year()}-01-01&to=${today()}`);
    expect(r.status).to.equal(200);
    const p = r.body;
    const funderId = `CN-USCI-${c.foundationUsci}`;
    expect(funderId).to.match(/^CN-USCI-[0-9A-HJ-NPQRTUWXY]{18}$/);
    expect(isValidUsci(c.foundationUsci)).to.equal(true);
    expect(p).to.include({ version: '1.4', license: 'https://creativecommons.org/licenses/by/4.0/' });
    expect(p.publisher).to.deep.include({ identifier: funderId, website: c.foundationWebsite });
    expect(p.publisher.name).to.include('北京市温暖基金会');
    expect(p.modified).to.match(/^\d{4}-\d{2}-\d{2}T/);
    expect(c.grantIdPrefix).to.match(/^360G-/);
    const ids = new Set<string>();
    for (const g of p.grants) {
      expect(g.id.startsWith(`${c.grantIdPrefix}-`), g.id).to.equal(true);
      expect(ids.has(g.id), `duplicate ${g.id}`).to.equal(false);
      ids.add(g.id);
      expect(g.fundingOrganization).to.deep.equal([{ id: funderId, name: p.publisher.name }]);
      expect(g.recipientIndividual.name).to.equal(INDIVIDUAL_NAME);
      expect(g.recipientIndividual.id).to.match(new RegExp(`^${c.grantIdPrefix}-IND-[0-9a-f]{16}$`));
      expect(g.awardDate <= today(), g.awardDate).to.equal(true);
      expect(g.dataSource).to.equal(c.foundationWebsite);
      expect(g.dateModified).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      const t = g.toIndividualsDetails;
      expect(CODELISTS['grantToIndividualsReason.csv']!.has(t.primaryGrantReason), t.primaryGrantReason).to.equal(true);
      if (t.secondaryGrantReason) expect(CODELISTS['grantToIndividualsReason.csv']!.has(t.secondaryGrantReason)).to.equal(true);
      expect(t.grantPurpose.length).to.be.within(1, 3); // the standard recommends at most three
      for (const code of t.grantPurpose) expect(CODELISTS['grantToIndividualsPurpose.csv']!.has(code), code).to.equal(true);
      expect(CODELISTS['locationScope.csv']!.has(g.locationScope)).to.equal(true);
      for (const loc of g.beneficiaryLocation) {
        expect(loc.countryCode).to.equal('CN');
        expect(loc.geoCode).to.match(/^1101\d{2}$/); // GB/T 2260, a Beijing district
        // geoCodeType is a closed, UK-only codelist: a code outside it would make the data invalid.
        if (loc.geoCodeType !== undefined) expect(CODELISTS['geoCodeType.csv']!.has(loc.geoCodeType)).to.equal(true);
      }
    }
    const cy = p.grants.find((g: any) => g.id === `${c.grantIdPrefix}-${caseCY}`);
    const hd = p.grants.find((g: any) => g.id === `${c.grantIdPrefix}-${caseHD}`);
    expect(cy).to.include({ currency: 'CNY', amountAwarded: 1234.5 });
    expect(cy.toIndividualsDetails).to.deep.equal({ primaryGrantReason: 'GTIR030', secondaryGrantReason: 'GTIR010', grantPurpose: ['GTIP120'] });
    expect(cy.beneficiaryLocation[0]).to.include({ geoCode: '110105', countryCode: 'CN' });
    expect(cy.beneficiaryLocation[0].name).to.include('朝阳区');
    expect(hd.toIndividualsDetails).to.deep.equal({ primaryGrantReason: 'GTIR100', secondaryGrantReason: 'GTIR010', grantPurpose: ['GTIP170'] });
    expect(hd.beneficiaryLocation[0]).to.include({ geoCode: '110108' });
    // Anonymous: neither the name nor its masked form (司**明), nor the phone or address of the fixtures.
    for (const secret of [...Object.values(HEADS), '司**明', '诸**明', '13912345678', '某路1号', '李秀兰']) expect(r.text).not.to.include(secret);
    expect(r.text).not.to.match(/[\u4e00-\u9fff]\*+[\u4e00-\u9fff]?/);
  });

  it('the same data gives the same bytes (no generation time in the package)', async () => {
    const path = `/public/export/360giving.json?from=${year()}-01-01&to=${today()}&fund=${fundCY}`;
    const [a, b] = [await api('GET', path), await api('GET', path)];
    expect(a.text).to.equal(b.text);
  });

  it('an empty period: 404 no_grants with an explanation (the schema refuses an empty package), never a refused package', async () => {
    for (const q of ['from=2001-01-01&to=2001-01-31', `from=${year()}-01-01&to=${today()}&fund=NOSUCHFUND`]) {
      const r = await api('GET', `/public/export/360giving.json?${q}`);
      expect(r.status, r.text).to.equal(404);
      expect(errorCode(r)).to.equal('no_grants');
      expect(r.body.error.message).to.match(/at least one grant/);
      expect(r.body.error.details).to.include({ grants: 0 });
    }
    // The finance CSV of an empty period is its header line.
    const finance = (await userToken(['finance'])).token;
    const csv = await api('GET', '/reports/360giving.csv?from=2001-01-01&to=2001-01-31', { token: finance });
    expect(csv.status).to.equal(200);
    expect(csv.text.replace(/^\uFEFF/, '')).to.equal(`${CSV_COLUMNS.join(',')}\r\n`);
  });

  it('the finance CSV follows the grant fields (standard column titles, codes, district code, exact amount)', async () => {
    const c = config();
    const finance = (await userToken(['finance'])).token;
    const r = await api('GET', `/reports/360giving.csv?from=${year()}-01-01&to=${today()}&fund=${fundCY}`, { token: finance });
    expect(r.status).to.equal(200);
    const [header, line] = r.text.replace(/^\uFEFF/, '').split('\r\n');
    expect(header).to.equal(CSV_COLUMNS.join(','));
    expect(line).to.include(`${c.grantIdPrefix}-${caseCY},`);
    for (const s of [',1234.50,', `,${INDIVIDUAL_NAME},`, ',GTIR030,GTIR010,GTIP120,', `,CN-USCI-${c.foundationUsci},`, ',CN,110105,GLS050,']) expect(line).to.include(s);
    expect(r.text).not.to.include(HEADS.CY);
  });

  it('the mappings: every aid reason has codelist codes, every district a GB/T 2260 code', async () => {
    for (const reason of AID_REASONS) {
      const m = REASON_CODES[reason];
      expect(CODELISTS['grantToIndividualsReason.csv']!.has(m.primary), reason).to.equal(true);
      if (m.secondary) expect(CODELISTS['grantToIndividualsReason.csv']!.has(m.secondary), reason).to.equal(true);
      for (const p of m.purpose) expect(CODELISTS['grantToIndividualsPurpose.csv']!.has(p), reason).to.equal(true);
    }
    const districts: { code: string; nameZh: string }[] = (await api('GET', '/districts')).body;
    const list = Array.isArray(districts) ? districts : (districts as any).items;
    expect(list.length).to.equal(16);
    const byName: Record<string, string> = {
      东城区: '110101', 西城区: '110102', 朝阳区: '110105', 丰台区: '110106', 石景山区: '110107', 海淀区: '110108', 门头沟区: '110109', 房山区: '110111',
      通州区: '110112', 顺义区: '110113', 昌平区: '110114', 大兴区: '110115', 怀柔区: '110116', 平谷区: '110117', 密云区: '110118', 延庆区: '110119',
    };
    for (const d of list) expect(DISTRICT_GBT2260[d.code], d.code).to.equal(byName[d.nameZh]);
    expect(new Set(Object.values(DISTRICT_GBT2260)).size).to.equal(16);
  });

  it('config: FOUNDATION_USCI must carry its GB 32100 check character; GRANT_ID_PREFIX must be a 360G prefix', () => {
    // org-id.guide's own CN-USCI examples pass; one changed character fails.
    for (const ok of ['G1610000713522976L', 'G1330000MCW06863XQ', 'G11100007178352756', '53110000500000015M']) expect(isValidUsci(ok), ok).to.equal(true);
    for (const bad of ['G1610000713522976M', 'G161000071352297', '53110000500000015m', 'I1610000713522976L', '53110000500000O15M']) expect(isValidUsci(bad), bad).to.equal(false);
    const env = { AUDIT_SECRET: 'x'.repeat(20), DATA_KEY: '0'.repeat(64), SIGNING_KEY: Buffer.alloc(32, 1).toString('base64') };
    const c = loadConfig(env);
    expect(c).to.include({ foundationUsci: '53110000500000015M', grantIdPrefix: '360G-warmthfoundation' });
    expect(loadConfig({ ...env, FOUNDATION_USCI: 'G1330000MCW06863XQ', GRANT_ID_PREFIX: '360G-bjwarmth' })).to.include({ foundationUsci: 'G1330000MCW06863XQ', grantIdPrefix: '360G-bjwarmth' });
    expect(() => loadConfig({ ...env, FOUNDATION_USCI: '53110000500000015N' })).to.throw(ConfigError, /FOUNDATION_USCI/);
    expect(() => loadConfig({ ...env, GRANT_ID_PREFIX: 'warmth' })).to.throw(ConfigError, /GRANT_ID_PREFIX/);
    expect(() => loadConfig({ ...env, GRANT_ID_PREFIX: '360G-warm/th' })).to.throw(ConfigError, /GRANT_ID_PREFIX/);
    expect(() => loadConfig({ ...env, FOUNDATION_WEBSITE: 'ftp://x' })).to.throw(ConfigError, /FOUNDATION_WEBSITE/);
  });
});
