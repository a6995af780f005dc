// Chinese bank exports as banks produce them (fixtures built by test/fixtures/statements/banks/make.ts to each
// bank's real layout): preamble and footer, padding, GBK/UTF-16/BOM, newest or oldest first, XLS and XLSX,
// zero-amount information lines, and what is truly wrong refused by line.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import iconv from 'iconv-lite';
import * as XLSX from '@e965/xlsx';
import { parseStatementFile, StatementCurrencyError } from '../../src/reconciliation/parse';
import { Problems } from '../../src/reconciliation/parse/common';
import { headerCandidates, metaPairs, accountsAgree, directionOf } from '../../src/reconciliation/parse/layouts';
import { readTableFile } from '../../src/reconciliation/parse/tabular';
import { refused } from './parse.test';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/statements/banks');
export const bankFixture = (name: string) => fs.readFileSync(path.join(dir, name));
export const OCT = { periodFrom: '2026-10-01', periodTo: '2026-10-31', openingBalance: '5000.00', closingBalance: '13490.71' };
/** The month every fixture tells, oldest first. */
export const MONTH = [
  { date: '2026-10-02', amount: '10000.00', balance: '15000.00' },
  { date: '2026-10-08', amount: '-1500.00', balance: '13500.00' },
  { date: '2026-10-20', amount: '0.00', balance: '13500.00' },
  { date: '2026-10-21', amount: '3.21', balance: '13503.21' },
  { date: '2026-10-31', amount: '-12.50', balance: '13490.71' },
];
export const formatOf = (f: string) => (f.endsWith('.xlsx') ? 'xlsx' : f.endsWith('.xls') ? 'xls' : 'csv') as 'csv' | 'xls' | 'xlsx';


const read = (file: string, over: object = {}) => {
  const problems = new Problems();
  const r = readTableFile({ ...OCT, format: formatOf(file), contentBase64: bankFixture(file).toString('base64'), ...over }, problems);
  return { ...r, problems: problems.list };
};

