import { Ajv } from 'ajv';

/** Ajv knows no formats by itself; `uuid` as ajv-formats defines it, so eventId's format is checked. */
const UUID = /^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;

/** A validator for one of the event JSON Schemas (draft-07, as docs/events/*.json are written). */
export const compileEventSchema = (schema: object, options: { strict?: boolean } = {}) =>
  new Ajv({ strict: options.strict ?? false, strictTypes: false }).addFormat('uuid', UUID).compile(schema);
