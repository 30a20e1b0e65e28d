import { AccountTables1764316800000 } from './migrations/1764316800000-account-tables';

/** The account service's own migrations, in order (the event store's run first). */
export const accountMigrations = [AccountTables1764316800000];
