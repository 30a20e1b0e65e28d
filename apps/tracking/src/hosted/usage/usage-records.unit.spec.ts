import { denseHistory } from './usage-history';
import { hourlyUpsert, seatsAt } from './usage-records';

const hour = (h: number) => new Date(Date.UTC(2026, 11, 1, h));

describe('seatsAt', () => {
  const grants = [
    { seats: 2, expiresAt: '2026-12-01T12:00:00.000Z' },
    { seats: 3, expiresAt: null },
  ];
  it('sums the grants whose term has not ended, and none once revoked', () => {
    expect(seatsAt(grants, hour(11))).toBe(5);
    expect(seatsAt(grants, hour(12))).toBe(3);
    expect(seatsAt(grants, hour(11), true)).toBe(0);
  });
});

describe('hourlyUpsert', () => {
  it('merges the changes of one hour: greatest peak, denials added, the last level last', () => {
    const pair = { licenseId: '7f0c7c5e-6b8a-4d7e-9a63-0d2f2b8d1a11', product: 'web-twain' };
    const statement = hourlyUpsert([
      { ...pair, at: new Date('2026-12-01T10:05:00Z'), seatsBefore: 0, seatsAfter: 1, denied: 0 },
      { ...pair, at: new Date('2026-12-01T10:06:00Z'), seatsBefore: 1, seatsAfter: 2, denied: 0 },
      { ...pair, at: new Date('2026-12-01T10:07:00Z'), seatsBefore: 2, seatsAfter: 2, denied: 1 },
      { ...pair, at: new Date('2026-12-01T10:08:00Z'), seatsBefore: 2, seatsAfter: 1, denied: 0 },
      { ...pair, at: new Date('2026-12-01T11:00:00Z'), seatsBefore: 1, seatsAfter: 0, denied: 0 },
    ]);
    expect(JSON.parse(statement!.params[0] as string)).toEqual([
      { ...rowOf(pair), hour: '2026-12-01T10:00:00.000Z', peak: 2, denied: 1, last: 1 },
      { ...rowOf(pair), hour: '2026-12-01T11:00:00.000Z', peak: 1, denied: 0, last: 0 },
    ]);
    expect(hourlyUpsert([])).toBeNull();
  });
  const rowOf = (pair: { licenseId: string; product: string }) => ({
    license_id: pair.licenseId,
    product: pair.product,
  });
});

describe('denseHistory', () => {
  it('gives every hour, an hour without a row at the level the one before ended on', () => {
    const rows = [
      { hour: hour(10), peak: 3, denied: 2, last: 1 },
      { hour: hour(13), peak: 4, denied: 0, last: 0 },
    ];
    expect(denseHistory(rows, { hour: hour(8), peak: 5, denied: 0, last: 2 }, hour(9), hour(14))).toEqual([
      { hour: hour(9).toISOString(), peakSeatsInUse: 2, denied: 0 },
      { hour: hour(10).toISOString(), peakSeatsInUse: 3, denied: 2 },
      { hour: hour(11).toISOString(), peakSeatsInUse: 1, denied: 0 },
      { hour: hour(12).toISOString(), peakSeatsInUse: 1, denied: 0 },
      { hour: hour(13).toISOString(), peakSeatsInUse: 4, denied: 0 },
      { hour: hour(14).toISOString(), peakSeatsInUse: 0, denied: 0 },
    ]);
    expect(denseHistory([], undefined, hour(9), hour(9))).toEqual([
      { hour: hour(9).toISOString(), peakSeatsInUse: 0, denied: 0 },
    ]);
  });
});
