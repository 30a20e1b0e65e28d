import Holidays from 'date-holidays';
import { DateTime } from 'luxon';
import { BusinessCalendar } from './business-calendar';
import {
  ExtraHolidays,
  NO_HOLIDAYS,
  PublicHolidays,
  combineHolidays,
  lookUpHolidayRegion,
  type DayEnd,
  type HolidaySource,
} from './holidays';

const FIVE_PM: DayEnd = { hour: 17, minute: 0 };

/** Due instant for a receipt, both written as ISO strings with their offsets; compared as UTC. */
function dueOf(calendar: BusinessCalendar, receivedAt: string): string {
  return calendar.dueBy(new Date(receivedAt)).toISOString();
}

function utc(instant: string): string {
  return new Date(instant).toISOString();
}

const newYork = new BusinessCalendar({
  timeZone: 'America/New_York',
  dayEnd: FIVE_PM,
  holidays: new PublicHolidays('US'),
});
const berlin = new BusinessCalendar({
  timeZone: 'Europe/Berlin',
  dayEnd: FIVE_PM,
  holidays: new PublicHolidays('DE'),
});

describe('BusinessCalendar.dueBy in America/New_York with US public holidays, day end 17:00', () => {
  it.each([
    ['Monday 09:00', '2026-01-12T09:00:00-05:00', '2026-01-13T17:00:00-05:00'],
    ['Monday 06:00 (before the day starts)', '2026-01-12T06:00:00-05:00', '2026-01-13T17:00:00-05:00'],
    ['Monday 16:59:59.999', '2026-01-12T16:59:59.999-05:00', '2026-01-13T17:00:00-05:00'],
    ['Monday 17:00 exactly', '2026-01-12T17:00:00-05:00', '2026-01-14T17:00:00-05:00'],
    ['Friday 16:59', '2026-01-09T16:59:00-05:00', '2026-01-12T17:00:00-05:00'],
    ['Friday 17:00', '2026-01-09T17:00:00-05:00', '2026-01-13T17:00:00-05:00'],
    ['Saturday', '2026-01-10T11:00:00-05:00', '2026-01-13T17:00:00-05:00'],
    ['Sunday 23:59', '2026-01-11T23:59:00-05:00', '2026-01-13T17:00:00-05:00'],
    ['Monday 03:00 UTC, still Sunday 22:00 in New York', '2026-01-12T03:00:00Z', '2026-01-13T17:00:00-05:00'],
    [
      'the Friday before a holiday Monday (Martin Luther King Jr. Day, 19 Jan)',
      '2026-01-16T10:00:00-05:00',
      '2026-01-20T17:00:00-05:00',
    ],
    ['the holiday Monday itself', '2026-01-19T10:00:00-05:00', '2026-01-21T17:00:00-05:00'],
    [
      'the Thursday before the observed Independence Day (Friday 3 Jul, the 4th is a Saturday)',
      '2026-07-02T10:00:00-04:00',
      '2026-07-06T17:00:00-04:00',
    ],
    [
      'Christmas Eve (type optional: a business day), due after Christmas Day',
      '2026-12-24T10:00:00-05:00',
      '2026-12-28T17:00:00-05:00',
    ],
    // DST starts Sunday 8 Mar 2026, 02:00 EST -> 03:00 EDT.
    ['just before DST starts', '2026-03-08T01:59:00-05:00', '2026-03-10T17:00:00-04:00'],
    ['just after DST starts', '2026-03-08T03:01:00-04:00', '2026-03-10T17:00:00-04:00'],
    [
      'a Friday (EST) due the Monday after DST started (EDT)',
      '2026-03-06T10:00:00-05:00',
      '2026-03-09T17:00:00-04:00',
    ],
    // DST ends Sunday 1 Nov 2026, 02:00 EDT -> 01:00 EST.
    ['just before DST ends', '2026-11-01T01:59:00-04:00', '2026-11-03T17:00:00-05:00'],
    ['just after DST ends (the second 01:01)', '2026-11-01T01:01:00-05:00', '2026-11-03T17:00:00-05:00'],
    [
      'a Friday (EDT) due the Monday after DST ended (EST)',
      '2026-10-30T10:00:00-04:00',
      '2026-11-02T17:00:00-05:00',
    ],
    ['31 December (Thursday; 1 January a holiday)', '2026-12-31T10:00:00-05:00', '2027-01-04T17:00:00-05:00'],
    ['31 December after the day end', '2026-12-31T17:30:00-05:00', '2027-01-05T17:00:00-05:00'],
  ])('%s: received %s, due %s', (_case, receivedAt, expected) => {
    expect(dueOf(newYork, receivedAt)).toBe(utc(expected));
  });
});

