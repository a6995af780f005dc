// For the knex CLI, compiled (`npm run build`, then `npx knex --knexfile dist/knexfile.js migrate:status` with
// DATABASE_URL set: the migrations are found beside it, in dist/migrations); the service migrates itself at start.
import { createKnex } from './src/platform/db';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('knexfile: set DATABASE_URL (the embedded server prints its URL at start)');
export default createKnex(url).client.config;
