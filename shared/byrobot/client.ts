import { setTimeout as delay } from 'node:timers/promises';
import * as v from 'valibot';
import { callTypeForLines } from './create-task.ts';
import {
  ByrobotApiError,
  ByrobotError,
  ByrobotImportError,
  ByrobotInputError,
  ByrobotNotFoundError,
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
  type ImportSummary,
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
  normalizeUndeliveredCallback,
  type Page,
  PageSchema,
  PhoneSchema,
  type Robot,
  RobotSchema,
  type Task,
  type TaskDetail,
  TaskItemSchema,
  type UndeliveredCallback,
  UndeliveredCallbackItemSchema,
} from './models.ts';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  mayHaveDoneTheWork,
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
  /**
   * Per attempt of an import request: byrobot can take minutes to answer one (its official Java demo
   * raised its read timeout to 600 s for imports). @default 600000
   */
  importTimeoutMs?: number;
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

export interface ActionOptions extends RequestOptions {
  /**
   * The task's company. With it, a retry that byrobot refuses after an earlier attempt lost its
   * answer is settled by reading the task's status (the first attempt may have done the work);
   * without it, the refusal is thrown with `afterLostAnswer` set.
   */
  companyId?: number;
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

export interface QueryUnCallBackParams {
  companyId: number;
  /** Only this task's calls (`callJobId`); every task of the company when absent. */
  taskId?: number;
  /** `dataType`: 0 outbound call records, 1 inbound. @default 'outbound' */
  direction?: 'outbound' | 'inbound';
  /** `yyyy-MM-dd`, by the day the call was dialled (Beijing). */
  startDate: string;
  endDate: string;
  pageNum?: number;
  /** 1–500. @default 100 (byrobot's own default) */
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

export const MAX_IMPORT_BATCH = 10_000;
export const MAX_TASKS_PAGE = 100;
export const MAX_DONE_CALLS_PAGE = 50;
export const MAX_NOT_DIALED_PAGE = 50;
export const MAX_UNCALLBACK_PAGE = 500;

/**
 * What a request may do at byrobot, which decides retries and what a lost answer means:
 * - `read` changes nothing: retried freely;
 * - `repeatable` may be sent again without doubling its effect (start/pause/stop/delete end in the
 *   same state; an import adds a phone once per task): retried, but a lost answer means the first
 *   attempt may have done the work, and the retry's answer is read in that light;
 * - `once` must not be sent twice (createTask would make a second task): never retried.
 */
type Effect = 'read' | 'repeatable' | 'once';

interface Endpoint<S extends v.GenericSchema> {
  method: 'GET' | 'POST';
  /** after `/openapi/`, e.g. `v1/task/start` */
  path: string;
  effect: Effect;
  /** Which timeout applies to one attempt. */
  timeout: 'default' | 'import';
  schema: S;
}

const endpoint = <S extends v.GenericSchema>(e: Endpoint<S>) => e;
const action = (path: string) =>
  endpoint({ method: 'POST', path, effect: 'repeatable', timeout: 'default', schema: v.unknown() });
const read = <S extends v.GenericSchema>(method: 'GET' | 'POST', path: string, schema: S) =>
  endpoint({ method, path, effect: 'read', timeout: 'default', schema });
const importEndpoint = (path: string) =>
  endpoint({ method: 'POST', path, effect: 'repeatable', timeout: 'import', schema: ImportV2Schema });
const notDialedSchema = v.union([v.array(NotDialedItemSchema), PageSchema(NotDialedItemSchema)]);

/** byrobot's endpoints as this client calls them: everything about one endpoint is written here once. */
export const ENDPOINTS = {
  start: action('v1/task/start'),
  pause: action('v1/task/pause'),
  stop: action('v1/task/stop'),
  delete: action('v1/task/delete'),
  createTask: endpoint({
    method: 'POST',
    path: 'v1/task/createTask',
    effect: 'once',
    timeout: 'default',
    schema: v.union([v.number(), v.pipe(v.string(), v.regex(/^\d+$/))]),
  }),
  importV1: importEndpoint('v1/task/importTaskCustomer'),
  importV2: importEndpoint('v2/task/importTaskCustomer'),
  phoneLogInfo: read('GET', 'v1/task/phoneLogInfo', CallDetailSchema),
  getTasks: read('GET', 'v1/task/getTasks', PageSchema(TaskItemSchema)),
  getTaskDetail: read('GET', 'v1/task/getTaskDetail', TaskItemSchema),
  /** The seed's and the Java demo's form: query parameters, a bare list. */
  notDialedGet: read('GET', 'v1/task/notDialedCustomerList', notDialedSchema),
  /** The fuller docs' and community SDKs' form: a JSON body, a page without totals. */
  notDialedPost: read('POST', 'v1/task/notDialedCustomerList', notDialedSchema),
  queryDoneTaskPhones: read('POST', 'v1/task/queryDoneTaskPhones', PageSchema(DoneCallItemSchema)),
  getCompanys: read('GET', 'v1/company/getCompanys', v.array(CompanySchema)),
  getPhones: read('GET', 'v1/company/getPhones', v.array(PhoneSchema)),
  getRobots: read('GET', 'v1/company/getRobots', v.array(RobotSchema)),
  getSceneVariables: read('GET', 'v1/task/getSceneVariables', v.nullish(v.array(v.string()))),
  /** callback.md: the call records whose push callback byrobot failed to deliver. */
  queryUnCallBack: read('GET', 'v1/callBack/queryUnCallBack', PageSchema(UndeliveredCallbackItemSchema)),
} as const;

interface Request {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
}

interface Answer<T> {
  data: T;
  resultMsg: string;
  /** An earlier attempt lost its answer after byrobot may have carried it out. */
  afterLostAnswer: boolean;
}

/** Task statuses an action leaves a task in (TASK_STATUS): what a lost answer is checked against. */
const ACTION_RESULT: Record<'start' | 'pause' | 'stop', ReadonlySet<number>> = {
  start: new Set([1, 2, 3, 5, 7]),
  pause: new Set([4]),
  stop: new Set([6]),
};

/**
 * A typed client for byrobot's open API: one method per endpoint, async iterators over paged lists,
 * signing, timeouts, polite concurrency and retries for idempotent calls. Pure TypeScript over fetch.
 */
export class ByrobotClient {
  readonly #baseUrl: string;
  readonly #appKey: string;
  readonly #appSecret: string;
  readonly #timeoutMs: number;
  readonly #importTimeoutMs: number;
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
    this.#importTimeoutMs = options.importTimeoutMs ?? 600_000;
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    if (this.#timeoutMs <= 0) throw new RangeError('timeoutMs must be positive');
    if (this.#importTimeoutMs <= 0) throw new RangeError('importTimeoutMs must be positive');
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
  start(taskId: number, options?: ActionOptions): Promise<string> {
    return this.#action('start', taskId, options);
  }

  /** Pauses a task, freeing its caller lines and AI seats (`POST v1/task/pause`). */
  pause(taskId: number, options?: ActionOptions): Promise<string> {
    return this.#action('pause', taskId, options);
  }

  /** Stops (terminates) a task (`POST v1/task/stop`). */
  stop(taskId: number, options?: ActionOptions): Promise<string> {
    return this.#action('stop', taskId, options);
  }

  /**
   * Deletes a task, freeing its caller lines and AI seats (`POST v1/task/delete`, task.md). byrobot
   * then leaves it out of getTasks unless `needAll`. A retry whose earlier attempt lost its answer
   * and that byrobot answers "not found" counts as deleted: the first attempt did it.
   */
  async delete(taskId: number, options?: RequestOptions): Promise<string> {
    try {
      // task.md types this taskId as a String.
      const { resultMsg } = await this.#call(ENDPOINTS.delete, { body: { taskId: String(taskId) } }, options);
      return resultMsg;
    } catch (error) {
      if (error instanceof ByrobotNotFoundError && error.afterLostAnswer) {
        return 'deleted (an earlier attempt did it; its answer was lost)';
      }
      throw error;
    }
  }

  async #action(
    name: 'start' | 'pause' | 'stop',
    taskId: number,
    options: ActionOptions = {},
  ): Promise<string> {
    try {
      const { resultMsg } = await this.#call(ENDPOINTS[name], { body: { taskId } }, options);
      return resultMsg;
    } catch (error) {
      // A refusal after a lost answer may be byrobot saying "already done": the task's status settles it.
      if (!(error instanceof ByrobotApiError) || !error.afterLostAnswer || options.companyId === undefined) {
        throw error;
      }
      const task = await this.getTaskDetail({ companyId: options.companyId, taskId }, options);
      if (ACTION_RESULT[name].has(task.status.code)) {
        return `${name} done (an earlier attempt did it; its answer was lost): ${task.status.label}`;
      }
      throw error;
    }
  }

  /**
   * Creates a task and returns its id (`POST v1/task/createTask`). byrobot requires `callType`
   * (task.md); when it is not given it is derived from the caller lines (`callTypeForLines`).
   * Never retried: a lost answer may still have created the task. Instead, after a lost answer the
   * company's tasks of that name are listed, and a task that was not there before is the one made.
   */
  async createTask(input: CreateTaskInput, options?: RequestOptions): Promise<number> {
    let body = input;
    if (input.callType === undefined) {
      const derived = callTypeForLines(await this.getPhones(input.companyId, options), input.userPhoneIds);
      if ('problem' in derived)
        throw new ByrobotInputError(ENDPOINTS.createTask.path, 'callType', derived.problem);
      body = { ...input, callType: derived.callType };
    }
    const named = () =>
      this.getTasks(
        { companyId: input.companyId, taskName: input.taskName, pageSize: MAX_TASKS_PAGE },
        options,
      ).then((page) => page.items.filter((t) => t.name === input.taskName).map((t) => t.taskId));
    const before = new Set(await named());
    try {
      const { data } = await this.#call(ENDPOINTS.createTask, { body }, options);
      return Number(data);
    } catch (error) {
      if (!mayHaveDoneTheWork(error)) throw error;
      const made = (await named()).filter((id) => !before.has(id));
      if (made.length === 1) return made[0]!;
      if (error instanceof ByrobotError) error.afterLostAnswer = true;
      throw error;
    }
  }

  // ---------- imports ----------

  /** One import request of at most 10,000 customers (`POST v2|v1/task/importTaskCustomer`). */
  async importTaskCustomer(
    params: { companyId: number; taskId: number; customers: readonly Customer[]; version?: 'v1' | 'v2' },
    options?: RequestOptions,
  ): Promise<ImportBatchResult & { afterLostAnswer: boolean }> {
    if (params.customers.length > MAX_IMPORT_BATCH) {
      throw new RangeError(
        `byrobot takes at most ${MAX_IMPORT_BATCH} customers per request; use importCustomers`,
      );
    }
    const { data, resultMsg, afterLostAnswer } = await this.#call(
      params.version === 'v1' ? ENDPOINTS.importV1 : ENDPOINTS.importV2,
      { body: { companyId: params.companyId, taskId: params.taskId, customerInfoList: params.customers } },
      options,
    );
    const result = normalizeImportResult(data);
    return { ...result, message: result.message ?? resultMsg, afterLostAnswer };
  }

