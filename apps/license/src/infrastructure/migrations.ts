import { LicenseTables1764403200000 } from './migrations/1764403200000-license-tables';

/** The license service's own migrations, in order (the event store's run first). */
export const licenseMigrations = [LicenseTables1764403200000];
