import { api, userToken } from './api';
import { idCheckChar } from '../../src/households';
import { regionCodeProblem } from '../../src/households/id-regions';

let seq = 0;
const randomBirth = () => {
  const d = new Date(Date.UTC(1960, 0, 1) + Math.floor(Math.random() * 35 * 365) * 86_400_000);
  return d.toISOString().slice(0, 10).replace(/-/g, '');
};

/**
 * A valid 18-digit resident ID number (GB 11643 check character), unique within the run; `check: 'X'` for an X
 * one. `area` is its GB/T 2260 region code, current or former (default 110105 朝阳区); an unknown one throws.
 */
export function validIdNumber(opts: { check?: 'X'; area?: string } = {}): string {
  const area = opts.area ?? '110105';
  const problem = regionCodeProblem(area);
  if (problem) throw new Error(`validIdNumber: ${problem}`);
  for (;;) {
    const first17 = `${area}${randomBirth()}${String((process.pid * 7 + ++seq + Math.floor(Math.random() * 1000)) % 1000).padStart(3, '0')}`;
    const check = idCheckChar(first17);
    if (!opts.check || check === opts.check) return first17 + check;
  }
}

let fundSeq = 0;
/** A unique root fund code for this run (fund codes are upper-case letters and digits). */
export const uniqueRoot = () => `T${Date.now().toString(36).toUpperCase().slice(-5)}${(++fundSeq).toString(36).toUpperCase()}`;

/** A fresh foundation with one district fund per district given; returns the codes. */
export async function fundTree(token: string, districts: string[] = ['CY']): Promise<{ root: string; funds: Record<string, string> }> {
  const post = async (body: Record<string, unknown>) => {
    const r = await api('POST', '/funds', { token, body });
    if (r.status !== 201) throw new Error(`fund: ${r.status} ${r.text}`);
  };
  const root = uniqueRoot();
  await post({ code: root, nameZh: '测试基金会', nameEn: 'Test foundation', kind: 'foundation', restricted: false });
  const funds: Record<string, string> = {};
  for (const d of districts) {
    funds[d] = `${root}-${d}`;
    await post({ code: funds[d], nameZh: `${d}专项基金`, nameEn: `${d} fund`, kind: 'district', parentCode: root, district: d, restricted: false });
  }
  return { root, funds };
}

export async function donate(token: string, fund: string, amount: string, date: string) {
  const r = await api('POST', '/donations', { token, body: { fund, amount, date, donor: { name: '爱心企业', kind: 'organization', anonymous: false } } });
  if (r.status !== 201) throw new Error(`donation: ${r.status} ${r.text}`);
  return r.body;
}

/** A fresh root fund and a district child fund with a donation in it (dated today); returns the child's code. */
export async function fundWithMoney(amount = '100000.00', district = 'CY'): Promise<{ root: string; fund: string; finance: string }> {
  const finance = (await userToken(['finance'])).token;
  const { root, funds } = await fundTree(finance, [district]);
  if (amount !== '0.00') await donate(finance, funds[district]!, amount, new Date().toISOString().slice(0, 10));
  return { root, fund: funds[district]!, finance };
}

/** A registered household in the district, created by the given officer; returns its id. */
export async function household(officer: string, district = 'CY', headName = '王建国'): Promise<number> {
  const r = await api('POST', '/households', {
    token: officer,
    body: {
      headName, idNumber: validIdNumber(), phone: '13912345678', district, unionOrg: '某厂工会', address: '某路1号',
      members: [{ name: '李秀兰', relation: 'spouse', age: 45 }], monthlyIncome: '2000.00', memberCount: 2, category: 'deep', causes: ['illness'],
    },
  });
  if (r.status !== 201 && r.status !== 200) throw new Error(`household: ${r.status} ${r.text}`);
  return r.body.id;
}
