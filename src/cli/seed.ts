// npm run seed: loads the demo data into the configured database (once; a second run does nothing).
import { loadConfig } from '../platform/config';
import { startService } from '../server';
import { seedDemoData } from '../../seeds';

const config = { ...loadConfig(), port: 0, demoData: false };
const service = await startService(config);
await seedDemoData(service.ctx);
console.log('demo data loaded (see README, "Demo users")');
await service.stop();