describe('BusinessCalendar.dueBy in Europe/Berlin with DE public holidays, day end 17:00', () => {
  it.each([
    ['Monday 09:00', '2026-01-12T09:00:00+01:00', '2026-01-13T17:00:00+01:00'],
    ['Monday 06:00', '2026-01-12T06:00:00+01:00', '2026-01-13T17:00:00+01:00'],
    ['Monday 16:59:59 Berlin, written in UTC', '2026-01-12T15:59:59Z', '2026-01-13T17:00:00+01:00'],
    ['Monday 17:00 Berlin, written in UTC', '2026-01-12T16:00:00Z', '2026-01-14T17:00:00+01:00'],
    ['Friday 16:59', '2026-01-09T16:59:00+01:00', '2026-01-12T17:00:00+01:00'],
    ['Friday 17:00', '2026-01-09T17:00:00+01:00', '2026-01-13T17:00:00+01:00'],
    ['Saturday', '2026-01-10T11:00:00+01:00', '2026-01-13T17:00:00+01:00'],
    [
      'the Friday before a holiday Monday (Pfingstmontag, 25 May)',
      '2026-05-22T10:00:00+02:00',
      '2026-05-26T17:00:00+02:00',
    ],
    ['the holiday Monday itself', '2026-05-25T10:00:00+02:00', '2026-05-27T17:00:00+02:00'],
    [
      'Maundy Thursday: Good Friday, the weekend and Easter Monday are skipped',
      '2026-04-02T10:00:00+02:00',
      '2026-04-07T17:00:00+02:00',
    ],
    [
      'a holiday on a Saturday (3 Oct) moves nothing',
      '2026-10-02T10:00:00+02:00',
      '2026-10-05T17:00:00+02:00',
    ],
    [
      'Heiligabend (type bank, a business day): due after Christmas',
      '2026-12-24T10:00:00+01:00',
      '2026-12-28T17:00:00+01:00',
    ],
    // DST starts Sunday 29 Mar 2026, 02:00 CET -> 03:00 CEST.
    ['just before DST starts', '2026-03-29T01:59:00+01:00', '2026-03-31T17:00:00+02:00'],
    ['just after DST starts', '2026-03-29T03:01:00+02:00', '2026-03-31T17:00:00+02:00'],
    [
      'a Friday (CET) due the Monday after DST started (CEST)',
      '2026-03-27T10:00:00+01:00',
      '2026-03-30T17:00:00+02:00',
    ],
    // DST ends Sunday 25 Oct 2026, 03:00 CEST -> 02:00 CET.
    ['just before DST ends', '2026-10-25T02:59:00+02:00', '2026-10-27T17:00:00+01:00'],
    ['just after DST ends (the second 02:01)', '2026-10-25T02:01:00+01:00', '2026-10-27T17:00:00+01:00'],
    [
      'a Friday (CEST) due the Monday after DST ended (CET)',
      '2026-10-23T10:00:00+02:00',
      '2026-10-26T17:00:00+01:00',
    ],
    [
      '31 December (Thursday, Silvester is type bank; 1 January a holiday)',
      '2026-12-31T10:00:00+01:00',
      '2027-01-04T17:00:00+01:00',
    ],
    ['31 December after the day end', '2026-12-31T18:00:00+01:00', '2027-01-05T17:00:00+01:00'],
    [
      'Monday 4 Jan 2027 after the day end: 6 Jan is no holiday in DE as a whole',
      '2027-01-04T18:00:00+01:00',
      '2027-01-06T17:00:00+01:00',
    ],
  ])('%s: received %s, due %s', (_case, receivedAt, expected) => {
    expect(dueOf(berlin, receivedAt)).toBe(utc(expected));
  });

  it('counts a state’s own holidays: Heilige Drei Könige (6 Jan) in DE-BY', () => {
    const bavaria = new BusinessCalendar({
      timeZone: 'Europe/Berlin',
      dayEnd: FIVE_PM,
      holidays: new PublicHolidays('DE-BY'),
    });
    expect(dueOf(bavaria, '2027-01-04T18:00:00+01:00')).toBe(utc('2027-01-07T17:00:00+01:00'));
  });

  it('takes a day end with minutes: 16:30', () => {
    const calendar = new BusinessCalendar({ timeZone: 'Europe/Berlin', dayEnd: { hour: 16, minute: 30 } });
    expect(dueOf(calendar, '2026-06-15T16:29:59+02:00')).toBe(utc('2026-06-16T16:30:00+02:00'));
    expect(dueOf(calendar, '2026-06-15T16:30:00+02:00')).toBe(utc('2026-06-17T16:30:00+02:00'));
  });
});

