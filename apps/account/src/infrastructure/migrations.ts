import { AccountTables1764316800000 } from './migrations/1764316800000-account-tables';
import { RefreshTokens1767225600000 } from './migrations/1767225600000-refresh-tokens';

/** The account service's own migrations, in order (the event store's run first). */
export const accountMigrations = [AccountTables1764316800000, RefreshTokens1767225600000];
