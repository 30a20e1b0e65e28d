import { randomUUID } from 'node:crypto';

export { callJson as call, type JsonAnswer as Answer } from '@otl/testing';

/** Small but real documents of each accepted type (a valid PDF, a 1×1 PNG, a tiny JFIF JPEG). */
export const DOCUMENTS = {
  pdf: Buffer.from(
    '%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n' +
      'trailer <</Root 1 0 R>>\n%%EOF\n',
  ),
  png: Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
    'base64',
  ),
  jpeg: Buffer.from(
    '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////' +
      '////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=',
    'base64',
  ),
};

export const newPoNumber = () => `PO-${randomUUID().slice(0, 8).toUpperCase()}`;
export const newBuyer = () => `buyer.${randomUUID().slice(0, 8)}@example.com`;

/** A purchase order as sales tooling sends it. */
export function purchaseOrder(
  overrides: {
    poNumber?: string;
    email?: string;
    document?: { filename?: string; contentType?: string; content?: Buffer; contentBase64?: string };
  } = {},
) {
  const document = overrides.document ?? {};
  return {
    poNumber: overrides.poNumber ?? newPoNumber(),
    customer: { email: overrides.email ?? newBuyer(), name: 'Bea Buyer', company: 'Buyer GmbH' },
    items: [
      { sku: 'BARCODE-JS-DEVICE-1Y', quantity: 2, unitPrice: '1249.00' },
      { sku: 'WEBTWAIN-PRO-DOMAIN-1Y', quantity: 1, unitPrice: '899.00' },
    ],
    currency: 'EUR',
    total: '3397.00',
    document: {
      filename: document.filename ?? 'purchase-order.pdf',
      contentType: document.contentType ?? 'application/pdf',
      contentBase64: document.contentBase64 ?? (document.content ?? DOCUMENTS.pdf).toString('base64'),
    },
  };
}
