import type { Db } from '../platform/db';
import { aidPaidByHousehold } from '../ledger';

// The only thing households need from the ledger: aid paid per household (docs/contracts.md), through the
// ledger's index, never its tables.

/** Aid paid to each household, "0.00" when none. */
export async function aidReceived(db: Db, ids: number[], from?: string, to?: string): Promise<Map<number, string>> {
  const paid = ids.length ? await aidPaidByHousehold(db, ids, from, to) : new Map<number, string>();
  return new Map(ids.map((id) => [id, paid.get(id) ?? '0.00']));
}
