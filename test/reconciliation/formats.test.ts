// Bank formats of issue 13: camt.053 .001.02/.04/.08 with zoned dates, several statements in one file (picked
// by the fund's bankAccount, or all imported), batch entries split per transaction detail and matched case by
// case, foreign currency refused, MT940.
import { expect } from 'chai';
import { api, auditSeq, errorCode, userToken } from '../support/api';
import { donate, fundTree, household } from '../support/fixtures';
import { clock, shanghaiDate } from '../../src/platform/clock';
import { parseBankDate, assertStatementCurrency } from '../../src/reconciliation/parse/common';
import { StatementCurrencyError } from '../../src/reconciliation/parse/common';
import { parseCamt053Document } from '../../src/reconciliation/parse/camt053';
import { parseMt940Document } from '../../src/reconciliation/parse/mt940';
import { pickStatements, readFileStatements, ownStatement } from '../../src/reconciliation/parse/select';
import { accountMatches } from '../../src/reconciliation/parse/statement';
import { StatementFileError } from '../../src/reconciliation/model';
import { fixture } from './parse.test';

const text = (name: string) => fixture(name).toString('utf8');
const OCT = { periodFrom: '2026-10-01', periodTo: '2026-10-31' };
/** A unique 20-digit account number for this run (funds' accounts must not collide across tests). */
let acctSeq = 0;
const uniqueAccount = () => `62${String(Date.now()).slice(-10)}${String(process.pid % 1000).padStart(3, '0')}${String(++acctSeq).padStart(5, '0')}`;

function refused(fn: () => unknown): StatementFileError {
  try {
    fn();
  } catch (e) {
    expect(e, (e as Error).message).to.be.instanceOf(StatementFileError);
    return e as StatementFileError;
  }
  throw new Error('the file was taken');
}

