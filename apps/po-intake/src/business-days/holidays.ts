import Holidays from 'date-holidays';
import { DateTime } from 'luxon';

/** The wall-clock time at which a business day ends, in the calendar's time zone. */
export interface DayEnd {
  hour: number;
  minute: number;
}

/**
 * Where a calendar learns its holidays. Dates are local calendar dates (`YYYY-MM-DD`) in the
 * calendar's time zone; which zone that is does not matter to a source, since holiday rules are
 * written in local wall-clock time.
 */
export interface HolidaySource {
  /**
   * The dates on which one of the holidays of `year` is in force at `dayEnd` on that date. A holiday
   * of `year` may spill into the year before or after (one that starts on the eve, or lasts days): the
   * calendar asks for the neighbouring years too and keeps the dates of the year it needs.
   */
  holidayDates(year: number, dayEnd: DayEnd): Iterable<string>;
  /** For logs and messages, e.g. `public holidays of DE-BY`. */
  readonly description: string;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `value` is a real calendar date written `YYYY-MM-DD` (2026-02-29 is not). */
export function isIsoDate(value: string): boolean {
  if (!ISO_DATE.test(value)) return false;
  const parsed = DateTime.fromISO(value, { zone: 'utc' });
  return parsed.isValid && parsed.toISODate() === value;
}

/** The outcome of looking a `country[-state[-region]]` code up in date-holidays. */
export type HolidayRegionLookup =
  | { ok: true; country: string; state?: string; region?: string; code: string }
  | { ok: false; problem: string };

const REGION_CODE = /^[A-Za-z]{2}(-[A-Za-z0-9]+){0,2}$/;

function findKey(known: Record<string, string> | undefined, wanted: string): string | undefined {
  return Object.keys(known ?? {}).find((key) => key.toUpperCase() === wanted.toUpperCase());
}

function listed(known: Record<string, string> | undefined): string {
  const keys = Object.keys(known ?? {});
  return keys.length === 0 ? 'none' : keys.join(', ');
}

/** Looks up a holiday region code such as `US`, `DE-BY` or `GB-ENG` (case-insensitive). */
export function lookUpHolidayRegion(code: string): HolidayRegionLookup {
  if (!REGION_CODE.test(code)) {
    return {
      ok: false,
      problem: `"${code}" is not a holiday region code (country[-state[-region]], e.g. US, DE-BY, GB-ENG)`,
    };
  }
  const [countryPart, statePart, regionPart] = code.split('-') as [string, string?, string?];
  const library = new Holidays();
  const country = findKey(library.getCountries(), countryPart);
  if (country === undefined) {
    return {
      ok: false,
      problem: `"${code}": date-holidays knows no country "${countryPart}" (expected an ISO 3166-1 alpha-2 code such as US, DE, GB)`,
    };
  }
  if (statePart === undefined) return { ok: true, country, code: country };
  const states = library.getStates(country);
  const state = findKey(states, statePart);
  if (state === undefined) {
    return {
      ok: false,
      problem: `"${code}": date-holidays knows no state "${statePart}" of ${country} (known: ${listed(states)})`,
    };
  }
  if (regionPart === undefined) return { ok: true, country, state, code: `${country}-${state}` };
  const regions = library.getRegions(country, state);
  const region = findKey(regions, regionPart);
  if (region === undefined) {
    return {
      ok: false,
      problem: `"${code}": date-holidays knows no region "${regionPart}" of ${country}-${state} (known: ${listed(regions)})`,
    };
  }
  return { ok: true, country, state, region, code: `${country}-${state}-${region}` };
}

/**
 * The public holidays of a date-holidays region, i.e. those of type `public` only.
 *
 * Type `bank` is left out on purpose: date-holidays uses it for days on which banks close but other
 * businesses work (DE: Heiligabend and Silvester from 14:00; AU-NSW: the August Bank Holiday), while
 * the days the UK calls bank holidays are typed `public` there and so are counted. `optional`,
 * `school` and `observance` days are working days. Observed substitutes (US 2026-07-03 for the 4th
 * falling on a Saturday, GB Boxing Day substitutes) are `public` and counted.
 *
 * A date counts as a holiday when the holiday is in force at the calendar's day end on it: a public
 * holiday from 12:00 or 13:00 (Christmas Eve in IS, GT) counts with a 17:00 day end, and a holiday
 * that begins at sunset on the eve (date-holidays' `-0600` dates for Islamic holidays) does not make
 * the eve a holiday. Rules are evaluated in floating wall-clock time (date-holidays in its `UTC`
 * zone, which has no DST), so the result is the same in whatever zone the calendar runs and needs no
 * time zone data of date-holidays' own.
 */
export class PublicHolidays implements HolidaySource {
  readonly description: string;
  private readonly library: Holidays;

  constructor(code: string) {
    const found = lookUpHolidayRegion(code);
    if (!found.ok) throw new RangeError(found.problem);
    this.library =
      found.state === undefined
        ? new Holidays(found.country, { timezone: 'UTC' })
        : found.region === undefined
          ? new Holidays(found.country, found.state, { timezone: 'UTC' })
          : new Holidays(found.country, found.state, found.region, { timezone: 'UTC' });
    this.description = `public holidays of ${found.code}`;
  }

  *holidayDates(year: number, dayEnd: DayEnd): Iterable<string> {
    for (const holiday of this.library.getHolidays(year)) {
      if (holiday.type !== 'public') continue;
      // Wall-clock start and end, as date-holidays computed them in its DST-free UTC zone.
      const start = holiday.start.getTime();
      const end = holiday.end.getTime();
      let day = DateTime.fromMillis(start, { zone: 'utc' }).startOf('day');
      while (day.toMillis() < end) {
        const closing = day.set({ hour: dayEnd.hour, minute: dayEnd.minute }).toMillis();
        if (closing >= start && closing < end) yield day.toISODate() as string;
        day = day.plus({ days: 1 });
      }
    }
  }
}

/** Explicit extra holidays: local calendar dates `YYYY-MM-DD`. */
export class ExtraHolidays implements HolidaySource {
  readonly description: string;
  private readonly byYear = new Map<number, string[]>();

  constructor(dates: Iterable<string>) {
    const all = [...new Set(dates)].sort();
    for (const date of all) {
      if (!isIsoDate(date)) throw new RangeError(`"${date}" is not a date YYYY-MM-DD`);
      const year = Number(date.slice(0, 4));
      this.byYear.set(year, [...(this.byYear.get(year) ?? []), date]);
    }
    this.description = all.length === 0 ? 'no extra holidays' : `extra holidays ${all.join(', ')}`;
  }

  holidayDates(year: number): Iterable<string> {
    return this.byYear.get(year) ?? [];
  }
}

/** No holidays at all: only Saturdays and Sundays are closed. */
export const NO_HOLIDAYS: HolidaySource = { description: 'no holidays', holidayDates: () => [] };

/** Every date that any of `sources` names. */
export function combineHolidays(...sources: HolidaySource[]): HolidaySource {
  if (sources.length === 0) return NO_HOLIDAYS;
  if (sources.length === 1) return sources[0] as HolidaySource;
  return {
    description: sources.map((source) => source.description).join('; '),
    *holidayDates(year: number, dayEnd: DayEnd): Iterable<string> {
      for (const source of sources) yield* source.holidayDates(year, dayEnd);
    },
  };
}
