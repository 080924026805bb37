import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderEventDocs } from '../../../scripts/event-docs.ts';

describe('Generated event docs', () => {
  it.each([...renderEventDocs()].map(([path, text]) => [path, text]))(
    '%s matches the catalogue (run `npm run docs`)',
    (path, text) => {
      expect(readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8')).toBe(text);
    },
  );
});