describe('reconciliation: Chinese bank exports as banks produce them', () => {
  const cases: [string, string, { bank?: string; encoding: string; order: 'oldest_first' | 'newest_first'; account?: string; period?: boolean; header: number }][] = [
    ['ICBC 工商银行 personal v2 (GBK, padded, 记账金额 pair, 人民币合计)', 'icbc-debit-v2-gbk.csv', { bank: 'ICBC', encoding: 'gbk', order: 'newest_first', account: '6222****1234', header: 7 }],
    ['ICBC 工商银行 personal v1 (UTF-8 with BOM)', 'icbc-debit-v1-bom.csv', { bank: 'ICBC', encoding: 'utf-8', order: 'newest_first', account: '6222****1234', header: 5 }],
    ['CCB 建设银行 personal (.xls BIFF8, 以上数据仅供参考)', 'ccb-debit.xls', { bank: 'CCB', encoding: 'binary', order: 'oldest_first', account: '6217*********0001', header: 6 }],
    ['BOC 中国银行 personal (UTF-16LE, title line, thousands)', 'boc-debit-utf16.csv', { bank: 'BOC', encoding: 'utf-16le', order: 'newest_first', header: 2 }],
    ['ABC 农业银行 personal (GBK, +/- amounts, 利息税 0.00)', 'abc-debit-gbk.csv', { bank: 'ABC', encoding: 'gbk', order: 'oldest_first', account: '6228****5678', period: true, header: 5 }],
    ['CMB 招商银行 personal (# preamble, 联机余额)', 'cmb-debit.csv', { bank: 'CMB', encoding: 'utf-8', order: 'oldest_first', account: '6214****5678', period: true, header: 8 }],
    ['BOCOM 交通银行 personal (GBK, 借 Dr / 贷 Cr)', 'bocom-debit-gbk.csv', { bank: 'BOCOM', encoding: 'gbk', order: 'newest_first', account: '6222****8888', period: true, header: 5 }],
    ['PSBC 邮储银行 personal (.xlsx, number and date cells)', 'psbc-debit.xlsx', { bank: 'PSBC', encoding: 'binary', order: 'oldest_first', account: '6210****9999', period: true, header: 5 }],
    ['ICBC 工商银行 企业网银 (GBK, 交易时间 only, 借方笔数 footer)', 'icbc-corporate-gbk.csv', { encoding: 'gbk', order: 'oldest_first', account: '1100****0001', period: true, header: 6 }],
    ['CCB 建设银行 企业网银 (.xlsx, （支取）/（收入）, newest first)', 'ccb-corporate.xlsx', { bank: 'CCB', encoding: 'binary', order: 'newest_first', account: '1105****0002', period: true, header: 5 }],
    ['ABC 农业银行 企业网银 (GBK, 收入金额/支出金额)', 'abc-corporate-gbk.csv', { encoding: 'gbk', order: 'oldest_first', account: '1230****0003', header: 4 }],
  ];
  for (const [what, file, want] of cases) {
    it(`reads ${what}`, () => {
      const bytes = bankFixture(file);
      if (want.encoding === 'gbk') expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).to.throw(); // really GBK
      const { lines, encoding, layout } = parseStatementFile({ ...OCT, format: formatOf(file), contentBase64: bytes.toString('base64') });
      expect(encoding).to.equal(want.encoding);
      expect(lines.map((l) => ({ date: l.date, amount: l.amount, balance: l.balance }))).to.deep.equal(MONTH);
      // The line numbers are the file's own: descending for a newest-first file.
      const nos = lines.map((l) => l.lineNo);
      expect(nos).to.deep.equal(want.order === 'newest_first' ? [...nos].sort((a, b) => b - a) : [...nos].sort((a, b) => a - b));
      expect(layout).to.include({ order: want.order, headerRow: want.header, openingBalance: '5000.00', closingBalance: '13490.71' });
      expect(layout!.currency ?? 'CNY').to.equal('CNY');
      if (want.bank) expect(layout!.bank).to.equal(want.bank);
      if (want.account) expect(layout!.account).to.equal(want.account);
      if (want.period) expect(layout).to.include({ periodFrom: '2026-10-01', periodTo: '2026-10-31' });
      const aid = lines[1]!;
      expect(aid.counterparty ?? '').to.include('张三');
      expect(`${aid.description}`).to.satisfy((d: string) => d.includes('救助款 2026-CY-0007') || d.includes('转账支出'));
      // Placeholders ("--", "----------") are no counterparty.
      expect(lines[4]!.counterparty).to.equal(null);
    });
  }

  it('uses the booked 记账金额 pair over the 交易金额 pair, and the qualifier decides the side', () => {
    const { layout } = read('icbc-debit-v2-gbk.csv');
    const m = Object.fromEntries(layout.columns.map((c) => [c.header, c.meaning]));
    expect(m).to.include({ '交易金额(收入)': 'ignored', '交易金额(支出)': 'ignored', '记账金额(收入)': 'in', '记账金额(支出)': 'out', 记账币种: 'currency', 交易币种: 'ignored' });
    expect(headerCandidates('交易金额（支出）')[0]).to.deep.equal({ meaning: 'out', rank: 1 });
    expect(headerCandidates('借方发生额（支取）')[0]!.meaning).to.equal('out');
    expect(headerCandidates('贷方发生额(收入)')[0]!.meaning).to.equal('in');
    expect(headerCandidates('借方发生额(收入)')).to.deep.equal([]); // a contradiction is not guessed at
    expect(headerCandidates('  日 志 号\t')[0]!.meaning).to.equal('reference');
  });

  it('reads the lines above the header and the flags as banks print them', () => {
    expect(metaPairs(['账　　号：', '6217*********0001'])).to.deep.equal([['account', '6217*********0001']]);
    expect(metaPairs(['# 起始日期: [20261001]   终止日期: [20261031]'])).to.deep.equal([['from', '20261001'], ['to', '20261031']]);
    expect(metaPairs(['起止日期', '2026-10-01', '2026-10-31'])).to.deep.equal([['period', '2026-10-01 2026-10-31']]);
    expect(metaPairs(['账号：1230****0003 户名：某基金会 币种：人民币']).map(([k]) => k)).to.deep.equal(['account', 'holder', 'currency']);
    expect(['借 Dr', '贷 Cr', '收', '支', 'D', 'C', '来账', '往账', 'x'].map(directionOf)).to.deep.equal([-1, 1, 1, -1, -1, 1, 1, -1, null]);
    expect(accountsAgree('6222****1234', '6222020012341234')).to.equal(true);
    expect(accountsAgree('6222****1234', '6222020012349999')).to.equal(false);
    expect(accountsAgree('1100 0012 3456', '1100-0012-3456')).to.equal(true);
  });

  it('keeps zero-amount rows (利息税 0.00, a row with "-" on both sides) as information lines', () => {
    for (const file of ['abc-debit-gbk.csv', 'icbc-debit-v2-gbk.csv', 'ccb-debit.xls']) {
      const { lines, problems } = read(file);
      expect(problems, file).to.deep.equal([]);
      expect(lines.filter((l) => l.amount === '0.00').map((l) => l.date), file).to.deep.equal(['2026-10-20']);
    }
  });

  it('checks the running balance in the file order, naming the misprinted line', () => {
    const e = refused(() => parseStatementFile({ ...OCT, format: 'csv', contentBase64: bankFixture('abc-debit-bad-balance-gbk.csv').toString('base64') }));
    expect(e.problems[0]).to.deep.equal({ line: 10, column: 'balance', problem: 'the running balance 13590.71 does not agree with opening balance + lines so far (13490.71)' });
    // A newest-first file whose second row (a later line) is misprinted: that row is named.
    const text = iconv.decode(bankFixture('bocom-debit-gbk.csv'), 'gbk').replace(',3.21,13503.21,', ',3.21,13503.99,');
    const e2 = refused(() => parseStatementFile({ ...OCT, format: 'csv', content: text }));
    expect(e2.problems.map((p) => p.line)).to.deep.equal([7]);
  });

  it('refuses a file whose printed period, currency or opening balance is not the declared one', () => {
    const abc = bankFixture('abc-debit-gbk.csv').toString('base64');
    expect(refused(() => parseStatementFile({ ...OCT, periodTo: '2026-11-30', format: 'csv', contentBase64: abc })).message).to.match(/the file's period 2026-10-01 to 2026-10-31 differs from the declared period 2026-10-01 to 2026-11-30/);
    const cmb = bankFixture('cmb-debit.csv').toString('utf8').replace('# 币种: [人民币]', '# 币种: [美元]');
    expect(() => parseStatementFile({ ...OCT, format: 'csv', content: cmb })).to.throw(StatementCurrencyError, /USD/);
    const icbc = iconv.decode(bankFixture('icbc-corporate-gbk.csv'), 'gbk').replace('币种,人民币', '币种,人民币\n期初余额,4000.00');
    expect(refused(() => parseStatementFile({ ...OCT, format: 'csv', content: icbc })).message).to.match(/opening balance 4000\.00 differs from openingBalance 5000\.00/);
  });

  it('refuses a file of another account than the fund\'s bank account (masked numbers agree)', () => {
    const abc = bankFixture('abc-debit-gbk.csv').toString('base64');
    expect(parseStatementFile({ ...OCT, format: 'csv', contentBase64: abc, bankAccount: '6228 4800 1234 5678' }).lines).to.have.length(5);
    expect(refused(() => parseStatementFile({ ...OCT, format: 'csv', contentBase64: abc, bankAccount: '6228480012349999' })).message).to.match(/the file is of account 6228\*\*\*\*5678/);
  });

  it('refuses a line whose currency is not the statement\'s, by line', () => {
    const text = bankFixture('cmb-debit.csv').toString('utf8').replace('2026-10-21,CNY', '2026-10-21,USD');
    const e = refused(() => parseStatementFile({ ...OCT, format: 'csv', content: text }));
    expect(e.problems[0]).to.include({ line: 12, column: 'currency' });
  });

  it('skips page headers repeated between the rows and free text after them, but not a bad line among them', () => {
    const csv = '日期,摘要,金额,余额\n2026-10-02,a,10.00,5010.00\n本页合计,,10.00,\n日期,摘要,金额,余额\n2026-10-03,b,-5.00,5005.00\n温馨提示：本明细仅供参考\n';
    const { lines } = parseStatementFile({ ...OCT, closingBalance: '5005.00', format: 'csv', content: csv });
    expect(lines.map((l) => l.lineNo)).to.deep.equal([2, 5]);
    const bad = '日期,摘要,金额\n2026-10-02,a,10.00\n某行,没有日期,\n2026-10-03,b,-5.00\n';
    expect(refused(() => parseStatementFile({ ...OCT, closingBalance: '5005.00', format: 'csv', content: bad })).problems[0]).to.include({ line: 3, column: 'date' });
  });

  it('reads UTF-8 with a BOM, GB18030 and tab-separated files', () => {
    const csv = '交易日期\t摘要\t收入\t支出\t余额\n2026-10-02\t捐赠\t10.00\t-\t5010.00\n';
    for (const bytes of [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv)]), iconv.encode(csv, 'gb18030')]) {
      const { lines } = parseStatementFile({ ...OCT, closingBalance: '5010.00', format: 'csv', contentBase64: bytes.toString('base64') });
      expect(lines.map((l) => [l.description, l.amount])).to.deep.equal([['捐赠', '10.00']]);
    }
  });

  it('refuses a corrupt or mislabelled spreadsheet as a file problem, never a crash', () => {
    const junk = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(600, 7)]);
    const zip = Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(300, 1)]);
    for (const [format, bytes] of [['xls', junk], ['xlsx', zip], ['xlsx', Buffer.alloc(0)]] as const) {
      const e = refused(() => parseStatementFile({ ...OCT, format, contentBase64: bytes.toString('base64') }));
      expect(e.problems[0]!.line).to.equal(null);
    }
    expect(refused(() => parseStatementFile({ ...OCT, format: 'csv', contentBase64: bankFixture('ccb-debit.xls').toString('base64') })).message).to.match(/choose the format xls or xlsx/);
    // A zip that declares it unpacks to gigabytes is refused before it is unpacked.
    const bomb = Buffer.from(bankFixture('psbc-debit.xlsx'));
    const cd = bomb.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bomb.writeUInt32LE(0xfffffff0, cd + 24);
    expect(refused(() => parseStatementFile({ ...OCT, format: 'xlsx', contentBase64: bomb.toString('base64') })).message).to.match(/unpacks to more than/);
    expect(refused(() => parseStatementFile({ ...OCT, format: 'xlsx', content: 'a,b' })).message).to.match(/contentBase64/);
  });

  it('holds spreadsheets to the limits: 100 columns, 2,000 characters a cell', () => {
    const wide = XLSX.utils.aoa_to_sheet([['日期', '金额'], ['2026-10-02', '10.00', ...Array(120).fill('x')]]);
    const long = XLSX.utils.aoa_to_sheet([['日期', '金额', '摘要'], ['2026-10-02', '10.00', 'y'.repeat(2500)]]);
    for (const [ws, message] of [[wide, /at most 100 are read|column/], [long, /longer than 2000 characters/]] as const) {
      const wb = XLSX.utils.book_new();
      XLSX.utils.book_append_sheet(wb, ws, 'S');
      const bytes = XLSX.write(wb, { type: 'buffer', bookType: 'xlsx' }) as Buffer;
      expect(refused(() => parseStatementFile({ ...OCT, closingBalance: '5010.00', format: 'xlsx', contentBase64: bytes.toString('base64') })).message).to.match(message);
    }
  });

  it('takes the first sheet with a recognisable header', () => {
    const wb = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet([['说明'], ['本文件由网银导出']]), '说明');
    XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet([['交易日期', '交易金额', '账户余额'], ['2026-10-02', 10, 5010]]), '明细');
    const bytes = XLSX.write(wb, { type: 'buffer', bookType: 'xlsx' }) as Buffer;
    const { lines } = parseStatementFile({ ...OCT, closingBalance: '5010.00', format: 'xlsx', contentBase64: bytes.toString('base64') });
    expect(lines).to.have.length(1);
  });

  it('reads a layout nobody recognises with a mapping (header names, day-first dates)', () => {
    const unknown = bankFixture('unknown-layout.csv').toString('utf8');
    expect(refused(() => parseStatementFile({ ...OCT, format: 'csv', content: unknown })).message).to.match(/no header row found/);
    const mapping = { columns: { date: '日子', in: '进账', out: '出账', balance: '结余', description: '备注' }, dateFormat: 'DMY' as const };
    const { lines, layout } = parseStatementFile({ ...OCT, format: 'csv', content: unknown }, mapping);
    expect(lines.map((l) => l.amount)).to.deep.equal(['10000.00', '-1500.00', '3.21', '-12.50']);
    expect(layout!.headerRow).to.equal(2);
    // By column numbers, without a header row: what comes before the first dated row is skipped.
    const byIndex = parseStatementFile({ ...OCT, format: 'csv', content: unknown }, { columns: { date: 0, in: 1, out: 2, balance: 3 }, dateFormat: 'DMY' });
    expect(byIndex.lines).to.have.length(4);
    expect(refused(() => parseStatementFile({ ...OCT, format: 'csv', content: unknown }, { columns: { date: '日期', amount: '金额' } })).message).to.match(/profile's column names/);
  });
});
