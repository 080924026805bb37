/**
 * Every event's `schemaVersion`. Its own module: the event builders need it at run time, and
 * importing it from schemas.ts would put every event schema into each function that publishes.
 */
export const SCHEMA_VERSION = '1';