  /**
   * Imports any number of customers in requests of at most 10,000, one after another, adding up
   * byrobot's counts. A failure part-way throws ByrobotImportError with what was accepted so far;
   * running the import again is safe (byrobot counts the earlier customers as repeats).
   *
   * A request whose answer was lost (byrobot answering after the timeout, a dropped connection) may
   * have imported its rows; its retry then counts them as repeats. So the task's customer count is
   * read before the first request, and after any such request the rows it really added are settled
   * from the count (exact while no other import into the same task runs at that moment; bounded by
   * the retry's own success and repeat counts in any case). See docs/byrobot-client.md.
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
      settledByTaskCount: 0,
      unsettled: 0,
    };
    const add = (a: number | null, b: number | null) => (b === null ? a : (a ?? 0) + b);
    const taskTotal = () =>
      this.getTaskDetail({ companyId: params.companyId, taskId: params.taskId }, options).then(
        (t) => t.counts.total,
        () => null,
      );
    // What the task held before and what this import has added since, to settle a lost answer.
    let expectedTotal = total > 0 ? await taskTotal() : null;
    for (let from = 0; from < total; from += batchSize) {
      const batch = params.customers.slice(from, from + batchSize);
      let result: ImportBatchResult & { afterLostAnswer: boolean };
      try {
        result = await this.importTaskCustomer(
          { companyId: params.companyId, taskId: params.taskId, customers: batch, version: params.version },
          options,
        );
      } catch (error) {
        // Every attempt failed, but one may have landed: the count says whether the whole batch did.
        const inDoubt = mayHaveDoneTheWork(error) || (error instanceof ByrobotError && error.afterLostAnswer);
        const landed =
          inDoubt && expectedTotal !== null ? ((await taskTotal()) ?? expectedTotal) - expectedTotal : 0;
        if (landed !== batch.length) throw new ByrobotImportError(summary, from, error);
        result = {
          successNum: batch.length,
          repeatNum: 0,
          placeFailNum: 0,
          message: null,
          afterLostAnswer: true,
        };
      }
      if (result.afterLostAnswer) {
        const after = expectedTotal === null ? null : await taskTotal();
        const settled = settleLostAnswer(result, batch.length, expectedTotal, after);
        if (settled.unsettled > 0) summary.unsettled += settled.unsettled;
        else summary.settledByTaskCount++;
        result = { ...result, ...settled.counts };
      }
      if (expectedTotal !== null) {
        expectedTotal = result.successNum === null ? null : expectedTotal + result.successNum;
      }
      summary.requests++;
      summary.submitted += batch.length;
      for (const count of ['successNum', 'repeatNum', 'placeFailNum'] as const) {
        summary[count] = add(summary[count], result[count]);
      }
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
    const { data } = await this.#call(ENDPOINTS.phoneLogInfo, { query: { callInstanceId } }, options);
    return normalizeCallDetail(data);
  }

  /** One page of a company's tasks, newest first (`GET v1/task/getTasks`). */
  async getTasks(params: GetTasksParams, options?: RequestOptions): Promise<Page<Task>> {
    const { pageNum, pageSize } = pageOf(params, MAX_TASKS_PAGE);
    const { data } = await this.#call(
      ENDPOINTS.getTasks,
      { query: { ...params, pageNum, pageSize } },
      options,
    );
    return normalizePage(data, normalizeTask, { pageNum, pageSize });
  }

