// npm run docs:access: rewrites the role × endpoint table in README.md from the routes themselves.
import fs from 'node:fs';
import pino from 'pino';
import { createApp } from '../app';
import { loadConfig } from '../platform/config';
import { createKnex } from '../platform/db';
import { registeredRoutes } from '../http/route';
import { renderAccessTable, replaceAccessTable } from '../http/access-table';

// Building the app registers every route; nothing here connects to a database.
createApp({ config: loadConfig({ ...process.env, DATA_DIR: '/tmp/warmth-docs', AUDIT_SECRET: 'x'.repeat(16), DATA_KEY: '0'.repeat(64) }), db: createKnex('postgres://unused@127.0.0.1:1/none'), log: pino({ level: 'silent' }) });
fs.writeFileSync('README.md', replaceAccessTable(fs.readFileSync('README.md', 'utf8'), renderAccessTable(registeredRoutes())));
console.log(`README.md: ${registeredRoutes().length} endpoints in the access table`);
process.exit(0);
