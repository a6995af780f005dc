import { startTestService, stopTestService } from './support/env';

// One service on one real PostgreSQL for the whole run; each test file makes the users and funds it needs.
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(180_000);
    await startTestService();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await stopTestService();
  },
};
