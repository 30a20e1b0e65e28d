import { TrackingTables1765000000000 } from './migrations/1765000000000-tracking-tables';

/** The hosted tracking server's own migrations, in order (the event store's run first). */
export const trackingMigrations = [TrackingTables1765000000000];