  /** Every task of a company, fetching pages of 100 as the loop asks for them. */
  tasks(params: Omit<GetTasksParams, 'pageNum'>, options?: RequestOptions): AsyncGenerator<Task> {
    return paginate(
      params.pageSize ?? MAX_TASKS_PAGE,
      (page) => this.getTasks({ ...params, ...page }, options),
      (t) => t.taskId,
    );
  }

  /** A task's detail and final statistics (`GET v1/task/getTaskDetail`). */
  async getTaskDetail(
    params: { companyId: number; taskId: number },
    options?: RequestOptions,
  ): Promise<TaskDetail> {
    const { data } = await this.#call(ENDPOINTS.getTaskDetail, { query: params }, options);
    return normalizeTaskDetail(data);
  }

  /** Which form of notDialedCustomerList answered last: the seed's GET until byrobot refuses it. */
  #notDialedForm: 'GET' | 'POST' = 'GET';

  /** The notDialedCustomerList form this client uses now (doctor reports it). */
  get notDialedForm(): 'GET' | 'POST' {
    return this.#notDialedForm;
  }

  /**
   * One page of customers not dialled yet (`v1/task/notDialedCustomerList`). The seed and the Java
   * demo use GET with query parameters and get a bare list; the fuller docs and community SDKs use
   * POST with a JSON body and get a page. GET is tried first; an HTTP 404/405 (the method unknown
   * there) switches this client to POST for good.
   */
  async notDialedCustomerList(
    params: { taskId: number; pageNum?: number; pageSize?: number },
    options?: RequestOptions,
  ): Promise<Page<NotDialedCustomer>> {
    const { pageNum, pageSize } = pageOf(params, MAX_NOT_DIALED_PAGE);
    const fields = { taskId: params.taskId, pageNum, pageSize };
    let data: v.InferOutput<typeof notDialedSchema>;
    if (this.#notDialedForm === 'GET') {
      try {
        ({ data } = await this.#call(ENDPOINTS.notDialedGet, { query: fields }, options));
      } catch (error) {
        if (!methodUnknown(error)) throw error;
        this.#notDialedForm = 'POST';
        ({ data } = await this.#call(ENDPOINTS.notDialedPost, { body: fields }, options));
      }
    } else ({ data } = await this.#call(ENDPOINTS.notDialedPost, { body: fields }, options));
    // A bare list is a page without totals: a full one means there may be another.
    const page = Array.isArray(data) ? { list: data } : data;
    return normalizePage(page, normalizeNotDialed, { pageNum, pageSize });
  }

  /** Every customer of a task not dialled yet, 50 a page. */
  notDialedCustomers(taskId: number, options?: RequestOptions): AsyncGenerator<NotDialedCustomer> {
    return paginate(
      MAX_NOT_DIALED_PAGE,
      (page) => this.notDialedCustomerList({ taskId, ...page }, options),
      (c) => c.callInstanceId,
    );
  }

  /** One page of a task's finished calls, newest first (`POST v1/task/queryDoneTaskPhones`). */
  async queryDoneTaskPhones(params: QueryDoneParams, options?: RequestOptions): Promise<Page<DoneCall>> {
    const { pageNum, pageSize } = pageOf(params, MAX_DONE_CALLS_PAGE);
    const { taskId, ...filters } = params;
    const { data } = await this.#call(
      ENDPOINTS.queryDoneTaskPhones,
      { body: { callJobId: taskId, ...filters, pageNum, pageSize } },
      options,
    );
    return normalizePage(data, normalizeDoneCall, { pageNum, pageSize });
  }

  /** Every finished call of a task, newest first, 50 a page. */
  doneCalls(params: Omit<QueryDoneParams, 'pageNum'>, options?: RequestOptions): AsyncGenerator<DoneCall> {
    return paginate(
      params.pageSize ?? MAX_DONE_CALLS_PAGE,
      (page) => this.queryDoneTaskPhones({ ...params, ...page }, options),
      (c) => c.callInstanceId,
    );
  }

  /**
   * One page of the call records whose push callback byrobot failed to deliver: the first attempt
   * failed and no retry has succeeded yet, or byrobot gave up (`GET v1/callBack/queryUnCallBack`).
   * A record leaves the list once a retry is delivered, so a later page may skip one that moved up.
   */
  async queryUnCallBack(
    params: QueryUnCallBackParams,
    options?: RequestOptions,
  ): Promise<Page<UndeliveredCallback>> {
    const path = ENDPOINTS.queryUnCallBack.path;
    for (const field of ['startDate', 'endDate'] as const) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(params[field]))
        throw new ByrobotInputError(
          path,
          field,
          `${field} must be yyyy-MM-dd, got ${JSON.stringify(params[field])}`,
        );
    }
    const { pageNum, pageSize } = pageOf(params, MAX_UNCALLBACK_PAGE, 100);
    const direction = params.direction ?? 'outbound';
    const { data } = await this.#call(
      ENDPOINTS.queryUnCallBack,
      {
        query: {
          companyId: params.companyId,
          callJobId: params.taskId,
          dataType: direction === 'inbound' ? 1 : 0,
          startDate: params.startDate,
          endDate: params.endDate,
          pageNum,
          pageSize,
        },
      },
      options,
    );
    return normalizePage(data, (raw) => normalizeUndeliveredCallback(raw, direction), { pageNum, pageSize });
  }

