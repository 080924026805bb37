import * as v from 'valibot';
import {
  ByrobotImportError,
  ByrobotTransportError,
  errorFromEnvelope,
  type TransportErrorKind,
} from './errors.ts';
import { ConcurrencyLimiter } from './limiter.ts';
import {
  type CallDetail,
  CallDetailSchema,
  type CallerLine,
  type Company,
  CompanySchema,
  type DoneCall,
  DoneCallItemSchema,
  type ImportBatchResult,
  ImportV2Schema,
  type NotDialedCustomer,
  NotDialedItemSchema,
  normalizeCallDetail,
  normalizeCallerLine,
  normalizeCompany,
  normalizeDoneCall,
  normalizeImportResult,
  normalizeNotDialed,
  normalizePage,
  normalizeRobot,
  normalizeTask,
  normalizeTaskDetail,
  type Page,
  PageSchema,
  PhoneSchema,
  type Robot,
  RobotSchema,
  type Task,
  type TaskDetail,
  TaskItemSchema,
} from './models.ts';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  type RetryPolicy,
  shouldRetry,
} from './retry.ts';
import { signRequest } from './signing.ts';

export interface ByrobotClientOptions {
  /** e.g. `https://api.byrobot.cn`; a path prefix is kept. */
  baseUrl: string;
  appKey: string;
  appSecret: string;
  /** Per attempt, from sending to the last byte of the answer. @default 10000 */
  timeoutMs?: number;
  /** @default { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5000 } */
  retry?: Partial<RetryPolicy>;
  /** Requests this client has in flight at most. @default 4 */
  maxInFlight?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** The clock used to sign requests. @default () => new Date() */
  now?: () => Date;
  /** @default Math.random */
  random?: () => number;
  /** Called after every attempt: for logs and metrics. Must not throw. */
  onAttempt?: (attempt: AttemptInfo) => void;
}

export interface AttemptInfo {
  endpoint: string;
  method: 'GET' | 'POST';
  attempt: number;
  durationMs: number;
  /** `ok`, byrobot's code as `code:412`, or a transport error kind. */
  outcome: 'ok' | `code:${number}` | TransportErrorKind;
  willRetry: boolean;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface GetTasksParams {
  companyId: number;
  pageNum?: number;
  /** 1–100. @default 10 (byrobot's own default) */
  pageSize?: number;
  taskName?: string;
  /** `yyyy-MM-dd` */
  createDate?: string;
  status?: number;
  /** Include deleted tasks. */
  needAll?: boolean;
}

export interface DoneCallFilters {
  durationLeft?: number;
  durationRight?: number;
  chatRoundLeft?: number;
  chatRoundRight?: number;
  finishStatus?: number;
  resultQueryList?: Array<{ name: string; value: string }>;
}

export interface QueryDoneParams extends DoneCallFilters {
  taskId: number;
  pageNum?: number;
  /** 1–50. @default 10 */
  pageSize?: number;
}

export interface CreateTaskInput {
  companyId: number;
  taskName: string;
  /** 1 scheduled, 2 manual */
  taskType: number;
  /** `yyyy-MM-dd`; required for scheduled tasks */
  startDate?: string;
  /** `HH:mm` */
  workingStartTime?: string;
  workingEndTime?: string;
  breakStartTime?: string;
  breakEndTime?: string;
  userPhoneIds: number[];
  robotDefId: number;
  sceneDefId?: number;
  sceneRecordId?: number;
  callType?: number;
  concurrencyQuota?: number;
  remark?: string;
  repeatCall?: boolean;
  repeatCallRule?: Array<{ phoneStatus: number; times: number; interval: number }>;
  /** Further byrobot fields (smsType, smsTemplateId, …) pass through unchanged. */
  [field: string]: unknown;
}

export interface Customer {
  name: string;
  phone: string;
  /** The robot script's variables and any custom fields (a CRM id): echoed back on every call. */
  properties?: Record<string, string>;
}

export interface ImportParams {
  companyId: number;
  taskId: number;
  customers: readonly Customer[];
  /** v2 answers with counts; v1 (deprecated by byrobot) with nothing. @default 'v2' */
  version?: 'v1' | 'v2';
  /** Customers per request, at most byrobot's 10,000. @default 10000 */
  batchSize?: number;
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportProgress {
  requestsDone: number;
  requestsTotal: number;
  customersSent: number;
  customersTotal: number;
}

export interface ImportSummary {
  requests: number;
  submitted: number;
  /** Sums over the requests; null when byrobot did not count (v1). */
  successNum: number | null;
  repeatNum: number | null;
  placeFailNum: number | null;
  messages: string[];
}

export const MAX_IMPORT_BATCH = 10_000;
export const MAX_TASKS_PAGE = 100;
export const MAX_DONE_CALLS_PAGE = 50;
export const MAX_NOT_DIALED_PAGE = 50;

interface Spec<S extends v.GenericSchema> {
  method: 'GET' | 'POST';
  /** after `/openapi/`, e.g. `v1/task/start` */
  endpoint: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  idempotent: boolean;
  schema: S;
}

const anyData = v.unknown();

/**
 * A typed client for byrobot's open API: one method per endpoint, async iterators over paged lists,
 * signing, timeouts, polite concurrency and retries for idempotent calls. Pure TypeScript over fetch.
 */
export class ByrobotClient {
  readonly #baseUrl: string;
  readonly #appKey: string;
  readonly #appSecret: string;
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #limiter: ConcurrencyLimiter;
  readonly #fetch: typeof fetch;
  readonly #now: () => Date;
  readonly #random: () => number;
  readonly #observers: ((attempt: AttemptInfo) => void)[] = [];

