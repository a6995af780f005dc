import { expect } from 'chai';
import { api, auditSeq, errorCode, userToken } from '../support/api';
import { fundTree } from '../support/fixtures';
import { idCheckChar, idNumberProblem } from '../../src/households/model';
import { isRegionCode, regionCodeCount, regionCodeProblem } from '../../src/households/id-regions';
import { createHousehold, householdBody, newIdNumber } from './support';

/** An ID number with a valid birth date and check character for any six-digit region code. */
const withRegion = (region: string, birth = '19750612', seq = String(100 + Math.floor(Math.random() * 900))) => {
  const first17 = `${region}${birth}${seq}`;
  return first17 + idCheckChar(first17);
};

const CURRENT = { '110105': '朝阳区', '110108': '海淀区', '310115': '浦东新区', '110102': '西城区', '330114': '杭州钱塘区 (2021)' };
// Abolished, merged or renamed: the number stays valid for life.
const FORMER = { '110103': '崇文区 (→东城 2010)', '110104': '宣武区 (→西城 2010)', '320103': '南京白下区 (→秦淮 2013)', '110221': '昌平县 (→昌平区 1999)' };
const UNKNOWN = ['999999', '110199', '000000', '100000', '320199'];
const NOT_COUNTY = ['110000', '110100', '320100'];

describe('households: ID region codes (GB/T 2260, current and former)', () => {
  describe('the table', () => {
    it('holds current and former county-level codes, and no province or prefecture code', () => {
      for (const code of [...Object.keys(CURRENT), ...Object.keys(FORMER)]) expect(isRegionCode(code), code).to.equal(true);
      for (const code of [...UNKNOWN, ...NOT_COUNTY]) expect(isRegionCode(code), code).to.equal(false);
      expect(regionCodeCount()).to.be.within(6000, 9000);
    });

    it('answers a lookup in well under a microsecond (a Set loaded once)', () => {
      const codes = [...Object.keys(CURRENT), ...Object.keys(FORMER), ...UNKNOWN];
      const t = process.hrtime.bigint();
      let hits = 0;
      for (let i = 0; i < 200_000; i++) if (isRegionCode(codes[i % codes.length]!)) hits++;
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      expect(hits).to.be.greaterThan(0);
      expect(ms, `${ms.toFixed(1)} ms for 200,000 lookups`).to.be.below(200);
    });
  });

  describe('idNumberProblem', () => {
    it('accepts current codes', () => {
      for (const [code, name] of Object.entries(CURRENT)) expect(idNumberProblem(withRegion(code), '2026-11-27'), name).to.equal(null);
    });

    it('accepts former codes of merged or renamed districts and counties', () => {
      for (const [code, name] of Object.entries(FORMER)) expect(idNumberProblem(withRegion(code), '2026-11-27'), name).to.equal(null);
    });

    it('refuses codes that never existed, naming the code', () => {
      for (const code of UNKNOWN) {
        const problem = idNumberProblem(withRegion(code), '2026-11-27');
        expect(problem, code).to.include(`地区码 ${code} 不存在`).and.include(`region code ${code} does not exist in GB/T 2260`);
      }
    });

    it('refuses province- and prefecture-level codes: an ID carries the issuing county', () => {
      for (const code of NOT_COUNTY) expect(idNumberProblem(withRegion(code), '2026-11-27'), code).to.match(/prefecture-level/);
      expect(regionCodeProblem('110100')).to.include('地区码 110100');
    });

    it('still applies the birth date and the GB 11643 check character with a valid region', () => {
      const good = withRegion('110104');
      expect(idNumberProblem(good.slice(0, 17) + (good[17] === '0' ? '1' : '0'))).to.match(/check digit/);
      expect(idNumberProblem(withRegion('110103', '19800230'))).to.match(/birth date/);
      expect(idNumberProblem(withRegion('110103', '18991231'))).to.match(/birth date/);
      expect(idNumberProblem(withRegion('110103', '20990101'), '2026-11-27')).to.match(/birth date/);
    });
  });

  describe('the API', () => {
    let cy: string;
    before(async () => {
      cy = (await userToken(['officer'], 'CY')).token;
    });

    it('files households whose heads carry current or former codes', async () => {
      for (const code of [...Object.keys(CURRENT), ...Object.keys(FORMER)]) {
        const idNumber = newIdNumber({ area: code });
        const h = await createHousehold(cy, { idNumber });
        expect(h.idNumber, code).to.equal(idNumber);
      }
    });

    it('answers 400 validation_failed on idNumber for an unknown code, and writes nothing', async () => {
      for (const code of ['110199', '999999', '000000', '110100']) {
        const before = await auditSeq();
        const idNumber = withRegion(code);
        const r = await api('POST', '/households', { token: cy, body: householdBody({ idNumber }) });
        expect(r.status, `${code}: ${r.text}`).to.equal(400);
        expect(errorCode(r)).to.equal('validation_failed');
        const d = r.body.error.details.find((x: any) => x.path === 'idNumber');
        expect(d, r.text).to.not.equal(undefined);
        expect(d.message).to.include(`地区码 ${code}`);
        expect(await auditSeq()).to.equal(before);
        expect((await api('GET', `/households?q=${idNumber}`, { token: cy })).body.items).to.deep.equal([]);
      }
    });

    it('refuses a PATCH to an ID number with an unknown code, and keeps the old number', async () => {
      const h = await createHousehold(cy);
      const before = await auditSeq();
      const r = await api('PATCH', `/households/${h.id}`, { token: cy, body: { idNumber: withRegion('110199') } });
      expect(r.status, r.text).to.equal(400);
      expect(errorCode(r)).to.equal('validation_failed');
      expect(r.body.error.details.map((d: any) => d.path)).to.include('idNumber');
      expect(r.body.error.message).to.include('110199');
      expect(await auditSeq()).to.equal(before);
      expect((await api('GET', `/households/${h.id}`, { token: cy })).body.idNumber).to.equal(h.sent.idNumber);
    });

    it('refuses a new applicant of an aid case with an unknown code (no case, no file)', async () => {
      const finance = (await userToken(['finance'])).token;
      const { funds } = await fundTree(finance, ['CY']);
      const before = await auditSeq();
      const idNumber = withRegion('999999');
      const r = await api('POST', '/aid-cases', {
        token: cy,
        body: { applicant: { headName: '孙立', idNumber }, fund: funds.CY, reason: 'accident', description: 'x', requestedAmount: '300.00', urgent: true },
      });
      expect(r.status, r.text).to.equal(400);
      expect(errorCode(r)).to.equal('validation_failed');
      expect(r.body.error.details.map((d: any) => d.path)).to.include('idNumber');
      expect(r.body.error.message).to.include('地区码 999999 不存在');
      expect(await auditSeq()).to.equal(before);
    });
  });
});
