import { invalidFields } from './validation';

/**
 * The contract's money is a decimal string with up to 4 decimals; sums are exact in units of
 * 1/10,000 (bigint), never floats.
 */
const SCALE = 4;

function toUnits(amount: string): bigint {
  const [whole = '0', fraction = ''] = amount.split('.');
  return BigInt(whole) * 10n ** BigInt(SCALE) + BigInt(fraction.padEnd(SCALE, '0') || '0');
}

function fromUnits(units: bigint, decimals: number): string {
  const text = units.toString().padStart(SCALE + 1, '0');
  const whole = text.slice(0, -SCALE);
  const fraction = text.slice(-SCALE, text.length - SCALE + Math.max(decimals, 0));
  return decimals > 0 ? `${whole}.${fraction.padEnd(decimals, '0')}` : whole;
}

/** Σ quantity × unitPrice, written with as many decimals as the most precise unit price (at least 2 if any has). */
export function lineTotal(lines: readonly { quantity: number; unitPrice: string }[]): string {
  let sum = 0n;
  let decimals = 0;
  for (const line of lines) {
    sum += toUnits(line.unitPrice) * BigInt(line.quantity);
    decimals = Math.max(decimals, line.unitPrice.split('.')[1]?.length ?? 0);
  }
  return fromUnits(sum, decimals);
}

/** Whether two money strings are the same amount ("2498" and "2498.00" are). */
export const sameAmount = (a: string, b: string): boolean => toUnits(a) === toUnits(b);

/** 400 on `total` unless it is Σ quantity × unitPrice of the lines (the check every channel makes). */
export function assertTotalOfLines(body: {
  total: string;
  items: readonly { quantity: number; unitPrice: string }[];
}): void {
  const expected = lineTotal(body.items);
  if (!sameAmount(body.total, expected)) {
    throw invalidFields([
      { field: 'total', message: `must equal the sum of quantity × unitPrice (${expected})` },
    ]);
  }
}
