import { ConfigError, EnvReader } from '@otl/platform';
import { configProblems } from '@otl/testing';
import { businessCalendarFrom, readBusinessCalendar, readBusinessCalendarConfig } from './config';

function read(source: Record<string, string | undefined>) {
  return readBusinessCalendarConfig(new EnvReader(source));
}

function problemsOf(source: Record<string, string | undefined>): string[] {
  return configProblems(() => read(source));
}

describe('readBusinessCalendarConfig', () => {
  it('defaults to UTC, 17:00 and no holidays', () => {
    expect(read({})).toEqual({
      timeZone: 'UTC',
      dayEnd: { hour: 17, minute: 0 },
      holidayRegions: [],
      extraHolidays: [],
    });
  });

  it('takes blank values as unset', () => {
    expect(read({ PO_TIME_ZONE: ' ', PO_BUSINESS_DAY_END: '', PO_HOLIDAYS: '   ' })).toEqual(read({}));
  });

  it('reads a zone, a day end, region codes and extra dates', () => {
    expect(
      read({
        PO_TIME_ZONE: 'Europe/Berlin',
        PO_BUSINESS_DAY_END: '16:30',
        PO_HOLIDAYS: ' de-by , 2026-12-31,US,2026-12-24,, DE-BY,2026-12-24, gb-eng ',
      }),
    ).toEqual({
      timeZone: 'Europe/Berlin',
      dayEnd: { hour: 16, minute: 30 },
      holidayRegions: ['DE-BY', 'US', 'GB-ENG'],
      extraHolidays: ['2026-12-24', '2026-12-31'],
    });
  });

  it.each(['America/New_York', 'Asia/Kolkata', 'Australia/Sydney', 'Etc/GMT+5', 'UTC'])(
    'accepts the zone %s',
    (zone) => {
      expect(read({ PO_TIME_ZONE: zone }).timeZone).toBe(zone);
    },
  );

  it.each(['Mars/Olympus', '+05:00', 'CEST', 'Berlin'])(
    'rejects the zone %s, saying what it expects',
    (zone) => {
      expect(problemsOf({ PO_TIME_ZONE: zone })).toEqual([
        `PO_TIME_ZONE must be an IANA time zone name such as UTC, Europe/Berlin or America/New_York, got "${zone}"`,
      ]);
    },
  );

  it.each([
    ['00:01', { hour: 0, minute: 1 }],
    ['09:05', { hour: 9, minute: 5 }],
    ['23:59', { hour: 23, minute: 59 }],
  ])('accepts the day end %s', (text, dayEnd) => {
    expect(read({ PO_BUSINESS_DAY_END: text }).dayEnd).toEqual(dayEnd);
  });

  it.each(['5pm', '9:00', '17:0', '24:00', '17:60', '00:00', '17:00:00', '17.00'])(
    'rejects the day end %s, saying what it expects',
    (text) => {
      expect(problemsOf({ PO_BUSINESS_DAY_END: text })).toEqual([
        `PO_BUSINESS_DAY_END must be the local time a business day ends, HH:MM on a 24-hour clock from 00:01 to 23:59 (e.g. 17:00), got "${text}"`,
      ]);
    },
  );

  it.each([
    ['XX', /^PO_HOLIDAYS: "XX": date-holidays knows no country "XX" \(expected an ISO 3166-1 alpha-2 code/],
    ['US-ZZ', /^PO_HOLIDAYS: "US-ZZ": date-holidays knows no state "ZZ" of US \(known: AL, AK, .*CA,/],
    ['DE-BY-ZZ', /^PO_HOLIDAYS: "DE-BY-ZZ": date-holidays knows no region "ZZ" of DE-BY \(known: A, /],
    ['holidays', /^PO_HOLIDAYS: "holidays" is not a holiday region code \(country\[-state\[-region\]\]/],
    ['2026-02-29', /^PO_HOLIDAYS: "2026-02-29" is not a real date \(expected YYYY-MM-DD, e.g. 2026-12-24\)$/],
    ['2026-13-01', /^PO_HOLIDAYS: "2026-13-01" is not a real date/],
    ['26-12-24', /^PO_HOLIDAYS: "26-12-24" is not a holiday region code/],
  ])('rejects the holiday entry %s, naming it', (entry, message) => {
    const problems = problemsOf({ PO_HOLIDAYS: `US,${entry},2026-12-24` });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('says in full what an entry may be', () => {
    expect(problemsOf({ PO_HOLIDAYS: 'XX' })).toEqual([
      'PO_HOLIDAYS: "XX": date-holidays knows no country "XX" (expected an ISO 3166-1 alpha-2 code such as US, DE, GB); ' +
        'each entry is a holiday region code such as US, DE-BY, GB-ENG or a date YYYY-MM-DD',
    ]);
  });

  it('reports every problem of the three variables at once', () => {
    const problems = problemsOf({
      PO_TIME_ZONE: 'Nowhere',
      PO_BUSINESS_DAY_END: '25:00',
      PO_HOLIDAYS: 'QQ,2026-02-30',
    });
    expect(problems).toHaveLength(4);
    expect(problems.map((problem) => problem.split(' ')[0])).toEqual([
      'PO_TIME_ZONE',
      'PO_BUSINESS_DAY_END',
      'PO_HOLIDAYS:',
      'PO_HOLIDAYS:',
    ]);
  });

  it('leaves the reader’s other problems to env.done()', () => {
    const env = new EnvReader({ PO_TIME_ZONE: 'Europe/Berlin' });
    env.string('SOMETHING_REQUIRED');
    expect(readBusinessCalendarConfig(env).timeZone).toBe('Europe/Berlin');
    expect(() => env.done()).toThrow(/SOMETHING_REQUIRED is required/);
  });
});

describe('businessCalendarFrom', () => {
  it('builds the calendar the variables describe', () => {
    const calendar = businessCalendarFrom(
      read({ PO_TIME_ZONE: 'Europe/Berlin', PO_BUSINESS_DAY_END: '16:00', PO_HOLIDAYS: 'DE-BY,2026-12-24' }),
    );
    expect(calendar.timeZone).toBe('Europe/Berlin');
    expect(calendar.dayEnd).toEqual({ hour: 16, minute: 0 });
    expect(calendar.isHoliday('2026-01-06')).toBe(true); // Heilige Drei Könige, Bavaria only
    expect(calendar.isHoliday('2026-12-24')).toBe(true); // the extra date
    expect(calendar.holidays.description).toBe('public holidays of DE-BY; extra holidays 2026-12-24');
    // Wednesday 23 Dec at the day end: Thursday 24 (extra), Friday 25 and Saturday 26 are holidays, so the
    // effective receipt day is Monday 28 and the PO is due Tuesday 29.
    expect(calendar.dueBy(new Date('2026-12-23T16:00:00+01:00')).toISOString()).toBe(
      new Date('2026-12-29T16:00:00+01:00').toISOString(),
    );
    expect(calendar.dueBy(new Date('2026-01-05T15:59:00+01:00')).toISOString()).toBe(
      new Date('2026-01-07T16:00:00+01:00').toISOString(),
    );
  });

  it('builds a weekends-only UTC calendar from the defaults', () => {
    const calendar = businessCalendarFrom(read({}));
    expect(calendar.holidays.description).toBe('no holidays');
    expect(calendar.dueBy(new Date('2026-12-31T16:59:59Z')).toISOString()).toBe('2027-01-01T17:00:00.000Z');
  });
});

describe('readBusinessCalendar', () => {
  it('reads and builds in one step, with a summary for the start-up log', () => {
    const { calendar, calendarSummary } = readBusinessCalendar(
      new EnvReader({ PO_TIME_ZONE: 'America/New_York', PO_BUSINESS_DAY_END: '09:05', PO_HOLIDAYS: 'US' }),
    );
    expect(calendarSummary).toEqual({
      timeZone: 'America/New_York',
      dayEnd: '09:05',
      holidays: 'public holidays of US',
    });
    expect(calendar.dueBy(new Date('2026-01-16T09:04:00-05:00')).toISOString()).toBe(
      new Date('2026-01-20T09:05:00-05:00').toISOString(),
    );
  });

  it('throws the same ConfigError as readBusinessCalendarConfig', () => {
    expect(() => readBusinessCalendar(new EnvReader({ PO_HOLIDAYS: 'XX' }))).toThrow(ConfigError);
  });
});