describe('BusinessCalendar.dueBy in zones with non-hour offsets and southern DST', () => {
  const kolkata = new BusinessCalendar({
    timeZone: 'Asia/Kolkata',
    dayEnd: FIVE_PM,
    holidays: new PublicHolidays('IN'),
  });
  const sydney = new BusinessCalendar({
    timeZone: 'Australia/Sydney',
    dayEnd: FIVE_PM,
    holidays: new PublicHolidays('AU-NSW'),
  });

  it.each([
    ['Monday 09:00', '2026-01-12T09:00:00+05:30', '2026-01-13T17:00:00+05:30'],
    ['Monday 16:59:59 IST, written in UTC', '2026-01-12T11:29:59Z', '2026-01-13T17:00:00+05:30'],
    ['Monday 17:00 IST, written in UTC', '2026-01-12T11:30:00Z', '2026-01-14T17:00:00+05:30'],
    [
      'the Friday before Republic Day (Monday 26 Jan)',
      '2026-01-23T10:00:00+05:30',
      '2026-01-27T17:00:00+05:30',
    ],
    ['31 December (1 January is no holiday in IN)', '2026-12-31T10:00:00+05:30', '2027-01-01T17:00:00+05:30'],
  ])('Asia/Kolkata, IN: %s', (_case, receivedAt, expected) => {
    expect(dueOf(kolkata, receivedAt)).toBe(utc(expected));
  });

  it.each([
    [
      'Maundy Thursday (AEDT): Easter Friday to Monday are holidays, due Tuesday after DST ended (AEST)',
      '2026-04-02T10:00:00+11:00',
      '2026-04-07T17:00:00+10:00',
    ],
    // DST ends Sunday 5 Apr 2026, 03:00 AEDT -> 02:00 AEST (Easter Sunday; Easter Monday follows).
    ['just before DST ends', '2026-04-05T02:59:00+11:00', '2026-04-08T17:00:00+10:00'],
    ['just after DST ends', '2026-04-05T02:01:00+10:00', '2026-04-08T17:00:00+10:00'],
    // DST starts Sunday 4 Oct 2026, 02:00 AEST -> 03:00 AEDT; Monday 5 Oct is Labour Day in NSW.
    [
      'the Friday before Labour Day (AEST), due after DST started (AEDT)',
      '2026-10-02T10:00:00+10:00',
      '2026-10-06T17:00:00+11:00',
    ],
    ['just before DST starts', '2026-10-04T01:59:00+10:00', '2026-10-07T17:00:00+11:00'],
    ['just after DST starts', '2026-10-04T03:01:00+11:00', '2026-10-07T17:00:00+11:00'],
    ['31 December (Thursday; 1 January a holiday)', '2026-12-31T10:00:00+11:00', '2027-01-04T17:00:00+11:00'],
  ])('Australia/Sydney, AU-NSW: %s', (_case, receivedAt, expected) => {
    expect(dueOf(sydney, receivedAt)).toBe(utc(expected));
  });
});

