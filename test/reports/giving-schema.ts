// The vendored 360Giving 1.4 package and grant schemas with their closed codelists, as 360Giving's Data Quality
// Tool checks them (shared by the open-data tests).
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

// The vendored 360Giving 1.4 schemas (JSON Schema 2020-12) and the codelists the export uses.
const DIR = 'src/reports/360giving';
// The files name draft 2020-12 as http://json-schema.org/draft/2020-12/schema; Ajv knows that draft by its https:// id.
const readJson = (f: string) => {
  const schema = JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8'));
  expect(schema.$schema).to.equal('http://json-schema.org/draft/2020-12/schema');
  return { ...schema, $schema: 'https://json-schema.org/draft/2020-12/schema' };
};
const codelist = (file: string) =>
  new Set(fs.readFileSync(path.join(DIR, 'codelists', file), 'utf8').split(/\r?\n/).slice(1).filter(Boolean).map((l) => l.split(',')[0]!));
export const CODELISTS: Record<string, Set<string>> = Object.fromEntries(
  ['grantToIndividualsPurpose.csv', 'grantToIndividualsReason.csv', 'geoCodeType.csv', 'locationScope.csv'].map((f) => [f, codelist(f)]),
);
// Codelists the schema also spells out as an enum (currency, country) need no file of their own.
const ENUMERATED = new Set(['currency.csv', 'countryCode.csv']);

/** The package schema, with the grant schema it refers to, formats, and the closed codelists checked as 360Giving's own tool does. */
export function packageValidator(): ValidateFunction {
  const ajv = new Ajv2020({ allErrors: true, strictTypes: false });
  addFormats(ajv);
  ajv.addKeyword({
    keyword: 'codelist',
    schemaType: 'string',
    validate: (file: string, data: unknown) => ENUMERATED.has(file) || (file in CODELISTS && typeof data === 'string' && CODELISTS[file]!.has(data)),
  });
  ajv.addKeyword({ keyword: 'openCodelist' });
  ajv.addKeyword({ keyword: 'rollUp' });
  ajv.addSchema(readJson('360-giving-schema.json'));
  return ajv.compile(readJson('360-giving-package-schema.json'));
}

