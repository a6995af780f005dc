import { expect } from 'chai';
import { api, userToken } from '../support/api';
import { testService } from '../support/env';

let n = 0;
/** A unique root code for this run and test, e.g. 'L5K2A3' (fund codes are upper-case). */
export const uniqueRoot = () => `L${Date.now().toString(36).toUpperCase().slice(-5)}${(++n).toString(36).toUpperCase()}`;

export const db = () => testService().ctx.db;

let financeCached: string | undefined;
export const financeToken = async () => (financeCached ??= (await userToken(['finance'])).token);

/** A foundation with district children CY and HD; returns the codes. */
export async function makeTree(token: string) {
  const root = uniqueRoot();
  const post = async (body: Record<string, unknown>) => {
    const r = await api('POST', '/funds', { token, body });
    expect(r.status, r.text).to.equal(201);
    return r.body.code as string;
  };
  await post({ code: root, nameZh: '测试基金会', nameEn: 'Test foundation', kind: 'foundation', restricted: false });
  const cy = await post({ code: `${root}-CY`, nameZh: '朝阳专项基金', nameEn: 'Chaoyang fund', kind: 'district', parentCode: root, district: 'CY', restricted: false });
  const hd = await post({ code: `${root}-HD`, nameZh: '海淀专项基金', nameEn: 'Haidian fund', kind: 'district', parentCode: root, district: 'HD', restricted: false });
  return { root, cy, hd };
}

export async function donate(token: string, fund: string, amount: string, date: string) {
  const r = await api('POST', '/donations', { token, body: { fund, amount, date, donor: { name: '爱心企业', kind: 'organization', anonymous: false } } });
  expect(r.status, r.text).to.equal(201);
  return r.body;
}

/** Counts of what a rejected request must not have written. */
export async function writeCounts() {
  const k = db();
  const [e, l, b, rv] = await Promise.all([
    k('journal_entries').count('* as c').first(),
    k('journal_lines').count('* as c').first(),
    k('ledger_balances').select(k.raw('coalesce(sum(debit_total),0)::text AS d, coalesce(sum(credit_total),0)::text AS c')).first(),
    k('ledger_reversals').count('* as c').first(),
  ]);
  const a = await k('audit_head').where({ id: 1 }).first();
  return { entries: Number(e!.c), lines: Number(l!.c), balances: `${b.d}/${b.c}`, reversals: Number(rv!.c), auditSeq: Number(a.seq) };
}

/** Maintained balances equal the sums of the lines, for every (account, fund). */
export async function balancesMatchLines(funds?: string[]) {
  const k = db();
  const res = await k.raw(`
    SELECT b.account, b.fund, b.debit_total, b.credit_total, coalesce(l.d, 0) AS ld, coalesce(l.c, 0) AS lc
      FROM ledger_balances b
      LEFT JOIN (SELECT account, fund, sum(debit) AS d, sum(credit) AS c FROM journal_lines GROUP BY account, fund) l USING (account, fund)
     WHERE (b.debit_total <> coalesce(l.d, 0) OR b.credit_total <> coalesce(l.c, 0)) ${funds ? 'AND b.fund = ANY(?)' : ''}`, funds ? [funds] : []);
  return res.rows as unknown[];
}

export const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