describe('BusinessCalendar.dueBy where DST changes on a business day (Africa/Cairo, no holidays)', () => {
  // 2026: DST starts Friday 24 Apr at 00:00 (-> 01:00, +02:00 -> +03:00) and ends Thursday 29 Oct
  // at 24:00 (-> 23:00, +03:00 -> +02:00).
  const cairo = (dayEnd: DayEnd) => new BusinessCalendar({ timeZone: 'Africa/Cairo', dayEnd });

  it.each([
    ['due on the day DST starts', '2026-04-23T10:00:00+02:00', '2026-04-24T17:00:00+03:00'],
    [
      'due on the day DST ends (still +03:00 at 17:00)',
      '2026-10-28T10:00:00+03:00',
      '2026-10-29T17:00:00+03:00',
    ],
    ['due the day after DST ends', '2026-10-29T10:00:00+03:00', '2026-10-30T17:00:00+02:00'],
  ])('day end 17:00: %s', (_case, receivedAt, expected) => {
    expect(dueOf(cairo(FIVE_PM), receivedAt)).toBe(utc(expected));
  });

  it.each([
    [
      'a day end in the gap (00:30 on 24 Apr does not exist) moves forward to 01:30 +03:00',
      '2026-04-23T00:10:00+02:00',
      '2026-04-24T01:30:00+03:00',
    ],
    [
      'receipt at 01:10 on the gap day is before that moved day end, so the day counts',
      '2026-04-24T01:10:00+03:00',
      '2026-04-27T00:30:00+03:00',
    ],
    [
      'receipt at the moved day end does not count the day',
      '2026-04-24T01:30:00+03:00',
      '2026-04-28T00:30:00+03:00',
    ],
  ])('day end 00:30: %s', (_case, receivedAt, expected) => {
    expect(dueOf(cairo({ hour: 0, minute: 30 }), receivedAt)).toBe(utc(expected));
  });

  it.each([
    [
      'a day end that happens twice (23:30 on 29 Oct) is the first of the two',
      '2026-10-28T12:00:00+03:00',
      '2026-10-29T23:30:00+03:00',
    ],
    [
      'receipt before the first 23:30 counts the day',
      '2026-10-29T23:15:00+03:00',
      '2026-10-30T23:30:00+02:00',
    ],
    ['receipt after the first 23:30 does not', '2026-10-29T23:45:00+03:00', '2026-11-02T23:30:00+02:00'],
    ['nor does receipt in the repeated hour', '2026-10-29T23:15:00+02:00', '2026-11-02T23:30:00+02:00'],
  ])('day end 23:30: %s', (_case, receivedAt, expected) => {
    expect(dueOf(cairo({ hour: 23, minute: 30 }), receivedAt)).toBe(utc(expected));
  });
});

describe('BusinessCalendar with extra and no holidays', () => {
  it('counts 1 January as a business day without holidays (UTC)', () => {
    const calendar = new BusinessCalendar({ timeZone: 'UTC', dayEnd: FIVE_PM });
    expect(dueOf(calendar, '2026-01-01T10:00:00Z')).toBe('2026-01-02T17:00:00.000Z');
    expect(calendar.holidays).toBe(NO_HOLIDAYS);
  });

  it('skips extra dates, local to the calendar’s zone', () => {
    const calendar = new BusinessCalendar({
      timeZone: 'America/New_York',
      dayEnd: FIVE_PM,
      holidays: new ExtraHolidays(['2026-01-13']),
    });
    expect(dueOf(calendar, '2026-01-12T09:00:00-05:00')).toBe(utc('2026-01-14T17:00:00-05:00'));
    // 13 Jan 02:00 UTC is still 12 Jan in New York: received on Monday, Tuesday is the extra holiday.
    expect(dueOf(calendar, '2026-01-13T02:00:00Z')).toBe(utc('2026-01-15T17:00:00-05:00'));
  });

  it('joins a region’s holidays and extra dates', () => {
    const calendar = new BusinessCalendar({
      timeZone: 'Europe/Berlin',
      dayEnd: FIVE_PM,
      holidays: combineHolidays(new PublicHolidays('DE'), new ExtraHolidays(['2026-12-24', '2026-12-31'])),
    });
    expect(dueOf(calendar, '2026-12-23T10:00:00+01:00')).toBe(utc('2026-12-28T17:00:00+01:00'));
    expect(dueOf(calendar, '2026-12-30T10:00:00+01:00')).toBe(utc('2027-01-04T17:00:00+01:00'));
    expect(calendar.holidays.description).toBe(
      'public holidays of DE; extra holidays 2026-12-24, 2026-12-31',
    );
  });
});

