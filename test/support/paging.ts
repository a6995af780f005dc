import { expect } from 'chai';
import { api } from './api';

/** Every page of a list (GET path with its filters), following nextCursor; checks total on every page. */
export async function allPages(path: string, token: string, opts: { sort?: string; limit?: number } = {}): Promise<{ items: any[]; pages: number; total: number }> {
  const items: any[] = [];
  let cursor: string | null = null;
  let pages = 0;
  let total = -1;
  const sep = path.includes('?') ? '&' : '?';
  do {
    const q: URLSearchParams = new URLSearchParams({ limit: String(opts.limit ?? 2), withTotal: 'true', ...(opts.sort ? { sort: opts.sort } : {}), ...(cursor ? { cursor } : {}) });
    const r: { status: number; text: string; body: any } = await api("GET", `${path}${sep}${q}`, { token });
    expect(r.status, r.text).to.equal(200);
    expect(r.body.total, 'total on every page').to.be.a('number');
    if (total >= 0) expect(r.body.total).to.equal(total);
    total = r.body.total;
    items.push(...r.body.items);
    cursor = r.body.nextCursor;
    if (++pages > 100) throw new Error('too many pages');
  } while (cursor);
  expect(items.length, 'items seen = total').to.equal(total);
  expect(new Set(items.map((i) => i.id)).size, 'no item twice').to.equal(items.length);
  return { items, pages, total };
}

/** The order a sort must give: by the key (numbers as numbers), ties by id, in the same direction. */
export function expectedOrder<T extends { id: number }>(items: T[], key: (x: T) => string | number, desc: boolean): number[] {
  const cmp = (a: T, b: T) => {
    const ka = key(a), kb = key(b);
    const c = typeof ka === 'number' && typeof kb === 'number' ? ka - kb : String(ka) < String(kb) ? -1 : String(ka) > String(kb) ? 1 : 0;
    return (c || a.id - b.id) * (desc ? -1 : 1);
  };
  return [...items].sort(cmp).map((x) => x.id);
}
