import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { detailJsonSchema, EVENT_CATALOGUE } from '../../../dev/event-catalogue.ts';
import { DETAIL_TYPES } from '../../../shared/events/builders.ts';

import { compileEventSchema } from '../../support/json-schema.ts';

const compile = (schema: object) => compileEventSchema(schema, { strict: true });

describe('Event catalogue', () => {
  it('defines every detail type once', () => {
    expect(EVENT_CATALOGUE.map((e) => e.detailType).sort()).toEqual(Object.values(DETAIL_TYPES).sort());
    expect(new Set(EVENT_CATALOGUE.map((e) => e.slug)).size).toBe(EVENT_CATALOGUE.length);
  });

  it.each(EVENT_CATALOGUE.map((e) => [e.detailType, e] as const))(
    '%s: the example is valid, in valibot and JSON Schema',
    (_t, entry) => {
      expect(v.safeParse(entry.schema, entry.example).issues).toBeUndefined();
      const validate = compile(detailJsonSchema(entry));
      expect(validate(entry.example), JSON.stringify(validate.errors)).toBe(true);
    },
  );

  it.each(EVENT_CATALOGUE.map((e) => [e.detailType, e] as const))(
    '%s: the JSON Schema rejects a detail without eventId or with a zone-less time',
    (_t, entry) => {
      const validate = compile(detailJsonSchema(entry));
      const { eventId: _omit, ...withoutId } = entry.example;
      expect(validate(withoutId)).toBe(false);
      expect(validate({ ...entry.example, detectedAt: '2026-11-23 10:00:00' })).toBe(false);
    },
  );

  it.each(EVENT_CATALOGUE.map((e) => [e.detailType, e] as const))(
    '%s: the JSON Schema checks eventId is a UUID',
    (_t, entry) => {
      const schema = detailJsonSchema(entry) as { properties: { eventId: { format?: string } } };
      expect(schema.properties.eventId.format).toBe('uuid');
      const validate = compile(schema);
      expect(validate(entry.example)).toBe(true);
      for (const bad of [
        'not-a-uuid',
        '3f0b6d1e8a2c4e7b9d5f1a2b3c4d5e6f',
        `${String(entry.example.eventId)}x`,
        '',
      ])
        expect(validate({ ...entry.example, eventId: bad }), bad).toBe(false);
    },
  );
});