describe('BusinessCalendar days', () => {
  it('tells business days, holidays and the next business day', () => {
    expect(newYork.isBusinessDay('2026-01-16')).toBe(true);
    expect(newYork.isBusinessDay('2026-01-17')).toBe(false);
    expect(newYork.isBusinessDay('2026-01-18')).toBe(false);
    expect(newYork.isBusinessDay('2026-01-19')).toBe(false);
    expect(newYork.isHoliday('2026-01-19')).toBe(true);
    expect(newYork.isHoliday('2026-07-04')).toBe(true);
    expect(newYork.isBusinessDay('2026-07-04')).toBe(false);
    expect(newYork.isHoliday('2026-01-17')).toBe(false);
    expect(newYork.nextBusinessDay('2026-01-16')).toBe('2026-01-20');
    expect(newYork.nextBusinessDay('2026-12-31')).toBe('2027-01-04');
  });

  it('tells the effective receipt day and the day end of a date', () => {
    expect(berlin.effectiveReceiptDay(new Date('2026-01-12T16:59:00+01:00'))).toBe('2026-01-12');
    expect(berlin.effectiveReceiptDay(new Date('2026-01-12T17:00:00+01:00'))).toBe('2026-01-13');
    expect(berlin.effectiveReceiptDay(new Date('2026-05-23T10:00:00+02:00'))).toBe('2026-05-26');
    expect(berlin.dayEndAt('2026-07-01').toISOString()).toBe(utc('2026-07-01T17:00:00+02:00'));
    expect(berlin.dayEndAt('2026-12-01').toISOString()).toBe(utc('2026-12-01T17:00:00+01:00'));
  });

  it('rejects what is not a date or not an instant', () => {
    expect(() => newYork.isBusinessDay('2026-02-29')).toThrow(/not a date YYYY-MM-DD/);
    expect(() => newYork.isHoliday('26-01-01')).toThrow(/not a date YYYY-MM-DD/);
    expect(() => newYork.nextBusinessDay('2026-1-1')).toThrow(/not a date YYYY-MM-DD/);
    expect(() => newYork.dueBy(new Date('not a date'))).toThrow(/receivedAt is not a valid date/);
  });

  it.each([
    [{ timeZone: 'Mars/Olympus', dayEnd: FIVE_PM }, /unknown time zone "Mars\/Olympus"/],
    [{ timeZone: 'UTC', dayEnd: { hour: 24, minute: 0 } }, /day end must be/],
    [{ timeZone: 'UTC', dayEnd: { hour: 17, minute: 60 } }, /day end must be/],
    [{ timeZone: 'UTC', dayEnd: { hour: 17, minute: 0.5 } }, /day end must be/],
    [{ timeZone: 'UTC', dayEnd: { hour: 0, minute: 0 } }, /after 00:00/],
  ])('refuses the options %j', (options, message) => {
    expect(() => new BusinessCalendar(options)).toThrow(message);
  });

  it('gives up, naming the source, when no business day comes within a year', () => {
    const everyDay: HolidaySource = {
      description: 'every day',
      *holidayDates(year: number) {
        for (let day = DateTime.utc(year, 1, 1); day.year === year; day = day.plus({ days: 1 })) {
          yield day.toISODate() as string;
        }
      },
    };
    const calendar = new BusinessCalendar({ timeZone: 'UTC', dayEnd: FIVE_PM, holidays: everyDay });
    expect(() => calendar.dueBy(new Date('2026-06-01T10:00:00Z'))).toThrow(
      'no business day within 366 days after 2026-06-01 (every day)',
    );
  });
});