describe('reconciliation: bank formats (issue 13)', () => {
  describe('parsers', () => {
    it('reads ISO 20022 dates and date-times with or without a zone, as written (the bank\'s day, not UTC\'s)', () => {
      for (const [raw, date] of [
        ['2017-04-01', '2017-04-01'], ['2017-04-01+02:00', '2017-04-01'], ['2017-04-01Z', '2017-04-01'],
        ['2017-04-01T10:00:00+02:00', '2017-04-01'], ['2017-04-01T10:00:00Z', '2017-04-01'], ['2017-04-01T10:00:00', '2017-04-01'],
        ['2017-04-01T00:30:00+08:00', '2017-04-01'], ['2017-04-01T23:59:59.123-05:00', '2017-04-01'],
      ]) expect(parseBankDate(raw!), raw).to.equal(date);
      for (const bad of ['2017-04-31+02:00', '2017-04-01T25', '2017-04-01+2']) expect(parseBankDate(bad), bad).to.equal(null);
    });

    it('camt.053.001.02: Sts as text, BookgDt with +08:00 kept as the bank\'s day, a batch split by AmtDtls/TxAmt, pending skipped', () => {
      const { version, statements } = parseCamt053Document(text('camt053-v02.xml'));
      expect(version).to.equal('camt.053.001.02');
      expect(statements).to.have.length(1);
      const [st] = statements;
      expect(st).to.include({ account: '11001234567890123456', currency: 'CNY', openingBalance: '20000.00', closingBalance: '23200.00', periodFrom: '2026-10-01', periodTo: '2026-10-31' });
      expect(st!.problems).to.deep.equal([]);
      expect(st!.lines.map((l) => [l.lineNo, l.date, l.amount, l.reference, l.counterparty])).to.deep.equal([
        [1, '2026-10-03', '5000.00', 'CCB20261003001', '某集团工会'],
        [2, '2026-10-09', '-800.00', 'PAY-V02-0001', '王*国'], // 00:30 Beijing time is 10-08 in UTC: the bank's day wins
        [3, '2026-10-20', '-600.00', 'PAY-V02-0002', '李*兰'],
        [3, '2026-10-20', '-400.00', 'PAY-V02-0003', '赵*强'],
      ]);
      // The structured creditor reference and the bank's reference stay visible to the matcher.
      expect(st!.lines[2]!.description).to.include('2026-CY-0013').and.include('CCB20261020001');
    });

    it('camt.053.001.04: Z and zone-less date-times, PRCD opening, ToDtTm at midnight ends the day before, a batch with TxDtls/Amt', () => {
      const [st] = parseCamt053Document(text('camt053-v04.xml')).statements;
      expect(st).to.include({ openingBalance: '1000.00', closingBalance: '3785.00', periodFrom: '2026-10-01', periodTo: '2026-10-31' });
      expect(st!.lines.map((l) => [l.date, l.amount, l.reference, l.counterparty])).to.deep.equal([
        ['2026-10-05', '1000.00', 'DON-2026-0101', '某钢铁公司工会'],
        ['2026-10-05', '2000.00', 'DON-2026-0102', '某电力公司工会'],
        ['2026-10-12', '-200.00', 'PAY-V04-0001', '孙*芳'],
        ['2026-10-15', '-15.00', 'ICBC2026101500001', null],
      ]);
      expect(st!.lines[3]!.description).to.equal('账户管理费 Account fee');
    });

    it('camt.053.001.08: Sts/Cd, Pty/Nm, batches of aid payments one line each with EndToEndId or the creditor reference', () => {
      const [st] = parseCamt053Document(text('camt053-v08.xml')).statements;
      expect(st!.lines.map((l) => [l.amount, l.reference, l.counterparty])).to.deep.equal([
        ['50000.00', 'BOC20261015000101', '爱心企业'],
        ['-500.00', 'AID-PAY-0001', '王*国'], ['-500.00', 'AID-PAY-0002', '李*兰'], ['-500.00', 'AID-PAY-0003', '赵*强'],
        ['-300.00', 'AID-PAY-0004', '孙*芳'], ['-300.00', 'AID-PAY-0005', '周*伟'],
      ]);
      const picked = pickStatements('camt053', readFileStatements('camt053', text('camt053-v08.xml')), { periodFrom: '2026-10-15', periodTo: '2026-10-15', openingBalance: '0.00', closingBalance: '47900.00' });
      expect(picked.lines).to.have.length(6);
    });

    it('refuses a batch whose parts do not add up to the entry, or a part without its amount, naming the entry and the XML line', () => {
      const xml = text('camt053-v08.xml');
      const off = xml.replace('<Amt Ccy="CNY">500.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>\n            <RltdPties><Cdtr><Pty><Nm>李', '<Amt Ccy="CNY">499.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>\n            <RltdPties><Cdtr><Pty><Nm>李');
      const [st] = parseCamt053Document(off).statements;
      expect(st!.problems[0]).to.include({ line: 2, column: 'TxDtls/Amt' });
      expect(st!.problems[0]!.problem).to.match(/add up to -1499\.00.*-1500\.00.*XML line \d+/);
      const e = refused(() => pickStatements('camt053', [st!], { ...OCT, openingBalance: '0', closingBalance: '47900' }));
      expect(e.message).to.match(/^line 2 \(TxDtls\/Amt\)/);
      const missing = xml.replace('<AmtDtls><TxAmt><Amt Ccy="CNY">300.00</Amt></TxAmt></AmtDtls>\n            <RltdPties><Cdtr><Pty><Nm>周', '<RltdPties><Cdtr><Pty><Nm>周');
      expect(parseCamt053Document(missing).statements[0]!.problems[0]!.problem).to.match(/TxDtls 2 has no amount/);
    });

    it('picks the fund\'s statement in a file of several accounts; lists the accounts when it cannot', () => {
      const sts = readFileStatements('camt053', text('camt053-multi.xml'));
      expect(sts.map((s) => s.account)).to.deep.equal(['11001111111111111111', 'DE89370400440532013000', '11002222222222222222', '11001111111111111111']);
      // Spaces and hyphens in the fund's account do not count; the EUR statement of another account is no obstacle.
      const a = pickStatements('camt053', sts, { ...OCT, openingBalance: '100.00', closingBalance: '150.00', bankAccount: '1100-1111 1111 1111 1111' });
      expect(a.picked.map((s) => s.id)).to.deep.equal(['A-202610']);
      // October and November of the same account declared together: both, in order, each opening where the last closed.
      const both = pickStatements('camt053', sts, { periodFrom: '2026-10-01', periodTo: '2026-11-30', openingBalance: '100.00', closingBalance: '175.00', bankAccount: '11001111111111111111' });
      expect(both.lines.map((l) => l.amount)).to.deep.equal(['50.00', '25.00']);
      expect(refused(() => pickStatements('camt053', sts, { ...OCT, openingBalance: '0', closingBalance: '0' })).message)
        .to.match(/3 accounts \(11001111111111111111, DE89370400440532013000, 11002222222222222222\)/);
      expect(refused(() => pickStatements('camt053', sts, { ...OCT, openingBalance: '0', closingBalance: '0', bankAccount: '999' })).message)
        .to.match(/no statement of the fund's bank account 999.*11001111111111111111, DE89370400440532013000, 11002222222222222222/);
      const b = ownStatement('camt053', sts[2]!);
      expect(b.header).to.deep.equal({ periodFrom: '2026-10-01', periodTo: '2026-10-31', openingBalance: '200.00', closingBalance: '180.00' });
      expect(accountMatches('BKCHCNBJ110/110060149018002492', '110060149018002492')).to.equal(true);
      expect(accountMatches('110060149018002492CNY', '110060149018002492')).to.equal(true);
      expect(accountMatches('110060149018002493', '110060149018002492')).to.equal(false);
    });

    it('refuses a statement in another currency than CNY (Acct/Ccy, Amt/@Ccy, MT940 balances); CNY, RMB and 人民币 pass', () => {
      for (const ok of ['CNY', 'rmb', '人民币', '156', '', null]) assertStatementCurrency(ok);
      expect(() => assertStatementCurrency('USD')).to.throw(StatementCurrencyError, /USD/);
      expect(() => pickStatements('camt053', readFileStatements('camt053', text('camt053-usd.xml')), { ...OCT, openingBalance: '5000.00', closingBalance: '13487.50' }))
        .to.throw(StatementCurrencyError);
      // Entry amounts in another currency than the account's are caught too.
      const mixed = text('camt053.xml').replace('<Amt Ccy="CNY">1500.00</Amt>', '<Amt Ccy="HKD">1500.00</Amt>');
      expect(() => pickStatements('camt053', readFileStatements('camt053', mixed), { ...OCT, openingBalance: '5000.00', closingBalance: '13487.50' }))
        .to.throw(StatementCurrencyError, /HKD.*line 2/);
      const usd = text('boc.mt940').replaceAll('CNY', 'USD');
      expect(() => pickStatements('mt940', readFileStatements('mt940', usd), { ...OCT, openingBalance: '10000.00', closingBalance: '13387.50' })).to.throw(StatementCurrencyError, /USD/);
    });

    it('MT940: SWIFT blocks, :25: with a bank code, entry dates, RC, :86: in Chinese and with ?NN subfields; statements of one account joined', () => {
      const { statements } = parseMt940Document(text('boc.mt940'));
      expect(statements.map((s) => [s.id, s.account, s.openingBalance, s.closingBalance, s.periodFrom, s.periodTo])).to.deep.equal([
        ['STMT20261008', 'BKCHCNBJ110/110060149018002492', '10000.00', '13500.00', '2026-10-01', '2026-10-08'],
        ['STMT20261031', 'BKCHCNBJ110/110060149018002492', '13500.00', '13387.50', '2026-10-15', '2026-10-31'],
      ]);
      const lines = statements.flatMap((s) => s.lines);
      expect(lines.map((l) => [l.lineNo, l.date, l.amount, l.reference, l.counterparty])).to.deep.equal([
        [6, '2026-10-01', '5000.00', 'BOC26100100001', '北京某热力公司'],
        [8, '2026-10-08', '-1500.00', 'PAY-MT-0001', '张*明'],
        [19, '2026-10-15', '-100.00', 'BOC26101500004', null],
        [21, '2026-10-31', '-12.50', 'BOC26103100003', '中国银行北京分行'],
      ]);
      expect(lines[1]!.description).to.include('救助款 2026-CY-0007').and.include('BOC26100800002');
      expect(lines[3]!.description).to.equal('手续费 Bank charge');
      const picked = pickStatements('mt940', statements, { ...OCT, openingBalance: '10000.00', closingBalance: '13387.50', bankAccount: '110060149018002492' });
      expect(picked.lines).to.have.length(4);
      expect(refused(() => pickStatements('mt940', statements, { ...OCT, openingBalance: '9999.00', closingBalance: '13387.50', bankAccount: '110060149018002492' })).message).to.match(/opening balance \(:60F:\) 10000\.00 differs/);
    });

    const badMt940: [string, (s: string) => string, RegExp, number | null][] = [
      ['a :61: line that is not one', (s) => s.replace(':61:2610081008D1500,00NTRF', ':61:26100X1008D1500,00NTRF'), /:61:/, 8],
      ['an amount with three decimals', (s) => s.replace('D1500,00NTRF', 'D1500,001NTRF'), /not a statement line|amount/, 8],
      ['a closing balance that disagrees', (s) => s.replace(':62F:C261008CNY13500,00', ':62F:C261008CNY13500,01'), /closing balance \(:62F:\) 13500\.01 does not agree/, 11],
      ['a bad opening balance', (s) => s.replace(':60F:C260930CNY10000,00', ':60F:X260930CNY10000,00'), /:60F:.*is not a balance/, 5],
      ['no closing balance', (s) => s.replace(':62F:C261031CNY13387,50\r\n', ''), /no closing balance/, 15],
    ];
    for (const [what, edit, message, line] of badMt940) {
      it(`MT940: refuses ${what}, naming the file line`, () => {
        const e = refused(() => pickStatements('mt940', readFileStatements('mt940', edit(text('boc.mt940'))), { ...OCT, openingBalance: '10000.00', closingBalance: '13387.50' }));
        expect(e.message).to.match(message);
        expect(e.problems[0]!.line).to.equal(line);
      });
    }

    it('refuses what is not a statement at all: empty, CSV as MT940, a camt.054 notification', () => {
      expect(refused(() => readFileStatements('mt940', '')).message).to.match(/empty/);
      expect(refused(() => readFileStatements('mt940', 'date,amount\n2026-10-01,1\n')).message).to.match(/no MT940 statement/);
      const camt054 = '<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn/></Document>';
      expect(refused(() => readFileStatements('camt053', camt054)).message).to.match(/camt\.054\.001\.08 message, not a camt\.053/);
    });
  });

  describe('API', () => {
    let finance: string, auditor: string, officer: string, admin: string;
    before(async () => {
      [finance, auditor, officer, admin] = await Promise.all([
        userToken(['finance']).then((u) => u.token), userToken(['auditor']).then((u) => u.token),
        userToken(['officer'], 'CY').then((u) => u.token), userToken(['admin']).then((u) => u.token),
      ]);
    });
    const newFund = async (bankAccount?: string) => {
      const code = (await fundTree(finance, ['CY'])).funds.CY!;
      if (bankAccount) expect((await api('PATCH', `/funds/${code}`, { token: finance, body: { bankAccount } })).status).to.equal(200);
      return code;
    };
    const statementsOf = async (fund: string) => (await api('GET', `/bank-statements?fund=${fund}`, { token: auditor })).body.items;

    it("keeps the fund's bankAccount: set on POST /funds, changed by PATCH /funds/:code (audited), shown on GET; bad values 400", async () => {
      const { root } = await fundTree(admin, []);
      const acct = uniqueAccount();
      const r = await api('POST', '/funds', { token: admin, body: { code: `${root}-X`, nameZh: '专户基金', nameEn: 'Account fund', kind: 'institution', parentCode: root, district: 'CY', bankAccount: acct } });
      expect(r.status, r.text).to.equal(201);
      expect(r.body.bankAccount).to.equal(acct);
      expect((await api('GET', `/funds/${root}-X`, { token: officer })).body.bankAccount).to.equal(acct);
      expect((await api('GET', `/funds?parent=${root}`, { token: officer })).body.items[0].bankAccount).to.equal(acct);
      const before = await auditSeq();
      const p = await api('PATCH', `/funds/${root}-X`, { token: finance, body: { bankAccount: 'BKCHCNBJ110/1100 6014' } });
      expect(p.status, p.text).to.equal(200);
      expect(p.body.bankAccount).to.equal('BKCHCNBJ110/1100 6014');
      expect(await auditSeq()).to.equal(before + 1);
      expect((await api('PATCH', `/funds/${root}-X`, { token: finance, body: { bankAccount: null } })).body.bankAccount).to.equal(null);
      for (const bad of ['', ' 123', 'x'.repeat(65), '12;DROP', 12345]) {
        const b = await api('PATCH', `/funds/${root}-X`, { token: finance, body: { bankAccount: bad } });
        expect(b.status, String(bad)).to.equal(400);
      }
      expect((await api('PATCH', `/funds/${root}-X`, { token: officer, body: { bankAccount: '1' } })).status).to.equal(403);
      expect((await api('PATCH', `/funds/${root}-NOPE`, { token: finance, body: { bankAccount: '1' } })).status).to.equal(404);
    });

    it('imports camt.053 .001.02 and .001.04 with zoned dates and batch entries, one line per transaction detail', async () => {
      const acct = uniqueAccount();
      const fund = await newFund(acct);
      const v02 = text('camt053-v02.xml').replaceAll('11001234567890123456', acct);
      const r = await api('POST', '/bank-statements', { token: finance, body: { fund, ...OCT, openingBalance: '20000.00', closingBalance: '23200.00', format: 'camt053', content: v02 } });
      expect(r.status, r.text).to.equal(201);
      expect(r.body).to.include({ lineCount: 4, format: 'camt053' });
      const lines = (await api('GET', `/bank-statements/${r.body.id}`, { token: auditor })).body.lines.items;
      expect(lines.map((l: any) => [l.lineNo, l.date, l.amount, l.reference])).to.deep.equal([
        [1, '2026-10-03', '5000.00', 'CCB20261003001'], [2, '2026-10-09', '-800.00', 'PAY-V02-0001'],
        [3, '2026-10-20', '-600.00', 'PAY-V02-0002'], [3, '2026-10-20', '-400.00', 'PAY-V02-0003'],
      ]);
      const fund4 = await newFund();
      const r4 = await api('POST', '/bank-statements', { token: finance, body: { fund: fund4, ...OCT, openingBalance: '1000.00', closingBalance: '3785.00', format: 'camt053', contentBase64: fixture('camt053-v04.xml').toString('base64') } });
      expect(r4.status, r4.text).to.equal(201);
      expect(r4.body.lineCount).to.equal(4);
    });

    it('a file of several accounts: the fund\'s statement by its bankAccount; 400 listing the accounts when the fund has none; all imported on request', async () => {
      const [A, B] = [uniqueAccount(), uniqueAccount()];
      const multi = text('camt053-multi.xml').replaceAll('11001111111111111111', A).replaceAll('11002222222222222222', B);
      const fundA = await newFund(A.replace(/(\d{4})/g, '$1 ').trim());
      const fundB = await newFund(B);
      const plain = await newFund();
      const r = await api('POST', '/bank-statements', { token: finance, body: { fund: fundA, ...OCT, openingBalance: '100.00', closingBalance: '150.00', format: 'camt053', content: multi } });
      expect(r.status, r.text).to.equal(201);
      expect(r.body.lineCount).to.equal(1);

      const before = await auditSeq();
      const none = await api('POST', '/bank-statements', { token: finance, body: { fund: plain, ...OCT, openingBalance: '100.00', closingBalance: '150.00', format: 'camt053', content: multi } });
      expect(none.status, none.text).to.equal(400);
      expect(errorCode(none)).to.equal('validation_failed');
      expect(none.body.error.message).to.include(A).and.include(B).and.include('DE89370400440532013000');
      expect(none.body.error.details[0]).to.have.property('line');
      expect(await auditSeq()).to.equal(before);
      expect(await statementsOf(plain)).to.have.length(0);

      // statements: "all" — fund A's November and fund B's October imported; A's October was imported before
      // (skipped, so the file may be sent again); the EUR account is no fund's (skipped, not refused).
      const all = await api('POST', '/bank-statements', { token: finance, body: { statements: 'all', format: 'camt053', content: multi } });
      expect(all.status, all.text).to.equal(201);
      expect(all.body.statements.map((s: any) => [s.fund, s.periodFrom, s.periodTo, s.openingBalance, s.closingBalance, s.lineCount])).to.deep.equal([
        [fundB, '2026-10-01', '2026-10-31', '200.00', '180.00', 1],
        [fundA, '2026-11-01', '2026-11-30', '150.00', '175.00', 1],
      ]);
      expect(all.body.skipped.map((s: any) => [s.statement, s.reason])).to.deep.equal([[1, 'duplicate'], [2, 'no_fund']]);
      expect(all.body.skipped[0].statementId).to.equal(r.body.id);
      expect(await auditSeq()).to.equal(before + 2);
      // Sent again: everything is there already.
      const again = await api('POST', '/bank-statements', { token: finance, body: { statements: 'all', format: 'camt053', content: multi } });
      expect(again.status).to.equal(409);
      expect(errorCode(again)).to.equal('duplicate_statement');
      // One fund only, and the declared fields are not for "all".
      const onlyB = await api('POST', '/bank-statements', { token: finance, body: { statements: 'all', fund: plain, format: 'camt053', content: multi } });
      expect(onlyB.status).to.equal(400);
      expect(onlyB.body.error.message).to.match(/has no bankAccount/);
      const declared = await api('POST', '/bank-statements', { token: finance, body: { statements: 'all', ...OCT, format: 'camt053', content: multi } });
      expect(declared.status).to.equal(400);
      const csvAll = await api('POST', '/bank-statements', { token: finance, body: { statements: 'all', format: 'csv', content: 'date,amount\n' } });
      expect(csvAll.status).to.equal(400);
    });

    it('refuses a foreign-currency statement: 422 currency_mismatch with the file\'s and the expected currency, nothing stored, nothing audited', async () => {
      const fund = await newFund();
      const acct = uniqueAccount();
      const withAccount = await newFund(acct);
      const before = await auditSeq();
      for (const body of [
        { fund, ...OCT, openingBalance: '5000.00', closingBalance: '13487.50', format: 'camt053', content: text('camt053-usd.xml') },
        { fund, ...OCT, openingBalance: '10000.00', closingBalance: '13387.50', format: 'mt940', content: text('boc.mt940').replaceAll('CNY', 'USD') },
        { statements: 'all', fund: withAccount, format: 'camt053', content: text('camt053-usd.xml').replace('0200001234567890', acct) },
      ]) {
        const r = await api('POST', '/bank-statements', { token: finance, body });
        expect(r.status, r.text).to.equal(422);
        expect(errorCode(r)).to.equal('currency_mismatch');
        expect(r.body.error.details).to.include({ currency: 'USD', expected: 'CNY' });
        expect(await statementsOf(body.fund!)).to.have.length(0);
      }
      expect(await auditSeq()).to.equal(before);
    });

    it('imports MT940 (statements of one account joined; opening and closing checked); all on request; bad lines 400 naming the line', async () => {
      const acct = uniqueAccount();
      const file = text('boc.mt940').replaceAll('110060149018002492', acct);
      const fund = await newFund(acct);
      const wrong = await api('POST', '/bank-statements', { token: finance, body: { fund, ...OCT, openingBalance: '10000.00', closingBalance: '13387.00', format: 'mt940', content: file } });
      expect(wrong.status).to.equal(400);
      expect(wrong.body.error.message).to.match(/closing balance \(:62F:\) 13387\.50 differs/);
      const r = await api('POST', '/bank-statements', { token: finance, body: { fund, ...OCT, openingBalance: '10000.00', closingBalance: '13387.50', format: 'mt940', contentBase64: Buffer.from(file).toString('base64') } });
      expect(r.status, r.text).to.equal(201);
      expect(r.body).to.include({ lineCount: 4, format: 'mt940' });

      const acct2 = uniqueAccount();
      const fund2 = await newFund(acct2);
      const all = await api('POST', '/bank-statements', { token: finance, body: { statements: 'all', fund: fund2, format: 'mt940', content: text('boc.mt940').replaceAll('110060149018002492', acct2) } });
      expect(all.status, all.text).to.equal(201);
      expect(all.body.statements.map((s: any) => [s.periodFrom, s.periodTo, s.lineCount])).to.deep.equal([['2026-10-01', '2026-10-08', 2], ['2026-10-15', '2026-10-31', 2]]);

      const other = await newFund();
      const before = await auditSeq();
      const bad = await api('POST', '/bank-statements', { token: finance, body: { fund: other, ...OCT, periodFrom: '2026-12-01', periodTo: '2026-12-31', openingBalance: '10000.00', closingBalance: '13387.50', format: 'mt940', content: file.replace(':61:2610081008D1500,00', ':61:2610081008D15OO,00') } });
      expect(bad.status, bad.text).to.equal(400);
      expect(bad.body.error.message).to.match(/^the statement file is not valid: line 8 \(:61:\)/);
      expect(bad.body.error.details[0]).to.include({ line: 8 });
      expect(await auditSeq()).to.equal(before);
    });

    it('never answers 500 to a broken file: truncated, binary, huge numbers, nested, wrong format', async () => {
      const fund = await newFund();
      const v08 = text('camt053-v08.xml');
      for (const [format, content] of [
        ['camt053', v08.slice(0, 2000)], ['camt053', v08.replace(/500\.00/g, '99999999999999999999.00')], ['mt940', text('camt053-v08.xml')],
        ['camt053', text('boc.mt940')], ['mt940', ':20:X\n:25:1\n:60F:C261301CNY1,00\n:62F:C261301CNY1,00\n'], ['mt940', '\u0000\u0001{1:'],
        ['camt053', v08.replace('<Stmt>', '<Stmt><Stmt>').replace('</Stmt>', '</Stmt></Stmt>')],
      ] as const) {
        const r = await api('POST', '/bank-statements', { token: finance, body: { fund, ...OCT, openingBalance: '0.00', closingBalance: '47900.00', format, content } });
        expect(r.status, `${format}: ${r.text}`).to.equal(400);
        expect(r.body.error.details[0], r.text).to.have.property('line');
      }
    });

    it('a batch of aid payments matches case by case by reference (EndToEndId or creditor reference), even with equal amounts', async function () {
      this.timeout(60_000);
      const today = shanghaiDate();
      const acct = uniqueAccount();
      const { funds } = await fundTree(finance, ['CY']);
      const fund = funds.CY!;
      expect((await api('PATCH', `/funds/${fund}`, { token: finance, body: { bankAccount: acct } })).status).to.equal(200);
      await donate(finance, fund, '50000.00', today);
      // One real aid payment (disbursement sets the 1002 line's memo to the paymentRef)…
      const [officer2, approver] = await Promise.all([userToken(['officer'], 'CY').then((u) => u.token), userToken(['approver']).then((u) => u.token)]);
      const hh = await household(officer, 'CY');
      const c = await api('POST', '/aid-cases', { token: officer, body: { householdId: hh, fund, reason: 'illness', description: '住院治疗', requestedAmount: '500.00', urgent: false } });
      expect(c.status, c.text).to.equal(201);
      expect((await api('POST', `/aid-cases/${c.body.id}/submit`, { token: officer, body: {} })).status).to.equal(200);
      expect((await api('POST', `/aid-cases/${c.body.id}/review`, { token: officer2, body: { recommendedAmount: '500.00', note: '属实' } })).status).to.equal(200);
      const ap = await api('POST', `/aid-cases/${c.body.id}/approve`, { token: approver, body: { approvedAmount: '500.00', note: '同意' } });
      expect(ap.status, ap.text).to.equal(200);
      clock.advance(3_000);
      const paid = await api('POST', `/aid-cases/${c.body.id}/disburse`, { token: finance, body: { paymentRef: 'AID-PAY-0001', date: today } });
      expect(paid.status, paid.text).to.equal(200);
      // …and four more payments of equal amounts, each naming its payment reference.
      const memoOf = new Map<number, string>();
      for (const [ref, amount] of [['AID-PAY-0002', '500.00'], ['AID-PAY-0003', '500.00'], ['AID-PAY-0004', '300.00'], ['AID-PAY-0005', '300.00']] as const) {
        const e = await api('POST', '/journal-entries', { token: finance, body: { date: today, description: '救助款 Aid paid', lines: [{ account: '5101', fund, debit: amount }, { account: '1002', fund, credit: amount, memo: ref }] } });
        expect(e.status, e.text).to.equal(201);
      }
      const entries = (await api('GET', `/journal-entries?fund=${fund}&account=1002`, { token: finance })).body.items;
      for (const e of entries) for (const l of e.lines) if (l.account === '1002' && l.fund === fund && l.credit) memoOf.set(l.id, l.memo);
      expect([...memoOf.values()].sort()).to.deep.equal(['AID-PAY-0001', 'AID-PAY-0002', 'AID-PAY-0003', 'AID-PAY-0004', 'AID-PAY-0005']);

      const file = text('camt053-v08.xml').replaceAll('2026-10-15', today).replaceAll('0200009876543210', acct);
      const s = await api('POST', '/bank-statements', { token: finance, body: { fund, periodFrom: today, periodTo: today, openingBalance: '0.00', closingBalance: '47900.00', format: 'camt053', content: file } });
      expect(s.status, s.text).to.equal(201);
      expect(s.body.lineCount).to.equal(6);
      const m = await api('POST', `/bank-statements/${s.body.id}/auto-match`, { token: finance, body: {} });
      expect(m.status, m.text).to.equal(200);
      expect(m.body.byRule).to.deep.equal({ reference: 5, amount_date: 1 });
      expect(m.body.ambiguous).to.deep.equal([]);
      const lines = (await api('GET', `/bank-statements/${s.body.id}`, { token: finance })).body.lines.items;
      const refOf = new Map<number, string>(lines.map((l: any) => [l.id, l.reference]));
      for (const match of m.body.matches) {
        if (match.rule !== 'reference') continue;
        expect(memoOf.get(match.ledgerLineId), `statement line ${refOf.get(match.statementLineId)}`).to.equal(refOf.get(match.statementLineId));
      }
      const report = await api('GET', `/bank-statements/${s.body.id}/reconciliation`, { token: finance });
      expect(report.body).to.include({ unexplainedDifference: '0.00', canClose: true });
    });
  });
});
