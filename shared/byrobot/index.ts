export {
  type AttemptInfo,
  ByrobotClient,
  type ByrobotClientOptions,
  type CreateTaskInput,
  type Customer,
  type DoneCallFilters,
  type GetTasksParams,
  type ImportParams,
  type ImportProgress,
  MAX_DONE_CALLS_PAGE,
  MAX_IMPORT_BATCH,
  MAX_NOT_DIALED_PAGE,
  MAX_TASKS_PAGE,
  MAX_UNCALLBACK_PAGE,
  type QueryDoneParams,
  type QueryUnCallBackParams,
  type RequestOptions,
} from './client.ts';
export * from './enums.ts';
export * from './errors.ts';
export type * from './models.ts';
export { parseDurationSeconds, parseProperties } from './models.ts';
export * from './retry.ts';
export { computeSignature, signRequest } from './signing.ts';
