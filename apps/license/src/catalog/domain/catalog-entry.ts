/** What the catalog says about a SKU: the types the deciders hold, apart from loading the file. */

export const terms = ['1y', 'perpetual'] as const;
export type Term = (typeof terms)[number];

export interface CatalogEntry {
  sku: string;
  product: string;
  unit: string;
  /** `1y` runs from activation; `perpetual` never expires. */
  term: Term;
  /** Seats one unit of quantity grants. */
  seatsPerQuantity: number;
}
