import { DateTime, IANAZone } from 'luxon';
import { NO_HOLIDAYS, isIsoDate, type DayEnd, type HolidaySource } from './holidays';

export type { DayEnd, HolidaySource } from './holidays';

export interface BusinessCalendarOptions {
  /** IANA zone name, e.g. `Europe/Berlin`. Business days, day end and holidays are local to it. */
  timeZone: string;
  /** When a business day ends (local wall-clock time), e.g. `{ hour: 17, minute: 0 }`. */
  dayEnd: DayEnd;
  /** Holidays besides Saturday and Sunday; none when left out. */
  holidays?: HolidaySource;
}

/** Days searched for the next business day before the calendar gives up (a source naming every day). */
const MAX_SEARCH_DAYS = 366;
/** Day ends kept (about 27 years of days); the cache starts again when full. */
const MAX_CACHED_DAY_ENDS = 10_000;

/**
 * Business days for purchase-order deadlines: Monday to Friday, less the holidays of its source, in
 * one IANA time zone. Pure: the time is passed in.
 *
 * `dueBy(receivedAt)`:
 * - the effective receipt day is the local day of receipt when that is a business day and receipt
 *   came before its day end, otherwise the next business day;
 * - the PO is due at the day end (local wall-clock time) of the first business day after it, as a
 *   UTC instant. So with a 17:00 day end, Monday 09:00 is due Tuesday 17:00, Friday 17:00 (or any
 *   time at the weekend) Tuesday 17:00.
 *
 * Day end is wall-clock time whatever the UTC offset of that day (17:00 is 17:00 across DST). Where
 * the day end does not exist on a day (it falls in a spring-forward gap, e.g. 02:30 on the night DST
 * starts) it moves forward by the length of the gap (02:30 becomes 03:30 local), as luxon resolves
 * it. Where it exists twice (02:30 on the night DST ends in Europe/Berlin) it is the earlier of the
 * two instants, the first time the clock shows it. "Before the day end" compares instants with that
 * resolved day end. (With Monday to Friday business days and a day end after 03:00 none of this
 * arises in zones that change on Sundays, such as the US and EU ones.)
 *
 * Holiday dates are looked up once per year and day ends once per day, both cached; `dueBy` itself
 * is a few date steps.
 */
export class BusinessCalendar {
  readonly timeZone: string;
  readonly dayEnd: DayEnd;
  readonly holidays: HolidaySource;
  private readonly holidaysByYear = new Map<number, ReadonlySet<string>>();
  private readonly dayEnds = new Map<number, number>();

  constructor(options: BusinessCalendarOptions) {
    if (!IANAZone.isValidZone(options.timeZone)) {
      throw new RangeError(
        `unknown time zone "${options.timeZone}" (expected an IANA name such as Europe/Berlin)`,
      );
    }
    const { hour, minute } = options.dayEnd;
    if (
      !Number.isInteger(hour) ||
      !Number.isInteger(minute) ||
      hour < 0 ||
      hour > 23 ||
      minute < 0 ||
      minute > 59
    ) {
      throw new RangeError(`day end must be hour 0..23 and minute 0..59, got ${hour}:${minute}`);
    }
    if (hour === 0 && minute === 0) throw new RangeError('day end must be after 00:00');
    this.timeZone = options.timeZone;
    this.dayEnd = Object.freeze({ hour, minute });
    this.holidays = options.holidays ?? NO_HOLIDAYS;
  }

  /** When a PO received at `receivedAt` is due: day end of the business day after the effective receipt day. */
  dueBy(receivedAt: Date): Date {
    return new Date(
      this.dayEndMillis(this.nextBusinessDayNumber(this.effectiveReceiptDayNumber(receivedAt))),
    );
  }

  /**
   * The local date (`YYYY-MM-DD`) a receipt counts for: its own day when that is a business day and
   * receipt came before the day end, else the next business day.
   */
  effectiveReceiptDay(receivedAt: Date): string {
    return isoOf(this.effectiveReceiptDayNumber(receivedAt));
  }

  /** The day end of a local date (`YYYY-MM-DD`) as a UTC instant. */
  dayEndAt(localDate: string): Date {
    return new Date(this.dayEndMillis(dayNumberOf(localDate)));
  }

