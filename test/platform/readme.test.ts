import { expect } from 'chai';
import fs from 'node:fs';
import { registeredRoutes } from '../../src/http/route';
import { renderAccessTable, replaceAccessTable } from '../../src/http/access-table';

describe('README', () => {
  it('its role × endpoint table is the one the routes enforce (npm run docs:access rewrites it)', () => {
    const readme = fs.readFileSync('README.md', 'utf8');
    expect(replaceAccessTable(readme, renderAccessTable(registeredRoutes()))).to.equal(readme);
  });

  it('shows the two commands and every configuration variable the service reads', () => {
    const readme = fs.readFileSync('README.md', 'utf8');
    expect(readme).to.include('npm install && npm start');
    expect(readme).to.include('npm test');
    const config = fs.readFileSync('src/platform/config.ts', 'utf8');
    for (const [, name] of config.matchAll(/^\s+([A-Z][A-Z0-9_]+): Joi\./gm)) expect(readme, name).to.include(`\`${name}\``);
  });
});
