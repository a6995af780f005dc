import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import iconv from 'iconv-lite';
import { parseStatementFile, parseBankAmount, parseBankDate, csvRecords, decodeStatementBytes } from '../../src/reconciliation/parse';
import { StatementFileError } from '../../src/reconciliation/model';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/statements');
export const fixture = (name: string) => fs.readFileSync(path.join(dir, name));
const OCT = { periodFrom: '2026-10-01', periodTo: '2026-10-31', openingBalance: '5000.00', closingBalance: '13487.50' };
const EXPECTED = [
  { date: '2026-10-02', amount: '10000.00' },
  { date: '2026-10-08', amount: '-1500.00' },
  { date: '2026-10-31', amount: '-12.50' },
];

export function refused(fn: () => unknown): StatementFileError {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(StatementFileError);
    return e as StatementFileError;
  }
  throw new Error('the file was taken');
}

describe('reconciliation: statement parsers', () => {
  it('reads an English CSV with a preamble, quoted thousands, a signed amount and a running balance', () => {
    const { lines } = parseStatementFile({ ...OCT, format: 'csv', content: fixture('en-signed.csv').toString('utf8') });
    expect(lines.map((l) => ({ date: l.date, amount: l.amount }))).to.deep.equal(EXPECTED);
    expect(lines[0]).to.include({ lineNo: 4, description: 'Donation, Oct', reference: 'BK2026100201', counterparty: 'Beijing Heat Co.', balance: '15000.00' });
  });

  it('reads a Chinese CSV with 借方/贷方 columns, mixed date styles and a 合计 row (UTF-8)', () => {
    const { lines, encoding } = parseStatementFile({ ...OCT, format: 'csv', content: fixture('cn-utf8.csv').toString('utf8') });
    expect(encoding).to.equal('utf-8');
    expect(lines.map((l) => ({ date: l.date, amount: l.amount }))).to.deep.equal(EXPECTED);
    expect(lines[1]).to.include({ description: '救助款 2026-CY-0007', reference: 'LS0002', counterparty: '张*明' });
  });

  it('reads the same file encoded in GBK, sent as base64, and detects the encoding', () => {
    const bytes = fixture('cn-gbk.csv');
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).to.throw(); // really GBK
    const { lines, encoding } = parseStatementFile({ ...OCT, format: 'csv', contentBase64: bytes.toString('base64') });
    expect(encoding).to.equal('gbk');
    expect(lines.map((l) => l.description)).to.deep.equal(['捐赠 温暖基金', '救助款 2026-CY-0007', '手续费']);
    expect(lines.map((l) => l.amount)).to.deep.equal(EXPECTED.map((e) => e.amount));
    // and a fresh iconv-lite round trip of other Chinese text
    expect(decodeStatementBytes(iconv.encode('日期,摘要\n', 'gbk')).text).to.equal('日期,摘要\n');
  });

  it('reads a camt.053 statement: CRDT/DBIT, BookgDt Dt or DtTm, AcctSvcrRef, Ustrd; skips pending entries', () => {
    const { lines } = parseStatementFile({ ...OCT, format: 'camt053', content: fixture('camt053.xml').toString('utf8') });
    expect(lines.map((l) => ({ date: l.date, amount: l.amount }))).to.deep.equal(EXPECTED);
    expect(lines[1]).to.include({ lineNo: 2, reference: 'BK2026100801', description: '救助款 2026-CY-0007', counterparty: '张*明' });
    expect(lines[2]).to.include({ lineNo: 4, description: '手续费 Bank charge' });
  });

  it("checks camt.053 OPBD/CLBD against the declared balances", () => {
    const e = refused(() => parseStatementFile({ ...OCT, openingBalance: '5000.01', closingBalance: '13487.51', format: 'camt053', content: fixture('camt053.xml').toString('utf8') }));
    expect(e.message).to.match(/opening balance \(OPBD\)/);
  });

  const bad: [string, string, 'csv' | 'camt053', Partial<typeof OCT>, RegExp, number | null | undefined][] = [
    ['a bad date', 'bad-date.csv', 'csv', { closingBalance: '5015.00' }, /line 3 \(date\).*"2026-10-32" is not a date/, 3],
    ['a bad amount', 'bad-amount.csv', 'csv', {}, /line 3 \(amount\).*12\.345/, 3],
    ['a missing amount column', 'missing-column.csv', 'csv', {}, /no header row found/, null],
    ['a running balance that disagrees', 'running-balance.csv', 'csv', { closingBalance: '5075.00' }, /line 3 \(balance\).*5080\.00.*5070\.00/, 3],
    ['a wrong closing balance', 'en-signed.csv', 'csv', { closingBalance: '13487.49' }, /closing balance 13487\.49 does not agree/, null],
    ['an empty file', 'empty.csv', 'csv', {}, /the file is empty/, null],
    ['XML that is not well-formed', 'bad.xml', 'camt053', {}, /line 3.*not well-formed/, 3],
    ['a camt.053 entry with a bad amount', 'bad-amount.xml', 'camt053', {}, /line 2 \(Amt\).*15OO\.00/, 2],
    ['CSV sent as camt.053', 'en-signed.csv', 'camt053', {}, /not well-formed|no camt\.053 statement/, undefined],
  ];
  for (const [what, file, format, over, message, line] of bad) {
    it(`refuses ${what}, naming the line and the problem`, () => {
      const e = refused(() => parseStatementFile({ ...OCT, ...over, format, content: fixture(file).toString('utf8') }));
      expect(e.message).to.match(message);
      if (line !== undefined) expect(e.problems[0]!.line).to.equal(line);
    });
  }

  it('reports every bad line of a file, not only the first', () => {
    const e = refused(() => parseStatementFile({ ...OCT, format: 'csv', content: fixture('bad-amount.csv').toString('utf8') }));
    expect(e.problems.map((p) => p.line)).to.include.members([3, 4]);
  });

  it('refuses a line dated outside the statement period', () => {
    const e = refused(() => parseStatementFile({ ...OCT, closingBalance: '4999.00', format: 'csv', content: 'date,description,debit,credit\n2026-09-30,early,1.00,\n' }));
    expect(e.message).to.equal('line 2 (date): date 2026-09-30 is outside the statement period 2026-10-01 to 2026-10-31');
  });

  it('keeps zero amounts as information lines; refuses both debit and credit, and over-long text', () => {
    const csv = 'date,description,debit,credit\n2026-10-01,early,1.00,\n2026-10-02,zero,0.00,\n2026-10-03,both,1.00,2.00\n2026-10-04,' + 'x'.repeat(600) + ',,1.00\n';
    const e = refused(() => parseStatementFile({ ...OCT, closingBalance: '5000.00', format: 'csv', content: csv }));
    const text = e.problems.map((p) => `${p.line}:${p.problem}`).join('\n');
    expect(text).not.to.match(/3:/);
    expect(text).to.match(/4:the line has both an out \(借方\/支出\) and an in/);
    expect(text).to.match(/5:description is longer than 500/);
    const ok = parseStatementFile({ ...OCT, closingBalance: '4999.00', format: 'csv', content: 'date,description,debit,credit\n2026-10-01,fee,1.00,\n2026-10-02,利息税,0.00,\n' });
    expect(ok.lines.map((l) => l.amount)).to.deep.equal(['-1.00', '0.00']);
  });

  it('refuses a DOCTYPE (entity expansion) in XML', () => {
    const xml = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><Document/>';
    expect(refused(() => parseStatementFile({ ...OCT, format: 'camt053', content: xml })).message).to.match(/DOCTYPE/);
  });

  it('refuses XML nested deeper than the limit as a file problem (never a crash), however deep', () => {
    for (const n of [41, 5_000, 100_000]) {
      const xml = `<?xml version="1.0"?><Document>${'<a>'.repeat(n)}1${'</a>'.repeat(n)}</Document>`;
      expect(refused(() => parseStatementFile({ ...OCT, format: 'camt053', content: xml })).message).to.match(/nested deeper than 40/);
    }
  });

  it('takes a statement with no movements when opening equals closing', () => {
    const { lines } = parseStatementFile({ ...OCT, closingBalance: '5000.00', format: 'csv', content: 'date,description,amount\n' });
    expect(lines).to.deep.equal([]);
  });

  it('reads amounts and dates as banks write them', () => {
    expect(parseBankAmount('1,234.50')!.toFixed(2)).to.equal('1234.50');
    expect(parseBankAmount('¥12')!.toFixed(2)).to.equal('12.00');
    expect(parseBankAmount('(12.00)')!.toFixed(2)).to.equal('-12.00');
    expect(parseBankAmount('12.00-')!.toFixed(2)).to.equal('-12.00');
    for (const bad of ['', '1.234', '1,23', 'abc', '1e5', '--1', '12,345,67']) expect(parseBankAmount(bad), bad).to.equal(null);
    expect(parseBankDate('2026/1/5')).to.equal('2026-01-05');
    expect(parseBankDate('2026年1月5日')).to.equal('2026-01-05');
    expect(parseBankDate('20260105')).to.equal('2026-01-05');
    expect(parseBankDate('2026-01-05 13:45:00')).to.equal('2026-01-05');
    for (const bad of ['2026-02-30', '05/01/2026', '2026-13-01', 'yesterday']) expect(parseBankDate(bad), bad).to.equal(null);
  });

  it('splits CSV records with quoted commas, doubled quotes and line breaks, keeping line numbers', () => {
    const recs = [...csvRecords('a,b\n"x, ""y""","multi\nline"\nlast,1\r\n')];
    expect(recs).to.deep.equal([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['x, "y"', 'multi\nline'] },
      { line: 4, cells: ['last', '1'] },
    ]);
  });
});
