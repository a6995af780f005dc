// Everything public (API, PDFs, exports) shows names masked and never ID numbers, phones or addresses.

/** 张三明 → 张*明, 张三 → 张*, 欧阳娜娜 → 欧**娜; a one-character name becomes *. */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  if (chars.length <= 1) return '*';
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}

/** For staff who may see a file but not its identifiers in full (auditors): 110105********123X. */
export const maskIdNumber = (id: string) => (id.length < 10 ? '*'.repeat(id.length) : `${id.slice(0, 6)}${'*'.repeat(id.length - 10)}${id.slice(-4)}`);

export const maskPhone = (phone: string) => (phone.length < 7 ? '*'.repeat(phone.length) : `${phone.slice(0, 3)}${'*'.repeat(phone.length - 7)}${phone.slice(-4)}`);
