import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createApp } from '../../src/app';
import type { Config } from '../../src/platform/config';
import { testService } from './env';

/** A second app on the test database with its own config overrides (e.g. low rate limits), on its own port. */
export async function appWith(overrides: Partial<Config>) {
  const ctx = testService().ctx;
  const app = createApp({ ...ctx, config: { ...ctx.config, ...overrides }, log: pino({ level: 'silent' }) });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`, close: () => server.close() };
}
