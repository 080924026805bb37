import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from 'aws-lambda';
import { lambdaContext } from './events.ts';

type Store = Map<string | symbol, unknown>;
const REQUEST_ID = Symbol.for('_AWS_LAMBDA_REQUEST_ID');

/**
 * What Lambda's runtime provides as `awslambda.InvokeStore` where one environment serves concurrent
 * invocations (Managed Instances, AWS_LAMBDA_MAX_CONCURRENCY): a context per invocation. Powertools'
 * Logger and Metrics keep their per-request keys there. Locally this server is the runtime, so it
 * installs one over AsyncLocalStorage; a store someone created earlier (the AWS SDK makes a
 * single-context one on first use) would share one context between concurrent requests.
 */
class LocalInvokeStore {
  readonly #als = new AsyncLocalStorage<Store>();
  getContext = () => this.#als.getStore();
  hasContext = () => this.#als.getStore() !== undefined;
  get = <T>(key: string | symbol) => this.#als.getStore()?.get(key) as T | undefined;
  set = (key: string | symbol, value: unknown) => {
    const store = this.#als.getStore();
    if (!store) throw new Error('no invocation context');
    store.set(key, value);
  };
  run = <T>(context: Record<string | symbol, unknown>, fn: () => T): T =>
    this.#als.run(new Map(Object.getOwnPropertySymbols(context).map((k) => [k, context[k]])), fn);
  getRequestId = () => (this.get<string>(REQUEST_ID) ?? '-') as string;
  getXRayTraceId = () => undefined;
  getTenantId = () => undefined;
}

const store = new LocalInvokeStore();

/**
 * Runs one local invocation of the function `name`, with a Lambda context of its own and in an
 * invocation context of its own, as Lambda's runtime does for concurrent invocations, so two requests
 * served at once no longer overwrite each other's function name and request id on the one shared Logger.
 */
export function inInvocation<T>(name: string, fn: (context: Context) => Promise<T>): Promise<T> {
  const context = lambdaContext(name);
  process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '64';
  const g = globalThis as { awslambda?: { InvokeStore?: unknown } };
  g.awslambda ??= {};
  g.awslambda.InvokeStore = store;
  return store.run({ [REQUEST_ID]: context.awsRequestId }, () => fn(context));
}
