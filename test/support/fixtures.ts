import { api, userToken } from './api';

const W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const C = '10X98765432';
let seq = 0;
const randomBirth = () => {
  const d = new Date(Date.UTC(1960, 0, 1) + Math.floor(Math.random() * 35 * 365) * 86_400_000);
  return d.toISOString().slice(0, 10).replace(/-/g, '');
};

/** A valid 18-digit resident ID number (GB 11643 check digit), unique within the run. */
export function validIdNumber(birth = randomBirth(), area = '110105'): string {
  const n = (process.pid * 7 + ++seq) % 1000;
  const body = `${area}${birth}${String(n).padStart(3, '0')}`;
  let s = 0;
  for (let i = 0; i < 17; i++) s += Number(body[i]) * W[i]!;
  return body + C[s % 11];
}

let fundSeq = 0;
/** A fresh root fund and a district child fund with a donation in it; returns the child's code. */
export async function fundWithMoney(amount = '100000.00', district = 'CY'): Promise<{ root: string; fund: string; finance: string }> {
  const finance = (await userToken(['finance'])).token;
  const root = `T${process.pid % 1000}${++fundSeq}${Math.random().toString(36).slice(2, 5).toUpperCase()}`;
  const a = await api('POST', '/funds', { token: finance, body: { code: root, nameZh: '测试基金会', nameEn: 'Test foundation', kind: 'foundation', restricted: false } });
  if (a.status >= 300) throw new Error(`fund: ${a.status} ${a.text}`);
  const fund = `${root}-${district}`;
  const b = await api('POST', '/funds', { token: finance, body: { code: fund, nameZh: '区专项基金', nameEn: 'District fund', kind: 'district', parentCode: root, district, restricted: false } });
  if (b.status >= 300) throw new Error(`fund: ${b.status} ${b.text}`);
  if (amount !== '0.00') {
    const today = new Date().toISOString().slice(0, 10);
    const d = await api('POST', '/donations', { token: finance, body: { fund, amount, date: today, donor: { name: '爱心企业', kind: 'organization', anonymous: false } } });
    if (d.status >= 300) throw new Error(`donation: ${d.status} ${d.text}`);
  }
  return { root, fund, finance };
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
