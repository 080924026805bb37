// npm run docs: regenerates the documents (and the China-only phone metadata) derived from code.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { openApiDocument } from '../shared/api/openapi.ts';
import { renderEventDocs } from './event-docs.ts';
import { PHONE_METADATA_PATH, renderPhoneMetadata } from './phone-metadata.ts';

const files = renderEventDocs();
files.set('docs/openapi.json', `${JSON.stringify(openApiDocument(), null, 2)}\n`);
files.set(PHONE_METADATA_PATH, renderPhoneMetadata());
for (const [path, text] of files) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  console.log(`wrote ${path}`);
}
