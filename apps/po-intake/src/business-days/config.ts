import { ConfigError, type EnvReader } from '@otl/platform';
import { IANAZone } from 'luxon';
import { BusinessCalendar } from './business-calendar';
import {
  ExtraHolidays,
  PublicHolidays,
  combineHolidays,
  isIsoDate,
  lookUpHolidayRegion,
  type DayEnd,
} from './holidays';

/** The business calendar's settings, as read from PO_TIME_ZONE, PO_BUSINESS_DAY_END and PO_HOLIDAYS. */
export interface BusinessCalendarConfig {
  /** IANA zone name (PO_TIME_ZONE, default UTC). */
  timeZone: string;
  /** Local wall-clock end of a business day (PO_BUSINESS_DAY_END, default 17:00). */
  dayEnd: DayEnd;
  /** date-holidays region codes in their canonical spelling, e.g. ['US', 'DE-BY'] (from PO_HOLIDAYS). */
  holidayRegions: string[];
  /** Extra holiday dates YYYY-MM-DD, local to timeZone, sorted (from PO_HOLIDAYS). */
  extraHolidays: string[];
}

const DAY_END = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE_LIKE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Reads PO_TIME_ZONE, PO_BUSINESS_DAY_END and PO_HOLIDAYS. Throws one ConfigError listing every
 * problem of these three variables; the reader's own problems (of other variables) are still the
 * caller's `env.done()`'s to report, so call this after `env.done()` to report those first.
 *
 * PO_HOLIDAYS is a comma-separated list (default empty: no holidays but weekends) of date-holidays
 * region codes (`US`, `DE-BY`, `GB-ENG`: country[-state[-region]], counting their `public` holidays)
 * and extra dates (`2026-12-24`).
 */
export function readBusinessCalendarConfig(env: EnvReader): BusinessCalendarConfig {
  const problems: string[] = [];

  const timeZone = env.string('PO_TIME_ZONE', { default: 'UTC' });
  if (!IANAZone.isValidZone(timeZone)) {
    problems.push(
      `PO_TIME_ZONE must be an IANA time zone name such as UTC, Europe/Berlin or America/New_York, got "${timeZone}"`,
    );
  }

  const dayEndText = env.string('PO_BUSINESS_DAY_END', { default: '17:00' });
  const match = DAY_END.exec(dayEndText);
  const dayEnd = match ? { hour: Number(match[1]), minute: Number(match[2]) } : { hour: 17, minute: 0 };
  if (!match || (dayEnd.hour === 0 && dayEnd.minute === 0)) {
    problems.push(
      `PO_BUSINESS_DAY_END must be the local time a business day ends, HH:MM on a 24-hour clock from 00:01 to 23:59 (e.g. 17:00), got "${dayEndText}"`,
    );
  }

  const holidayRegions: string[] = [];
  const extraHolidays: string[] = [];
  const entries = env
    .string('PO_HOLIDAYS', { default: '' })
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    if (DATE_LIKE.test(entry)) {
      if (isIsoDate(entry)) extraHolidays.push(entry);
      else problems.push(`PO_HOLIDAYS: "${entry}" is not a real date (expected YYYY-MM-DD, e.g. 2026-12-24)`);
      continue;
    }
    const region = lookUpHolidayRegion(entry);
    if (region.ok) holidayRegions.push(region.code);
    else {
      problems.push(
        `PO_HOLIDAYS: ${region.problem}; each entry is a holiday region code such as US, DE-BY, GB-ENG or a date YYYY-MM-DD`,
      );
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    timeZone,
    dayEnd,
    holidayRegions: [...new Set(holidayRegions)],
    extraHolidays: [...new Set(extraHolidays)].sort(),
  };
}

/** The calendar a config describes: weekends, the regions' public holidays and the extra dates. */
export function businessCalendarFrom(config: BusinessCalendarConfig): BusinessCalendar {
  const regions = config.holidayRegions.map((code) => new PublicHolidays(code));
  const extra = config.extraHolidays.length > 0 ? [new ExtraHolidays(config.extraHolidays)] : [];
  return new BusinessCalendar({
    timeZone: config.timeZone,
    dayEnd: config.dayEnd,
    holidays: combineHolidays(...regions, ...extra),
  });
}

/** What a calendar was built from, for the start-up log (a type, so it is a `Record<string, unknown>`). */
export type BusinessCalendarSummary = {
  timeZone: string;
  /** HH:MM */
  dayEnd: string;
  holidays: string;
};

/**
 * Reads the three variables and builds the calendar in one step (throws a ConfigError as
 * `readBusinessCalendarConfig` does), with a summary for the start-up log.
 */
export function readBusinessCalendar(env: EnvReader): {
  calendar: BusinessCalendar;
  calendarSummary: BusinessCalendarSummary;
} {
  const config = readBusinessCalendarConfig(env);
  const calendar = businessCalendarFrom(config);
  const pad = (value: number) => String(value).padStart(2, '0');
  return {
    calendar,
    calendarSummary: {
      timeZone: config.timeZone,
      dayEnd: `${pad(config.dayEnd.hour)}:${pad(config.dayEnd.minute)}`,
      holidays: calendar.holidays.description,
    },
  };
}
