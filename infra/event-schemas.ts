import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Keywords newer than draft-04 that have no draft-04 spelling; dropped (see docs/deploy.md). */
const DROPPED = new Set(['$schema', '$id', 'examples', 'propertyNames', '$comment', 'readOnly', 'writeOnly']);

/**
 * Rewrites a draft-07 schema (docs/events/*.json, generated from the catalogue) into draft-04, the
 * only JSON Schema dialect `AWS::EventSchemas::Schema` accepts (`Type: JSONSchemaDraft4`):
 * `const: x` → `enum: [x]`; numeric `exclusiveMinimum/Maximum` → `minimum/maximum` with the boolean
 * flag; `$defs` → `definitions` (and its `$ref`s); `examples`, `propertyNames`, `$id`, `$comment`
 * dropped. Validation of the events themselves stays in the catalogue's draft-07 schemas.
 */
export function toDraft4(node: Json): Json {
  if (Array.isArray(node)) return node.map(toDraft4);
  if (node === null || typeof node !== 'object') return node;
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED.has(key)) continue;
    if (key === 'const') out.enum = [value];
    else if ((key === 'exclusiveMinimum' || key === 'exclusiveMaximum') && typeof value === 'number') {
      out[key === 'exclusiveMinimum' ? 'minimum' : 'maximum'] = value;
      out[key] = true;
    } else if (key === '$defs') out.definitions = toDraft4(value);
    else if (key === '$ref' && typeof value === 'string')
      out.$ref = value.replace('#/$defs/', '#/definitions/');
    // `properties` maps names to schemas: a property called e.g. "examples" must survive.
    else if (key === 'properties' && value && typeof value === 'object' && !Array.isArray(value))
      out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toDraft4(v)]));
    else out[key] = toDraft4(value);
  }
  return out;
}

export interface RegistrySchema {
  /** e.g. `byrobot.bridge@TaskCompleted`, the name EventBridge's discovery would give it. */
  name: string;
  detailType: string;
  /** The registry content: the whole EventBridge event, `detail` being the catalogue's schema. */
  content: string;
}

/**
 * One registry schema per docs/events/*.json: an envelope of the EventBridge event (source,
 * detail-type, …) around the detail schema, in draft-04.
 */
export function registrySchemas(dir: string, source: string): RegistrySchema[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const detail = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { [key: string]: Json };
      const detailType = typeof detail.title === 'string' ? detail.title : basename(file, '.json');
      const envelope = {
        $schema: 'http://json-schema.org/draft-04/schema#',
        title: detailType,
        description: detail.description ?? `${detailType} (${file})`,
        type: 'object',
        required: ['detail-type', 'source', 'detail'],
        properties: {
          version: { type: 'string' },
          id: { type: 'string' },
          'detail-type': { type: 'string', enum: [detailType] },
          source: { type: 'string', enum: [source] },
          account: { type: 'string' },
          time: { type: 'string', format: 'date-time' },
          region: { type: 'string' },
          resources: { type: 'array', items: { type: 'string' } },
          detail: toDraft4(detail),
        },
      };
      return {
        name: `${source}@${detailType.replace(/[^A-Za-z0-9]/g, '')}`,
        detailType,
        content: JSON.stringify(envelope),
      };
    });
}
