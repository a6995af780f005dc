// For the knex CLI (`npx knex migrate:status` with DATABASE_URL set); the service migrates itself at start.
import { createKnex } from './src/platform/db';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('knexfile: set DATABASE_URL (the embedded server prints its URL at start)');
export default createKnex(url).client.config;