describe('BusinessCalendar holiday cache', () => {
  function countingSource(dates: Record<number, string[]>) {
    const asked: number[] = [];
    const source: HolidaySource = {
      description: 'counted',
      holidayDates(year: number) {
        asked.push(year);
        return dates[year] ?? [];
      },
    };
    return { source, asked };
  }

  it('asks its source once per year (and the years either side), however often it is used', () => {
    const { source, asked } = countingSource({ 2026: ['2026-06-10'] });
    const calendar = new BusinessCalendar({ timeZone: 'UTC', dayEnd: FIVE_PM, holidays: source });
    for (let hour = 0; hour < 24 * 28; hour++) {
      calendar.dueBy(new Date(Date.UTC(2026, 5, 1, hour)));
    }
    expect(asked.sort()).toEqual([2025, 2026, 2027]);
    expect(dueOf(calendar, '2026-06-09T10:00:00Z')).toBe('2026-06-11T17:00:00.000Z');
  });

  it('keeps a date that a neighbouring year’s holiday spills into', () => {
    const { source } = countingSource({ 2027: ['2026-12-31', '2027-01-01'] });
    const calendar = new BusinessCalendar({ timeZone: 'UTC', dayEnd: FIVE_PM, holidays: source });
    expect(calendar.isHoliday('2026-12-31')).toBe(true);
    expect(dueOf(calendar, '2026-12-30T10:00:00Z')).toBe('2027-01-04T17:00:00.000Z');
  });
});

describe('holiday sources', () => {
  it('lists the US public holidays of 2026, with the observed 3 July and without optional Christmas Eve', () => {
    expect([...new PublicHolidays('US').holidayDates(2026, FIVE_PM)]).toEqual([
      '2026-01-01',
      '2026-01-19',
      '2026-02-16',
      '2026-05-25',
      '2026-06-19',
      '2026-07-03',
      '2026-07-04',
      '2026-09-07',
      '2026-10-12',
      '2026-11-11',
      '2026-11-26',
      '2026-12-25',
    ]);
  });

  it('lists the DE public holidays of 2026, without the bank half-days 24 and 31 December', () => {
    expect([...new PublicHolidays('DE').holidayDates(2026, FIVE_PM)]).toEqual([
      '2026-01-01',
      '2026-04-03',
      '2026-04-06',
      '2026-05-01',
      '2026-05-14',
      '2026-05-25',
      '2026-10-03',
      '2026-12-25',
      '2026-12-26',
    ]);
  });

  it('counts the English bank holidays (typed public) but not the NSW bank-only holiday', () => {
    const england = [...new PublicHolidays('GB-ENG').holidayDates(2026, FIVE_PM)];
    expect(england).toEqual(expect.arrayContaining(['2026-05-04', '2026-05-25', '2026-08-31', '2026-12-28']));
    expect([...new PublicHolidays('AU-NSW').holidayDates(2026, FIVE_PM)]).not.toContain('2026-08-03');
  });

  it('counts a holiday on the dates where it is in force at the day end', () => {
    // Iceland: Christmas Eve is a public holiday from 13:00.
    const iceland = new PublicHolidays('IS');
    expect([...iceland.holidayDates(2026, FIVE_PM)]).toContain('2026-12-24');
    expect([...iceland.holidayDates(2026, { hour: 12, minute: 0 })]).not.toContain('2026-12-24');
    // UAE: Eid al-Fitr 2026 runs from sunset on 19 March (18:00) for three days.
    const eid = [...new PublicHolidays('AE').holidayDates(2026, FIVE_PM)].filter((date) =>
      date.startsWith('2026-03-'),
    );
    expect(eid).toEqual(['2026-03-20', '2026-03-21', '2026-03-22']);
  });

  it('looks region codes up case-insensitively and names what it does not know', () => {
    expect(lookUpHolidayRegion('gb-eng')).toEqual({ ok: true, country: 'GB', state: 'ENG', code: 'GB-ENG' });
    expect(lookUpHolidayRegion('DE-BY-A')).toEqual({
      ok: true,
      country: 'DE',
      state: 'BY',
      region: 'A',
      code: 'DE-BY-A',
    });
    expect(lookUpHolidayRegion('XX')).toEqual({
      ok: false,
      problem: expect.stringContaining('no country "XX"'),
    });
    const state = lookUpHolidayRegion('US-ZZ');
    expect(state).toEqual({ ok: false, problem: expect.stringContaining('no state "ZZ" of US') });
    expect(state.ok || state.problem).toContain('CA');
    expect(lookUpHolidayRegion('DE-BY-ZZ')).toEqual({
      ok: false,
      problem: expect.stringContaining('no region "ZZ" of DE-BY'),
    });
    expect(lookUpHolidayRegion('U S')).toEqual({
      ok: false,
      problem: expect.stringContaining('not a holiday region code'),
    });
    expect(() => new PublicHolidays('XX')).toThrow(/no country "XX"/);
  });

  it('refuses an extra date that is not a real date', () => {
    expect(() => new ExtraHolidays(['2026-02-30'])).toThrow('"2026-02-30" is not a date YYYY-MM-DD');
  });
});

