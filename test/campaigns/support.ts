import { api, userToken } from '../support/api';
import { testService } from '../support/env';
import { donate, fundTree } from '../support/fixtures';
import { createHousehold } from '../households/support';

export const db = () => testService().ctx.db;
export const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());

export type Token = Awaited<ReturnType<typeof userToken>>;

export async function people(districts: string[]) {
  const officers: Record<string, Token> = {};
  for (const d of districts) officers[d] = await userToken(['officer'], d);
  return {
    // City-level maker: officers always have a district, so a city-wide campaign is an admin's.
    city: await userToken(['admin']),
    officers,
    approver1: await userToken(['approver']),
    approver2: await userToken(['approver']),
    finance: await userToken(['finance']),
    auditor: await userToken(['auditor']),
  };
}

/** A foundation with one district fund per district, each holding `amount`. */
export async function funds(finance: string, districts: string[], amount: string) {
  const tree = await fundTree(finance, districts);
  for (const d of districts) if (amount !== '0.00') await donate(finance, tree.funds[d]!, amount, today());
  return tree;
}

let acct = 0;
export const accountNo = () => `62220210${String(Date.now() % 1e7).padStart(7, '0')}${String(++acct).padStart(4, '0')}`;

export async function household(officer: string, district: string, over: Record<string, unknown>, bank = true) {
  const h = await createHousehold(officer, { district, ...over });
  let account: string | undefined;
  if (bank) {
    account = accountNo();
    const r = await api('PUT', `/households/${h.id}/bank-account`, { token: officer, body: { bankAccount: { accountNo: account, accountName: String(over.headName ?? '王建国'), bankName: '中国工商银行北京朝阳支行' } } });
    if (r.status !== 200) throw new Error(`bank account: ${r.status} ${r.text}`);
  }
  return { id: h.id as number, account };
}

export async function createCampaign(token: string, body: Record<string, unknown>) {
  const r = await api('POST', '/campaigns', { token, body: { name: '测试送温暖', kind: 'new_year_spring', year: Number(today().slice(0, 4)), ...body } });
  if (r.status !== 201) throw new Error(`campaign: ${r.status} ${r.text}`);
  return r.body as { id: number } & Record<string, any>;
}

export async function ok(method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>) {
  const r = await api(method, path, { token, body, headers });
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
  return r.body;
}

export async function allLines(token: string, id: number): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const r: { status: number; text: string; body: any } = await api('GET', `/campaigns/${id}/lines?limit=500${cursor ? `&cursor=${cursor}` : ''}`, { token });
    if (r.status !== 200) throw new Error(`lines: ${r.status} ${r.text}`);
    out.push(...r.body.items);
    cursor = r.body.nextCursor;
  } while (cursor);
  return out;
}

/** Waits for the notice (NOTICE_PERIOD=PT2S in tests) and the sweep. */
export async function waitPayable(token: string, id: number) {
  for (let i = 0; i < 40; i++) {
    const c = await ok('GET', `/campaigns/${id}`, token);
    if (c.status === 'payable') return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('campaign did not become payable');
}

/** Create → build → submit → approve (one foundation approver) → payable. */
export async function payableCampaign(p: Awaited<ReturnType<typeof people>>, body: Record<string, unknown>) {
  const c = await createCampaign(p.city.token, body);
  await ok('POST', `/campaigns/${c.id}/roll`, p.city.token, {});
  await ok('POST', `/campaigns/${c.id}/submit`, p.city.token, {});
  await ok('POST', `/campaigns/${c.id}/approve`, p.approver1.token, {});
  await waitPayable(p.city.token, c.id);
  return c;
}