  /** Whether a local date (`YYYY-MM-DD`) is a business day: Monday to Friday and no holiday. */
  isBusinessDay(localDate: string): boolean {
    return this.isBusinessDayNumber(dayNumberOf(localDate));
  }

  /** Whether a local date (`YYYY-MM-DD`) is one of the source's holidays (whatever its weekday). */
  isHoliday(localDate: string): boolean {
    dayNumberOf(localDate);
    return this.holidaysOf(Number(localDate.slice(0, 4))).has(localDate);
  }

  /** The first business day strictly after a local date (`YYYY-MM-DD`). */
  nextBusinessDay(localDate: string): string {
    return isoOf(this.nextBusinessDayNumber(dayNumberOf(localDate)));
  }

  private effectiveReceiptDayNumber(receivedAt: Date): number {
    const millis = receivedAt.getTime();
    if (!Number.isFinite(millis)) throw new RangeError('receivedAt is not a valid date');
    const local = DateTime.fromMillis(millis, { zone: this.timeZone });
    const day = Date.UTC(local.year, local.month - 1, local.day) / DAY_MS;
    if (this.isBusinessDayNumber(day) && millis < this.dayEndMillis(day)) return day;
    return this.nextBusinessDayNumber(day);
  }

  private nextBusinessDayNumber(day: number): number {
    for (let next = day + 1; next <= day + MAX_SEARCH_DAYS; next++) {
      if (this.isBusinessDayNumber(next)) return next;
    }
    throw new Error(
      `no business day within ${MAX_SEARCH_DAYS} days after ${isoOf(day)} (${this.holidays.description})`,
    );
  }

  private isBusinessDayNumber(day: number): boolean {
    // 1970-01-01, day 0, was a Thursday: (day + 4) % 7 is 0 on Sundays and 6 on Saturdays.
    const weekday = (((day + 4) % 7) + 7) % 7;
    if (weekday === 0 || weekday === 6) return false;
    const iso = isoOf(day);
    return !this.holidaysOf(Number(iso.slice(0, 4))).has(iso);
  }

  private dayEndMillis(day: number): number {
    let millis = this.dayEnds.get(day);
    if (millis === undefined) {
      const date = new Date(day * DAY_MS);
      const local = DateTime.fromObject(
        {
          year: date.getUTCFullYear(),
          month: date.getUTCMonth() + 1,
          day: date.getUTCDate(),
          hour: this.dayEnd.hour,
          minute: this.dayEnd.minute,
        },
        { zone: this.timeZone },
      );
      // One instant normally, two when the clocks went back over it (take the first), and the
      // moved-forward one when it falls in a gap.
      millis = Math.min(...local.getPossibleOffsets().map((candidate) => candidate.toMillis()));
      if (this.dayEnds.size >= MAX_CACHED_DAY_ENDS) this.dayEnds.clear();
      this.dayEnds.set(day, millis);
    }
    return millis;
  }

  private holidaysOf(year: number): ReadonlySet<string> {
    let dates = this.holidaysByYear.get(year);
    if (dates === undefined) {
      const prefix = `${year}-`;
      const found = new Set<string>();
      for (const source of [year - 1, year, year + 1]) {
        for (const date of this.holidays.holidayDates(source, this.dayEnd)) {
          if (date.startsWith(prefix)) found.add(date);
        }
      }
      dates = found;
      this.holidaysByYear.set(year, dates);
    }
    return dates;
  }
}

const DAY_MS = 86_400_000;

/** A local date `YYYY-MM-DD` as a day number (days since 1970-01-01), after checking it is one. */
function dayNumberOf(localDate: string): number {
  if (!isIsoDate(localDate)) throw new RangeError(`"${localDate}" is not a date YYYY-MM-DD`);
  return Date.parse(`${localDate}T00:00:00Z`) / DAY_MS;
}

/** A day number as `YYYY-MM-DD` (years 0000..9999; other years have no such form). */
function isoOf(day: number): string {
  const iso = new Date(day * DAY_MS).toISOString();
  if (iso.length !== 24) throw new RangeError(`day ${day} is outside the years 0000..9999`);
  return iso.slice(0, 10);
}
