import { InvokeStore } from '@aws/lambda-invoke-store';

/** InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID, which the package exports only as a type. */
const REQUEST_ID = Symbol.for('_AWS_LAMBDA_REQUEST_ID');

let store: ReturnType<typeof InvokeStore.getInstanceAsync> | undefined;

/**
 * Runs one local invocation in a context of its own, as Lambda's runtime does where one environment
 * serves concurrent invocations (Managed Instances: AWS_LAMBDA_MAX_CONCURRENCY and the runtime's
 * InvokeStore). Powertools' Logger and Metrics keep their per-request keys in that store, so two
 * requests served at once locally no longer overwrite each other's function name and request id
 * on the one shared Logger.
 */
export async function inInvocation<T>(requestId: string, fn: () => Promise<T>): Promise<T> {
  process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '64';
  store ??= InvokeStore.getInstanceAsync(true);
  const s = await store;
  return s.run({ [REQUEST_ID]: requestId }, fn);
}
