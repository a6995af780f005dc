// Reference data that comes with the migrations: districts (the chart of accounts lives with the ledger).
export { listDistricts, districtExists } from './service';
export type { District } from './service';
export { referenceRoutes } from './routes';
