import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderEventDocs } from '../../../scripts/event-docs.ts';
import { PHONE_METADATA_PATH, renderPhoneMetadata } from '../../../scripts/phone-metadata.ts';

describe('Generated event docs', () => {
  it.each([...renderEventDocs()])('%s matches the catalogue (run `npm run docs`)', (path, text) => {
    expect(readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8')).toBe(text);
  });
});

describe('Generated phone metadata', () => {
  it(`${PHONE_METADATA_PATH} is China's numbering plan from the installed libphonenumber-js metadata (run \`npm run docs\`)`, () => {
    expect(readFileSync(new URL(`../../../${PHONE_METADATA_PATH}`, import.meta.url), 'utf8')).toBe(
      renderPhoneMetadata(),
    );
  });
});
