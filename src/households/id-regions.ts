import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The region code (first six digits) of a resident ID number: the county-level GB/T 2260 code of where the
 * number was issued. People keep their number when their county is merged or renamed (崇文区 110103 and
 * 宣武区 110104 became part of 东城/西城 in 2010), so former codes count as much as current ones.
 * Data: the vendored table in gbt2260/ beside this file (source, version and update steps in its SOURCE.md).
 */
export const GBT2260_DATA = { source: 'mumuy/data_location history.json', commit: 'a40c560', version: '2026-04' } as const;

const FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'gbt2260', 'history.json');

let counties: Set<string> | undefined;
let higher: Set<string> | undefined;

/** Loaded once, on first use: ~6,600 county-level codes in a Set, and the province/prefecture codes apart. */
function load() {
  if (counties) return;
  const table = JSON.parse(fs.readFileSync(FILE, 'utf8')) as Record<string, string>;
  const c = new Set<string>();
  const h = new Set<string>();
  for (const code of Object.keys(table)) {
    if (!/^[1-9]\d{5}$/.test(code)) throw new Error(`GB/T 2260 table ${FILE}: bad code ${JSON.stringify(code)}`);
    // XX0000 is a province, XXXX00 a prefecture (or a municipality's summary): never an ID's issuing unit.
    (code.endsWith('00') ? h : c).add(code);
  }
  // A truncated or emptied file must not make every ID number invalid (or valid) quietly.
  if (c.size < 3000) throw new Error(`GB/T 2260 table ${FILE}: only ${c.size} county-level codes`);
  [counties, higher] = [c, h];
}

/** True when `code` is a county-level GB/T 2260 code, current or former. */
export function isRegionCode(code: string): boolean {
  load();
  return counties!.has(code);
}

/** Why a six-digit region code cannot start an ID number, or null when it can. Chinese first, English beside. */
export function regionCodeProblem(code: string): string | null {
  if (isRegionCode(code)) return null;
  if (higher!.has(code)) {
    return `地区码 ${code} 是省级或地级代码，身份证号的前六位应为县级代码 · region code ${code} is a province- or prefecture-level code; an ID number starts with the county-level code that issued it (GB/T 2260)`;
  }
  return `地区码 ${code} 不存在 · region code ${code} does not exist in GB/T 2260 (current or former county-level codes)`;
}

/** How many county-level codes the table holds (for docs and tests). */
export function regionCodeCount(): number {
  load();
  return counties!.size;
}
