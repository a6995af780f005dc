import type { Db } from '../platform/db';

export interface District {
  code: string;
  nameZh: string;
  nameEn: string;
}

export async function listDistricts(db: Db): Promise<District[]> {
  const rows = await db('districts').orderBy('sort');
  return rows.map((r) => ({ code: r.code, nameZh: r.name_zh, nameEn: r.name_en }));
}

export async function districtExists(db: Db, code: string) {
  return !!(await db('districts').where({ code }).first());
}