  /** Every undelivered call record of the period, 500 a page. */
  undeliveredCallbacks(
    params: Omit<QueryUnCallBackParams, 'pageNum'>,
    options?: RequestOptions,
  ): AsyncGenerator<UndeliveredCallback> {
    return paginate(
      params.pageSize ?? MAX_UNCALLBACK_PAGE,
      (page) => this.queryUnCallBack({ ...params, ...page }, options),
      (c) => c.callInstanceId,
    );
  }

  /** The companies this app key manages (`GET v1/company/getCompanys`). */
  async getCompanys(options?: RequestOptions): Promise<Company[]> {
    const { data } = await this.#call(ENDPOINTS.getCompanys, {}, options);
    return data.map((x) => normalizeCompany(x));
  }

  /** A company's caller lines (`GET v1/company/getPhones`). */
  async getPhones(companyId: number, options?: RequestOptions): Promise<CallerLine[]> {
    const { data } = await this.#call(ENDPOINTS.getPhones, { query: { companyId } }, options);
    return data.map((x) => normalizeCallerLine(x));
  }

  /** A company's robots with their scenes and recordings (`GET v1/company/getRobots`). */
  async getRobots(companyId: number, options?: RequestOptions): Promise<Robot[]> {
    const { data } = await this.#call(ENDPOINTS.getRobots, { query: { companyId } }, options);
    return data.map((x) => normalizeRobot(x));
  }

