/** The license service's event streams; every use case that locks several locks them in this order:
 * purchase, then its items, then their licences. */
export const streams = {
  item: (itemId: string) => `license-item-${itemId}`,
  license: (licenseId: string) => `license-${licenseId}`,
  purchase: (purchaseId: string) => `license-purchase-${purchaseId}`,
};
