import { userToken } from '../support/api';
import { testService } from '../support/env';
import { fundTree } from '../support/fixtures';

export { donate, uniqueRoot } from '../support/fixtures';

export const db = () => testService().ctx.db;

let financeCached: string | undefined;
export const financeToken = async () => (financeCached ??= (await userToken(['finance'])).token);

/** A foundation with district children CY and HD; returns the codes. */
export async function makeTree(token: string) {
  const { root, funds } = await fundTree(token, ['CY', 'HD']);
  return { root, cy: funds.CY!, hd: funds.HD! };
}

/** Counts of what a rejected request must not have written. */
export async function writeCounts() {
  const k = db();
  const [e, l, b, rv, day] = await Promise.all([
    k('journal_entries').count('* as c').first(),
    k('journal_lines').count('* as c').first(),
    k('ledger_balances').select(k.raw('coalesce(sum(debit_total),0)::text AS d, coalesce(sum(credit_total),0)::text AS c')).first(),
    k('ledger_reversals').count('* as c').first(),
    k('ledger_daily_balances').select(k.raw('count(*)::text AS n, coalesce(sum(closing),0)::text AS s')).first(),
  ]);
  const a = await k('audit_head').where({ id: 1 }).first();
  return { entries: Number(e!.c), lines: Number(l!.c), balances: `${b.d}/${b.c}`, reversals: Number(rv!.c), dayBalances: `${day.n}/${day.s}`, auditSeq: Number(a.seq) };
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
