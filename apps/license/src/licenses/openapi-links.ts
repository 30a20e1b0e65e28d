import { addLinks, type OperationLink } from '@otl/platform';
import type { OpenAPIObject } from '@nestjs/swagger';

const op = (method: string) => `LicensesController_${method}`;
const byLicenseId = (pointer: string) => ({ id: `$response.body#${pointer}` });

/** How the licence API is walked: items → generate → get / activate → file. */
export const LICENSE_LINKS: OperationLink[] = [
  {
    from: op('listItems'),
    status: 200,
    to: op('generate'),
    requestBody: { itemIds: ['$response.body#/0/itemId'] },
    description: 'Generate a licence for the first listed item.',
  },
  ...['get', 'activate', 'file'].map((to) => ({
    from: op('generate'),
    status: 201,
    to: op(to),
    parameters: byLicenseId('/licenseId'),
    description: 'The licence just generated.',
  })),
  ...['get', 'activate', 'file'].map((to) => ({
    from: op('list'),
    status: 200,
    to: op(to),
    parameters: byLicenseId('/0/licenseId'),
    description: 'The newest licence.',
  })),
  ...['get', 'file'].map((to) => ({
    from: op('activate'),
    status: 200,
    to: op(to),
    parameters: byLicenseId('/licenseId'),
    description: 'The licence just activated.',
  })),
];

export const withLicenseLinks = (document: OpenAPIObject): OpenAPIObject => addLinks(document, LICENSE_LINKS);