/** mulberry32: a small seeded PRNG, so every run checks the same instants. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('BusinessCalendar.dueBy properties over 2026-2027 (seeded random instants)', () => {
  const cases: Array<[string, string, DayEnd]> = [
    ['America/New_York', 'US', FIVE_PM],
    ['Europe/Berlin', 'DE', FIVE_PM],
    ['Asia/Kolkata', 'IN', { hour: 18, minute: 30 }],
    ['Australia/Sydney', 'AU-NSW', { hour: 9, minute: 15 }],
  ];

  it.each(cases)('%s with %s holidays, day end %j', (timeZone, code, dayEnd) => {
    const calendar = new BusinessCalendar({ timeZone, dayEnd, holidays: new PublicHolidays(code) });

    // An oracle built without the code under test: date-holidays' public dates read directly, and the
    // rule "due at the second business-day end after receipt".
    const [country, state] = code.split('-') as [string, string?];
    const library = state === undefined ? new Holidays(country) : new Holidays(country, state);
    const holidays = new Set(
      [2025, 2026, 2027, 2028]
        .flatMap((year) => library.getHolidays(year))
        .filter((holiday) => holiday.type === 'public')
        .map((holiday) => holiday.date.slice(0, 10)),
    );
    const isBusinessDate = (day: DateTime) => day.weekday <= 5 && !holidays.has(day.toISODate() as string);
    const expectedDue = (receivedAt: number): number => {
      const ends: number[] = [];
      let day = DateTime.fromMillis(receivedAt, { zone: timeZone }).startOf('day');
      while (ends.length < 2) {
        const end = day.set({ hour: dayEnd.hour, minute: dayEnd.minute }).toMillis();
        if (isBusinessDate(day) && end > receivedAt) ends.push(end);
        day = day.plus({ days: 1 });
      }
      return ends[1] as number;
    };

    const random = prng(20260101);
    const from = Date.parse('2026-01-01T00:00:00Z');
    const span = Date.parse('2028-01-01T00:00:00Z') - from;
    const failures: string[] = [];
    for (let sample = 0; sample < 2000; sample++) {
      const receivedAt = from + Math.floor(random() * span);
      const due = calendar.dueBy(new Date(receivedAt)).getTime();
      const local = DateTime.fromMillis(due, { zone: timeZone });
      const receivedDay = DateTime.fromMillis(receivedAt, { zone: timeZone }).toISODate() as string;
      const fail = (what: string) =>
        failures.push(`received ${new Date(receivedAt).toISOString()}, due ${local.toISO()}: ${what}`);

      if (due <= receivedAt) fail('not after receipt');
      if (
        local.hour !== dayEnd.hour ||
        local.minute !== dayEnd.minute ||
        local.second !== 0 ||
        local.millisecond !== 0
      ) {
        fail('not at the day end');
      }
      if (!isBusinessDate(local.startOf('day'))) fail('not on a business day');
      // Between the receipt day and the due day lies at most one business day (the effective receipt day).
      let between = 0;
      for (
        let day = DateTime.fromISO(receivedDay, { zone: 'utc' }).plus({ days: 1 });
        (day.toISODate() as string) < (local.toISODate() as string);
        day = day.plus({ days: 1 })
      ) {
        if (isBusinessDate(day)) between++;
      }
      if (between > 1) fail(`${between} business days between receipt and due day`);
      const expected = expectedDue(receivedAt);
      if (due !== expected) fail(`expected ${DateTime.fromMillis(expected, { zone: timeZone }).toISO()}`);
    }
    expect(failures.slice(0, 10)).toEqual([]);
  });
});
