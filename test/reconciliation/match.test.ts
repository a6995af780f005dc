import { expect } from 'chai';
import { autoMatch, referenceTokens } from '../../src/reconciliation/match';
import { parseStatementFile } from '../../src/reconciliation/parse';
import type { LedgerBankLine } from '../../src/reconciliation/model';
import { fixture } from './parse.test';

const ledger: LedgerBankLine[] = JSON.parse(fixture('traps-ledger.json').toString('utf8')).lines;
const { lines } = parseStatementFile({ periodFrom: '2026-10-01', periodTo: '2026-10-31', openingBalance: '20000.00', closingBalance: '28977.50', format: 'csv', content: fixture('traps.csv').toString('utf8') });
// Statement line ids: 1..10 for T01..T10.
const statement = lines.map((l, i) => ({ id: i + 1, ...l }));

describe('reconciliation: auto-match on a fixture full of traps', () => {
  const result = autoMatch(statement, ledger, { windowDays: 3 });
  const pairs = Object.fromEntries(result.matches.map((m) => [m.statementLineId, m]));

  it('matches a unique amount within the window by amount and date, with its rule and score', () => {
    expect(pairs[1]).to.deep.include({ ledgerLineId: 1, rule: 'amount_date', dayDiff: 1, score: 80 });
  });

  it('two payments of the same amount on nearby days are left for a person, with both candidates', () => {
    expect(pairs[2]).to.equal(undefined);
    expect(pairs[3]).to.equal(undefined);
    const amb = result.ambiguous.filter((a) => a.statementLineId === 2 || a.statementLineId === 3);
    expect(amb).to.have.length(2);
    for (const a of amb) expect(a.candidateLedgerLineIds).to.have.members([2, 3]);
  });

  it('the same amount twice is resolved by the case number in the description, crossing the file order', () => {
    expect(pairs[4]).to.deep.include({ ledgerLineId: 5, rule: 'reference', score: 98 });
    expect(pairs[5]).to.deep.include({ ledgerLineId: 4, rule: 'reference' });
  });

  it('a reversed entry and its reversal are never matched; the bank line goes to the entry that stands', () => {
    expect(pairs[6]).to.deep.include({ ledgerLineId: 9, rule: 'amount_date', dayDiff: 0, score: 90 });
    expect(result.cancelledLedgerLineIds).to.have.members([7, 8]);
    expect(result.matches.map((m) => m.ledgerLineId)).not.to.include.members([7, 8]);
  });

  it('a split payment (one bank line, two ledger lines) is not guessed', () => {
    expect(pairs[7]).to.equal(undefined);
    expect(result.matches.map((m) => m.ledgerLineId)).not.to.include(10);
    expect(result.matches.map((m) => m.ledgerLineId)).not.to.include(11);
  });

  it('never matches the wrong side, outside the window, or a bank fee with nothing in the ledger', () => {
    expect(pairs[8]).to.equal(undefined); // +250 against a -250
    expect(pairs[9]).to.equal(undefined); // 5 days apart
    expect(pairs[10]).to.equal(undefined); // bank fee
    expect(result.matches.map((m) => m.ledgerLineId)).not.to.include(13); // in transit
    expect(result.matches).to.have.length(4);
  });

  it('the window is configurable', () => {
    const wide = autoMatch(statement, ledger, { windowDays: 5 });
    expect(wide.matches.find((m) => m.statementLineId === 9)).to.deep.include({ ledgerLineId: 14, dayDiff: 5 });
    const none = autoMatch(statement, ledger, { windowDays: 0 });
    expect(none.matches.find((m) => m.statementLineId === 1)).to.equal(undefined);
  });

  it('is one-to-one: no ledger line and no statement line is used twice', () => {
    const ls = result.matches.map((m) => m.ledgerLineId), ss = result.matches.map((m) => m.statementLineId);
    expect(new Set(ls).size).to.equal(ls.length);
    expect(new Set(ss).size).to.equal(ss.length);
  });

  it('a reference named by two bank lines is not given to either', () => {
    const l: LedgerBankLine = { lineId: 1, entryId: 1, entryNumber: '2026-000001', date: '2026-10-10', amount: '-100.00', description: 'Aid 2026-CY-0099', memo: null, sourceRef: '2026-CY-0099', reversed: false };
    const s = [1, 2].map((id) => ({ id, date: '2026-10-10', amount: '-100.00', description: 'pay 2026-CY-0099', reference: null }));
    const r = autoMatch(s, [l], { windowDays: 3 });
    expect(r.matches).to.deep.equal([]);
  });

  it('finds identifiers worth comparing, not plain numbers', () => {
    expect(referenceTokens('救助款 2026-CY-0012 付 10000.00', 'DON-1')).to.deep.equal(['2026-CY-0012']);
  });
});
