import { readAccessTokenVerifierConfig, type AccessTokenVerifierConfig } from '@otl/auth';
import { EnvReader, readCommonConfig, type CommonConfig } from '@otl/platform';
import { readBusinessCalendar } from './business-days/config';

/** Works out when a purchase order received at a given instant is due. */
export interface DueDates {
  dueBy(receivedAt: Date): Date;
}

export interface PoIntakeConfig extends CommonConfig {
  accessTokens: AccessTokenVerifierConfig;
  /** The desk's business days (PO_TIME_ZONE, PO_BUSINESS_DAY_END, PO_HOLIDAYS), for `dueBy`. */
  calendar: DueDates;
  /** What the calendar was built from, for the start-up log. */
  calendarSummary: Record<string, unknown>;
  retryAfterSeconds: number;
}

export const SERVICE_NAME = 'po-intake';
export const DEFAULT_PORT = 3102;

export function loadConfig(source: Record<string, string | undefined> = process.env): PoIntakeConfig {
  const env = new EnvReader(source);
  const common = readCommonConfig(env, SERVICE_NAME, DEFAULT_PORT);
  const accessTokens = readAccessTokenVerifierConfig(env);
  const calendar = readBusinessCalendar(env);
  const retryAfterSeconds = env.int('RETRY_AFTER_SECONDS', { default: 5, min: 1, max: 3600 });
  env.done();
  return { ...common, accessTokens, ...calendar, retryAfterSeconds };
}
