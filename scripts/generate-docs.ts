// npm run docs: regenerates the documents that are derived from code.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { renderEventDocs } from './event-docs.ts';

for (const [path, text] of renderEventDocs()) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  console.log(`wrote ${path}`);
}