  constructor(options: ByrobotClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new TypeError(`baseUrl must be an absolute http(s) URL, got ${JSON.stringify(options.baseUrl)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`baseUrl must be http or https, got ${url.protocol}`);
    }
    if (!options.appKey) throw new TypeError('appKey is required');
    if (!options.appSecret) throw new TypeError('appSecret is required');
    this.#baseUrl = url.href.replace(/\/+$/, '');
    this.#appKey = options.appKey;
    this.#appSecret = options.appSecret;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    if (this.#timeoutMs <= 0) throw new RangeError('timeoutMs must be positive');
    if (!Number.isInteger(this.#retry.maxAttempts) || this.#retry.maxAttempts < 1) {
      throw new RangeError('retry.maxAttempts must be a whole number ≥ 1');
    }
    this.#limiter = new ConcurrencyLimiter(options.maxInFlight ?? 4);
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#now = options.now ?? (() => new Date());
    this.#random = options.random ?? Math.random;
    if (options.onAttempt) this.#observers.push(options.onAttempt);
  }

  /**
   * Adds an observer of every attempt, beside `onAttempt`: what the client is used for adds its own
   * (the API's and the import worker's ByrobotErrors metric, shared/observability/byrobot-metrics.ts).
   */
  observeAttempts(observer: (attempt: AttemptInfo) => void): void {
    this.#observers.push(observer);
  }

  // ---------- task actions ----------

  /** Starts a task (`POST v1/task/start`). */
  start(taskId: number, options?: RequestOptions): Promise<string> {
    return this.#action('v1/task/start', taskId, options);
  }

  /** Pauses a task, freeing its caller lines and AI seats (`POST v1/task/pause`). */
  pause(taskId: number, options?: RequestOptions): Promise<string> {
    return this.#action('v1/task/pause', taskId, options);
  }

  /** Stops (terminates) a task (`POST v1/task/stop`). */
  stop(taskId: number, options?: RequestOptions): Promise<string> {
    return this.#action('v1/task/stop', taskId, options);
  }

  async #action(endpoint: string, taskId: number, options?: RequestOptions): Promise<string> {
    const { resultMsg } = await this.#call(
      { method: 'POST', endpoint, body: { taskId }, idempotent: true, schema: anyData },
      options,
    );
    return resultMsg;
  }

  /**
   * Creates a task and returns its id (`POST v1/task/createTask`). Never retried: a lost answer may
   * still have created the task.
   */
  async createTask(input: CreateTaskInput, options?: RequestOptions): Promise<number> {
    const { data } = await this.#call(
      {
        method: 'POST',
        endpoint: 'v1/task/createTask',
        body: input,
        idempotent: false,
        schema: v.union([v.number(), v.pipe(v.string(), v.regex(/^\d+$/))]),
      },
      options,
    );
    return Number(data);
  }

  // ---------- imports ----------

  /** One import request of at most 10,000 customers (`POST v2|v1/task/importTaskCustomer`). */
  async importTaskCustomer(
    params: { companyId: number; taskId: number; customers: readonly Customer[]; version?: 'v1' | 'v2' },
    options?: RequestOptions,
  ): Promise<ImportBatchResult> {
    if (params.customers.length > MAX_IMPORT_BATCH) {
      throw new RangeError(
        `byrobot takes at most ${MAX_IMPORT_BATCH} customers per request; use importCustomers`,
      );
    }
    const version = params.version ?? 'v2';
    const { data, resultMsg } = await this.#call(
      {
        method: 'POST',
        endpoint: `${version}/task/importTaskCustomer`,
        body: { companyId: params.companyId, taskId: params.taskId, customerInfoList: params.customers },
        idempotent: true,
        schema: ImportV2Schema,
      },
      options,
    );
    const result = normalizeImportResult(data);
    return { ...result, message: result.message ?? resultMsg };
  }

  /**
   * Imports any number of customers in requests of at most 10,000, one after another, adding up
   * byrobot's counts. A failure part-way throws ByrobotImportError with what was accepted so far;
   * running the import again is safe (byrobot counts the earlier customers as repeats).
   */
  async importCustomers(params: ImportParams, options?: RequestOptions): Promise<ImportSummary> {
    const batchSize = params.batchSize ?? MAX_IMPORT_BATCH;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_IMPORT_BATCH) {
      throw new RangeError(`batchSize must be 1–${MAX_IMPORT_BATCH}`);
    }
    const total = params.customers.length;
    const requestsTotal = Math.ceil(total / batchSize);
    const summary: ImportSummary = {
      requests: 0,
      submitted: 0,
      successNum: null,
      repeatNum: null,
      placeFailNum: null,
      messages: [],
    };
    const add = (a: number | null, b: number | null) => (b === null ? a : (a ?? 0) + b);
    for (let from = 0; from < total; from += batchSize) {
      const batch = params.customers.slice(from, from + batchSize);
      let result: ImportBatchResult;
      try {
        result = await this.importTaskCustomer(
          { companyId: params.companyId, taskId: params.taskId, customers: batch, version: params.version },
          options,
        );
      } catch (error) {
        throw new ByrobotImportError(summary, from, error);
      }
      summary.requests++;
      summary.submitted += batch.length;
      summary.successNum = add(summary.successNum, result.successNum);
      summary.repeatNum = add(summary.repeatNum, result.repeatNum);
      summary.placeFailNum = add(summary.placeFailNum, result.placeFailNum);
      if (result.message) summary.messages.push(result.message);
      params.onProgress?.({
        requestsDone: summary.requests,
        requestsTotal,
        customersSent: summary.submitted,
        customersTotal: total,
      });
    }
    return summary;
  }

  // ---------- reads ----------

  /** One call's detail: transcript, recording, analysis (`GET v1/task/phoneLogInfo`). */
  async phoneLogInfo(callInstanceId: number, options?: RequestOptions): Promise<CallDetail> {
    const { data } = await this.#call(
      {
        method: 'GET',
        endpoint: 'v1/task/phoneLogInfo',
        query: { callInstanceId },
        idempotent: true,
        schema: CallDetailSchema,
      },
      options,
    );
    return normalizeCallDetail(data);
  }

  /** One page of a company's tasks, newest first (`GET v1/task/getTasks`). */
  async getTasks(params: GetTasksParams, options?: RequestOptions): Promise<Page<Task>> {
    const pageNum = params.pageNum ?? 1;
    const pageSize = params.pageSize ?? 10;
    checkPageSize(pageSize, MAX_TASKS_PAGE);
    const { data } = await this.#call(
      {
        method: 'GET',
        endpoint: 'v1/task/getTasks',
        query: { ...params, pageNum, pageSize },
        idempotent: true,
        schema: PageSchema(TaskItemSchema),
      },
      options,
    );
    return normalizePage(data, normalizeTask, { pageNum, pageSize });
  }

  /** Every task of a company, fetching pages of 100 as the loop asks for them. */
  tasks(params: Omit<GetTasksParams, 'pageNum'>, options?: RequestOptions): AsyncGenerator<Task> {
    return paginate(
      (pageNum) =>
        this.getTasks({ ...params, pageNum, pageSize: params.pageSize ?? MAX_TASKS_PAGE }, options),
      (t) => t.taskId,
    );
  }

  /** A task's detail and final statistics (`GET v1/task/getTaskDetail`). */
  async getTaskDetail(
    params: { companyId: number; taskId: number },
    options?: RequestOptions,
  ): Promise<TaskDetail> {
    const { data } = await this.#call(
      {
        method: 'GET',
        endpoint: 'v1/task/getTaskDetail',
        query: params,
        idempotent: true,
        schema: TaskItemSchema,
      },
      options,
    );
    return normalizeTaskDetail(data);
  }

  /**
   * One page of customers not dialled yet (`GET v1/task/notDialedCustomerList`, the seed's form).
   * byrobot answers a bare list; a paged object is accepted too.
   */
  async notDialedCustomerList(
    params: { taskId: number; pageNum?: number; pageSize?: number },
    options?: RequestOptions,
  ): Promise<Page<NotDialedCustomer>> {
    const pageNum = params.pageNum ?? 1;
    const pageSize = params.pageSize ?? 10;
    checkPageSize(pageSize, MAX_NOT_DIALED_PAGE);
    const { data } = await this.#call(
      {
        method: 'GET',
        endpoint: 'v1/task/notDialedCustomerList',
        query: { taskId: params.taskId, pageNum, pageSize },
        idempotent: true,
        schema: v.union([v.array(NotDialedItemSchema), PageSchema(NotDialedItemSchema)]),
      },
      options,
    );
    if (Array.isArray(data)) {
      const items = data.map((x) => normalizeNotDialed(x));
      // A bare list has no totals: a full page means there may be another.
      return { pageNum, pageSize, total: -1, pages: items.length < pageSize ? pageNum : pageNum + 1, items };
    }
    return normalizePage(data, normalizeNotDialed, { pageNum, pageSize });
  }

  /** Every customer of a task not dialled yet, 50 a page. */
  notDialedCustomers(taskId: number, options?: RequestOptions): AsyncGenerator<NotDialedCustomer> {
    return paginate(
      (pageNum) => this.notDialedCustomerList({ taskId, pageNum, pageSize: MAX_NOT_DIALED_PAGE }, options),
      (c) => c.callInstanceId,
    );
  }

  /** One page of a task's finished calls, newest first (`POST v1/task/queryDoneTaskPhones`). */
  async queryDoneTaskPhones(params: QueryDoneParams, options?: RequestOptions): Promise<Page<DoneCall>> {
    const pageNum = params.pageNum ?? 1;
    const pageSize = params.pageSize ?? 10;
    checkPageSize(pageSize, MAX_DONE_CALLS_PAGE);
    const { taskId, ...filters } = params;
    const { data } = await this.#call(
      {
        method: 'POST',
        endpoint: 'v1/task/queryDoneTaskPhones',
        body: { callJobId: taskId, ...filters, pageNum, pageSize },
        idempotent: true,
        schema: PageSchema(DoneCallItemSchema),
      },
      options,
    );
    return normalizePage(data, normalizeDoneCall, { pageNum, pageSize });
  }

  /** Every finished call of a task, newest first, 50 a page. */
  doneCalls(params: Omit<QueryDoneParams, 'pageNum'>, options?: RequestOptions): AsyncGenerator<DoneCall> {
    return paginate(
      (pageNum) =>
        this.queryDoneTaskPhones(
          { ...params, pageNum, pageSize: params.pageSize ?? MAX_DONE_CALLS_PAGE },
          options,
        ),
      (c) => c.callInstanceId,
    );
  }

  /** The companies this app key manages (`GET v1/company/getCompanys`). */
  async getCompanys(options?: RequestOptions): Promise<Company[]> {
    const { data } = await this.#call(
      { method: 'GET', endpoint: 'v1/company/getCompanys', idempotent: true, schema: v.array(CompanySchema) },
      options,
    );
    return data.map((x) => normalizeCompany(x));
  }

  /** A company's caller lines (`GET v1/company/getPhones`). */
  async getPhones(companyId: number, options?: RequestOptions): Promise<CallerLine[]> {
    const { data } = await this.#call(
      {
        method: 'GET',
        endpoint: 'v1/company/getPhones',
        query: { companyId },
        idempotent: true,
        schema: v.array(PhoneSchema),
      },
      options,
    );
    return data.map((x) => normalizeCallerLine(x));
  }

  /** A company's robots with their scenes and recordings (`GET v1/company/getRobots`). */
  async getRobots(companyId: number, options?: RequestOptions): Promise<Robot[]> {
    const { data } = await this.#call(
      {
        method: 'GET',
        endpoint: 'v1/company/getRobots',
        query: { companyId },
        idempotent: true,
        schema: v.array(RobotSchema),
      },
      options,
    );
    return data.map((x) => normalizeRobot(x));
  }

  /** The variables a robot script (scene) reads from each customer's `properties` (`GET v1/task/getSceneVariables`). */
  async getSceneVariables(
    params: { companyId: number; sceneDefId: number },
    options?: RequestOptions,
  ): Promise<string[]> {
    const { data } = await this.#call(
      {
        method: 'GET',
        endpoint: 'v1/task/getSceneVariables',
        query: params,
        idempotent: true,
        schema: v.nullish(v.array(v.string())),
      },
      options,
    );
    return data ?? [];
  }

  // ---------- transport ----------

  async #call<S extends v.GenericSchema>(
    spec: Spec<S>,
    options: RequestOptions = {},
  ): Promise<{ data: v.InferOutput<S>; resultMsg: string }> {
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        const result = await this.#limiter.run(() => this.#attempt(spec, options.signal));
        this.#report(spec, attempt, started, 'ok', false);
        return result;
      } catch (error) {
        if (options.signal?.aborted) throw error;
        const retry = shouldRetry(error, attempt, spec.idempotent, this.#retry);
        this.#report(spec, attempt, started, outcomeOf(error), retry);
        if (!retry) throw error;
        const retryAfter = error instanceof ByrobotTransportError ? error.retryAfterMs : null;
        await sleep(backoffDelay(attempt, this.#retry, this.#random, retryAfter), options.signal);
      }
    }
  }

  #report(
    spec: Spec<v.GenericSchema>,
    attempt: number,
    started: number,
    outcome: AttemptInfo['outcome'],
    willRetry: boolean,
  ) {
    if (this.#observers.length === 0) return;
    const info: AttemptInfo = {
      endpoint: spec.endpoint,
      method: spec.method,
      attempt,
      durationMs: Math.round(performance.now() - started),
      outcome,
      willRetry,
    };
    for (const observer of this.#observers) {
      try {
        observer(info);
      } catch {
        // An observer must never break a request.
      }
    }
  }

  async #attempt<S extends v.GenericSchema>(
    spec: Spec<S>,
    signal: AbortSignal | undefined,
  ): Promise<{ data: v.InferOutput<S>; resultMsg: string }> {
    const { endpoint } = spec;
    const url = new URL(`${this.#baseUrl}/openapi/${endpoint}`);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...signRequest(this.#appKey, this.#appSecret, this.#now()),
    };
    if (spec.body !== undefined) headers['content-type'] = 'application/json;charset=UTF-8';
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;

    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(url, {
        method: spec.method,
        headers,
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal: combined,
      });
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      if (timeout.aborted) {
        throw new ByrobotTransportError('timeout', endpoint, `no answer within ${this.#timeoutMs} ms`, {
          cause: error,
        });
      }
      const detail =
        error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : '';
      throw new ByrobotTransportError('network', endpoint, `request failed: ${detail}`, { cause: error });
    }

    const status = response.status;
    const looksHtml = /^\s*</.test(text) || (response.headers.get('content-type') ?? '').includes('html');
    if (status === 429) {
      throw new ByrobotTransportError('rate-limited', endpoint, 'HTTP 429 Too Many Requests', {
        status,
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      if (looksHtml) {
        throw new ByrobotTransportError(
          'html',
          endpoint,
          `HTTP ${status} with an HTML page instead of JSON`,
          {
            status,
          },
        );
      }
      if (status >= 400) throw new ByrobotTransportError('http', endpoint, `HTTP ${status}`, { status });
      throw new ByrobotTransportError(
        'invalid-json',
        endpoint,
        `HTTP ${status} with a body that is not JSON`,
        {
          status,
        },
      );
    }
    if (body === null || typeof body !== 'object' || typeof (body as { code?: unknown }).code !== 'number') {
      const kind = status >= 400 ? 'http' : 'invalid-envelope';
      throw new ByrobotTransportError(
        kind,
        endpoint,
        `HTTP ${status} without byrobot's envelope (no numeric code)`,
        {
          status,
        },
      );
    }
    const envelope = body as { code: number; data?: unknown; resultMsg?: unknown; requestId?: unknown };
    const resultMsg = typeof envelope.resultMsg === 'string' ? envelope.resultMsg : '';
    if (envelope.code !== 200) {
      const requestId = typeof envelope.requestId === 'string' ? envelope.requestId : null;
      throw errorFromEnvelope(endpoint, envelope.code, resultMsg, requestId);
    }
    const parsed = v.safeParse(spec.schema, envelope.data ?? null);
    if (!parsed.success) {
      throw new ByrobotTransportError(
        'unexpected-shape',
        endpoint,
        `data does not have the documented shape: ${v.summarize(parsed.issues)}`,
        { status },
      );
    }
    return { data: parsed.output, resultMsg };
  }
}

function outcomeOf(error: unknown): AttemptInfo['outcome'] {
  if (error instanceof ByrobotTransportError) return error.kind;
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'number') {
    return `code:${error.code}`;
  }
  return 'network';
}

function checkPageSize(pageSize: number, max: number): void {
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > max) {
    throw new RangeError(`pageSize must be 1–${max}, got ${pageSize}`);
  }
}

/**
 * Walks pages lazily. Lists are newest first, so an item created while we page pushes older ones
 * down and the next page repeats one we have seen: skip ids already yielded in this walk.
 */
async function* paginate<T>(
  fetchPage: (pageNum: number) => Promise<Page<T>>,
  idOf: (item: T) => number | null,
): AsyncGenerator<T> {
  const seen = new Set<number>();
  for (let pageNum = 1; ; pageNum++) {
    const page = await fetchPage(pageNum);
    for (const item of page.items) {
      const id = idOf(item);
      if (id !== null) {
        if (seen.has(id)) continue;
        seen.add(id);
      }
      yield item;
    }
    if (page.items.length === 0 || pageNum >= page.pages) return;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