  /** The variables a robot script (scene) reads from each customer's `properties` (`GET v1/task/getSceneVariables`). */
  async getSceneVariables(
    params: { companyId: number; sceneDefId: number },
    options?: RequestOptions,
  ): Promise<string[]> {
    const { data } = await this.#call(ENDPOINTS.getSceneVariables, { query: params }, options);
    return data ?? [];
  }

  // ---------- transport ----------

  async #call<S extends v.GenericSchema>(
    spec: Endpoint<S>,
    request: Request,
    options: RequestOptions = {},
  ): Promise<Answer<v.InferOutput<S>>> {
    let afterLostAnswer = false;
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        const result = await this.#limiter.run(() => this.#attempt(spec, request, options.signal));
        this.#report(spec, attempt, started, 'ok', false);
        return { ...result, afterLostAnswer };
      } catch (error) {
        if (options.signal?.aborted) throw error;
        if (error instanceof ByrobotError && afterLostAnswer) error.afterLostAnswer = true;
        const retry = shouldRetry(error, attempt, spec.effect !== 'once', this.#retry);
        this.#report(spec, attempt, started, outcomeOf(error), retry);
        if (!retry) throw error;
        afterLostAnswer ||= spec.effect === 'repeatable' && mayHaveDoneTheWork(error);
        const retryAfter = error instanceof ByrobotTransportError ? error.retryAfterMs : null;
        // A caller's abort rejects with the caller's own reason, not Node's AbortError.
        await delay(backoffDelay(attempt, this.#retry, this.#random, retryAfter), undefined, {
          signal: options.signal,
        }).catch(() => options.signal?.throwIfAborted());
      }
    }
  }

  #report(
    spec: Endpoint<v.GenericSchema>,
    attempt: number,
    started: number,
    outcome: AttemptInfo['outcome'],
    willRetry: boolean,
  ) {
    if (this.#observers.length === 0) return;
    const info: AttemptInfo = {
      endpoint: spec.path,
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
    spec: Endpoint<S>,
    request: Request,
    signal: AbortSignal | undefined,
  ): Promise<{ data: v.InferOutput<S>; resultMsg: string }> {
    const endpoint = spec.path;
    const url = new URL(`${this.#baseUrl}/openapi/${endpoint}`);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...signRequest(this.#appKey, this.#appSecret, this.#now()),
    };
    if (request.body !== undefined) headers['content-type'] = 'application/json;charset=UTF-8';
    const timeoutMs = spec.timeout === 'import' ? this.#importTimeoutMs : this.#timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;

    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(url, {
        method: spec.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: combined,
      });
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      if (timeout.aborted) {
        throw new ByrobotTransportError('timeout', endpoint, `no answer within ${timeoutMs} ms`, {
          cause: error,
        });
      }
      const detail =
        error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : '';
      throw new ByrobotTransportError('network', endpoint, `request failed: ${detail}`, { cause: error });
    }
    const status = response.status;
    const fail = (kind: TransportErrorKind, message: string, retryAfterMs: number | null = null) =>
      new ByrobotTransportError(kind, endpoint, message, { status, retryAfterMs });
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      throw fail('rate-limited', 'HTTP 429 Too Many Requests', retryAfterMs);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      const looksHtml = /^\s*</.test(text) || (response.headers.get('content-type') ?? '').includes('html');
      if (looksHtml) throw fail('html', `HTTP ${status} with an HTML page instead of JSON`);
      if (status >= 400) throw fail('http', `HTTP ${status}`);
      throw fail('invalid-json', `HTTP ${status} with a body that is not JSON`);
    }
    if (body === null || typeof body !== 'object' || typeof (body as { code?: unknown }).code !== 'number') {
      const kind = status >= 400 ? 'http' : 'invalid-envelope';
      throw fail(kind, `HTTP ${status} without byrobot's envelope (no numeric code)`);
    }
    const envelope = body as { code: number; data?: unknown; resultMsg?: unknown; requestId?: unknown };
    const resultMsg = typeof envelope.resultMsg === 'string' ? envelope.resultMsg : '';
    if (envelope.code !== 200) {
      const requestId = typeof envelope.requestId === 'string' ? envelope.requestId : null;
      const error = errorFromEnvelope(endpoint, envelope.code, resultMsg, requestId);
      error.httpStatus = status;
      throw error;
    }
    const parsed = v.safeParse(spec.schema, envelope.data ?? null);
    if (!parsed.success) {
      throw fail(
        'unexpected-shape',
        `data does not have the documented shape: ${v.summarize(parsed.issues)}`,
      );
    }
    return { data: parsed.output, resultMsg };
  }
}

