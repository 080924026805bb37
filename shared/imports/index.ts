export { type ChunkOptions, chunkRows, splitForByrobot } from './chunk.ts';
export {
  applyMapping,
  type ImportMapping,
  ImportMappingSchema,
  type MappedPayload,
  readPath,
} from './mapping.ts';
export { maskPhone, maskPhonesInText } from './mask.ts';
export { normalizePhone, type PhoneResult } from './phone.ts';
export {
  LIMITS,
  type PreparedImport,
  type PreparedRow,
  type PrepareOptions,
  prepareImport,
  type RowProblem,
} from './prepare.ts';
