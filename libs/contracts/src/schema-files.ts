import { cloudEventSchema } from './cloud-event';
import { publicEventTypes } from './topics';
import { eventDataSchemas } from './validation';

/** The JSON Schema documents written to libs/contracts/schemas for consumers outside TypeScript. */
export function schemaFiles(): { fileName: string; content: string }[] {
  const documents = [
    { fileName: 'cloudevent.json', schema: cloudEventSchema },
    ...publicEventTypes.map((type) => ({ fileName: `${type}.json`, schema: eventDataSchemas[type] })),
  ];
  return documents.map(({ fileName, schema }) => ({
    fileName,
    content: `${JSON.stringify(schema, null, 2)}\n`,
  }));
}
