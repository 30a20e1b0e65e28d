import type { OpenAPIObject } from '@nestjs/swagger';
import { addLinks, type OperationLink } from '@otl/platform';

const op = (method: string) => `LicensesController_${method}`;
const desk = (method: string) => `DeskController_${method}`;
const DESK_TARGETS = ['detail', 'document', 'approve', 'reject', 'refund'];

/** Where an answer names a licence id, and the operations that take it. */
const LICENSE_SOURCES: [from: string, status: number, pointer: string, to: string[], description: string][] =
  [
    ['generate', 201, '/licenseId', ['detail', 'activate', 'file', 'usage'], 'The licence just generated.'],
    ['list', 200, '/0/licenseId', ['detail', 'activate', 'file', 'usage'], 'The newest licence.'],
    ['activate', 200, '/licenseId', ['detail', 'file', 'usage'], 'The licence just activated.'],
  ];

/** How the app walks the API: items → generate → detail / activate → file, usage. */
export const PORTAL_LINKS: OperationLink[] = [
  {
    from: op('items'),
    status: 200,
    to: op('generate'),
    requestBody: { itemIds: ['$response.body#/0/itemId'] },
    description: 'Generate a licence for the first listed item.',
  },
  ...LICENSE_SOURCES.flatMap(([from, status, pointer, targets, description]) =>
    targets.map((to) => ({
      from: op(from),
      status,
      to: op(to),
      parameters: { id: `$response.body#${pointer}` },
      description,
    })),
  ),
  ...DESK_TARGETS.map((to) => ({
    from: desk('list'),
    status: 200,
    to: desk(to),
    parameters: { id: '$response.body#/purchaseOrders/0/purchaseOrderId' },
    description: 'The first purchase order of the queue.',
  })),
];

export const withPortalLinks = (document: OpenAPIObject): OpenAPIObject => addLinks(document, PORTAL_LINKS);
