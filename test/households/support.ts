import { api } from '../support/api';
import { validIdNumber } from '../support/fixtures';

/** A valid, run-unique resident ID number (the shared generator; `check: 'X'` for an X check character, `area` its region code). */
export const newIdNumber = (opts: { check?: 'X'; area?: string } = {}) => validIdNumber(opts);

export function newPhone(): string {
  return `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
}

export function householdBody(over: Record<string, unknown> = {}) {
  return {
    headName: '王建国',
    idNumber: newIdNumber(),
    phone: newPhone(),
    district: 'CY',
    unionOrg: '朝阳某机械厂工会',
    address: '朝阳区某路1号院2楼301',
    members: [{ name: '李秀兰', relation: 'spouse', age: 45, health: '慢性病', workStatus: '无业' }],
    monthlyIncome: '2000.00',
    memberCount: 2,
    category: 'deep',
    causes: ['illness'],
    notes: '测试',
    ...over,
  };
}

export async function createHousehold(token: string, over: Record<string, unknown> = {}) {
  const body = householdBody(over);
  const r = await api('POST', '/households', { token, body });
  if (r.status !== 201) throw new Error(`create household: ${r.status} ${r.text}`);
  return { ...r.body, sent: body } as { id: number; status: string; sent: ReturnType<typeof householdBody> } & Record<string, any>;
}

export async function assess(token: string, id: number, date: string, monthlyIncome: string, memberCount = 2) {
  const r = await api('POST', `/households/${id}/assessments`, { token, body: { date, monthlyIncome, memberCount, rigidExpenses: '0.00', evidence: '入户核查' } });
  if (r.status !== 201) throw new Error(`assess: ${r.status} ${r.text}`);
  return r.body;
}

export async function transition(token: string, id: number, action: 'exit' | 'return' | 'archive', date: string, reason = '核查') {
  return api('POST', `/households/${id}/${action}`, { token, body: { date, reason, evidence: '材料' } });
}