/** HTTP 404/405 for a path or method the server does not serve (not byrobot's envelope 404 for a task). */
function methodUnknown(error: unknown): boolean {
  if (error instanceof ByrobotApiError) return error.httpStatus === 404 || error.httpStatus === 405;
  return error instanceof ByrobotTransportError && (error.status === 404 || error.status === 405);
}

/**
 * The counts of an import request whose first answer was lost, from the task's customer count
 * before (`before`: what the task held before this request) and after. The retry's `successNum`
 * are rows it added itself (a lower bound); its repeats are rows the lost attempt added or that
 * were already in the task, so what the count grew by, within those bounds, is what landed.
 */
export function settleLostAnswer(
  retry: ImportBatchResult,
  batchSize: number,
  before: number | null,
  after: number | null,
): {
  counts: Pick<ImportBatchResult, 'successNum' | 'repeatNum' | 'placeFailNum'>;
  unsettled: number;
} {
  const placeFailNum = retry.placeFailNum ?? 0;
  const low = retry.successNum ?? 0;
  const high = retry.successNum === null ? batchSize - placeFailNum : low + (retry.repeatNum ?? 0);
  if (before === null || after === null) {
    // Nothing to settle against: say how many rows are in doubt rather than call them refused.
    return {
      counts: { successNum: retry.successNum, repeatNum: retry.repeatNum, placeFailNum: retry.placeFailNum },
      unsettled: high - low,
    };
  }
  const successNum = Math.min(high, Math.max(low, after - before));
  return {
    counts: { successNum, repeatNum: batchSize - successNum - placeFailNum, placeFailNum },
    unsettled: 0,
  };
}

function outcomeOf(error: unknown): AttemptInfo['outcome'] {
  if (error instanceof ByrobotTransportError) return error.kind;
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'number') {
    return `code:${error.code}`;
  }
  return 'network';
}

/** The page a list request asks for: the first by default, `pageSize` checked against the endpoint's most. */
function pageOf(
  params: { pageNum?: number; pageSize?: number },
  max: number,
  defaultSize = 10,
): { pageNum: number; pageSize: number } {
  const pageSize = params.pageSize ?? defaultSize;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > max) {
    throw new RangeError(`pageSize must be 1–${max}, got ${pageSize}`);
  }
  return { pageNum: params.pageNum ?? 1, pageSize };
}

/**
 * Walks pages lazily. Lists are newest first, so an item created while we page pushes older ones
 * down and the next page repeats one we have seen: skip ids already yielded in this walk.
 */
async function* paginate<T>(
  pageSize: number,
  fetchPage: (page: { pageNum: number; pageSize: number }) => Promise<Page<T>>,
  idOf: (item: T) => number | null,
): AsyncGenerator<T> {
  const seen = new Set<number>();
  for (let pageNum = 1; ; pageNum++) {
    const page = await fetchPage({ pageNum, pageSize });
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
