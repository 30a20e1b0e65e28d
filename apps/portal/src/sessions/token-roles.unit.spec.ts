import { isStaff, staffRolesOf } from './token-roles';

const token = (payload: unknown) =>
  ['{"alg":"EdDSA"}', JSON.stringify(payload)]
    .map((part) => Buffer.from(part).toString('base64url'))
    .concat('c2lnbmF0dXJl')
    .join('.');

describe('staff roles of an access token', () => {
  it('reads the staff roles of the roles claim, in a fixed order', () => {
    expect(staffRolesOf(token({ sub: 'a', roles: ['sales-manager'] }))).toEqual(['sales-manager']);
    expect(staffRolesOf(token({ roles: ['sales-manager', 'sales-rep'] }))).toEqual([
      'sales-rep',
      'sales-manager',
    ]);
  });

  it('drops roles it does not know, and a customer has none', () => {
    expect(staffRolesOf(token({ roles: ['admin', 'sales-rep'] }))).toEqual(['sales-rep']);
    expect(staffRolesOf(token({ roles: [] }))).toEqual([]);
    expect(staffRolesOf(token({ sub: 'a' }))).toEqual([]);
    expect(staffRolesOf(token({ roles: 'sales-manager' }))).toEqual([]);
  });

  it('gives no roles for a token that does not decode', () => {
    expect(staffRolesOf('')).toEqual([]);
    expect(staffRolesOf('a.%%%.c')).toEqual([]);
    expect(staffRolesOf(`x.${Buffer.from('[1,2').toString('base64url')}.y`)).toEqual([]);
  });

  it('says who is staff', () => {
    expect(isStaff(['sales-rep'])).toBe(true);
    expect(isStaff([])).toBe(false);
    expect(isStaff(['admin'])).toBe(false);
  });
});
