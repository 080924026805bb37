import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { computeSignature } from '../../shared/byrobot/signing.ts';
import { toBeijingDate, toBeijingDateTime } from '../../shared/time.ts';
import { type Fault, Faults, isModifier } from './faults.ts';
import { doneListItem, notDialedItem, phoneLogInfo, taskDetail, taskListItem } from './views.ts';
import { SimError, type World } from './world.ts';

export interface ServerOptions {
  appKey: string;
  appSecret: string;
  clockToleranceMs: number;
}

export interface SimStats {
  total: number;
  byEndpoint: Record<string, number>;
  byCode: Record<string, number>;
  inFlight: number;
  maxInFlight: number;
}

type Params = Record<string, unknown>;
/** How this request's answer is shaped (faults that change an answer without replacing it). */
interface Shape {
  nullCounts: boolean;
}
type Handler = (world: World, params: Params, shape: Shape) => unknown;

const int = (v: unknown) => (typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v);
function need(params: Params, name: string): number {
  const v = int(params[name]);
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new SimError(412, `参数错误：${name}必须为整数`);
  return v;
}
function page(params: Params, max: number, defaultSize = 10, sizeRule = `每页不能超过${max}条`) {
  const pageNum = params.pageNum === undefined ? 1 : need(params, 'pageNum');
  const pageSize = params.pageSize === undefined ? defaultSize : need(params, 'pageSize');
  if (pageNum < 1) throw new SimError(412, '参数错误：pageNum须大于0');
  if (pageSize < 1 || pageSize > max) throw new SimError(412, `参数错误：${sizeRule}`);
  return { pageNum, pageSize };
}
/** One page of `items`, each as `view` shows it. */
function paged<T, V>(items: T[], pageNum: number, pageSize: number, view: (item: T) => V) {
  const start = (pageNum - 1) * pageSize;
  return pageEnvelope(items.slice(start, start + pageSize).map(view), pageNum, pageSize, items.length);
}
/** byrobot's page envelope around one page's `list` of a `total`-long listing. */
function pageEnvelope<T>(list: T[], pageNum: number, pageSize: number, total: number) {
  const start = (pageNum - 1) * pageSize;
  return {
    pageNum,
    pageSize,
    size: list.length,
    orderBy: null,
    startRow: list.length ? start + 1 : 0,
    endRow: start + list.length,
    total,
    pages: Math.ceil(total / pageSize),
    list,
  };
}

function notDialedPage(w: World, p: Params) {
  const task = w.task(need(p, 'taskId'));
  const { pageNum, pageSize } = page(p, 50);
  const list = task.pending
    .slice((pageNum - 1) * pageSize, pageNum * pageSize)
    .map((c) => notDialedItem(w, c));
  return { pageNum, pageSize, list };
}

/** queryDoneTaskPhones' filters besides resultQueryList. */
const DONE_CALL_FILTERS = [
  'finishStatus',
  'durationLeft',
  'durationRight',
  'chatRoundLeft',
  'chatRoundRight',
];

/** byrobot's endpoints, keyed `METHOD v1/...` as the stats name them. */
const ROUTES: Record<string, Handler> = {
  'POST v1/task/start': (w, p) => w.start(need(p, 'taskId')),
  'POST v1/task/pause': (w, p) => w.pause(need(p, 'taskId')),
  'POST v1/task/stop': (w, p) => w.stop(need(p, 'taskId')),
  // task.md types this taskId as a String ("13487"); `need` takes both.
  'POST v1/task/delete': (w, p) => w.deleteTask(need(p, 'taskId')),
  'POST v1/task/createTask': (w, p) => {
    // task.md marks callType required; the in-process World.createTask (benchmarks, tests) defaults it.
    if (p.callType === undefined || p.callType === null)
      throw new SimError(412, '参数错误：外呼方式(callType)不能为空');
    return w.createTask(p);
  },
  'POST v1/task/importTaskCustomer': (w, p) => {
    w.importCustomers(p); // v1 answers no counts
  },
  'POST v2/task/importTaskCustomer': (w, p) => {
    const r = w.importCustomers(p);
    const n = Array.isArray(p.customerInfoList) ? p.customerInfoList.length : 0;
    return {
      msg: `本次导入：${n}个客户，预计导入成功：${r.successNum}个客户，成功导入：${r.successNum}个客户，重复：${r.repeatNum}个客户，话术变量错误：${r.placeFailNum}个客户`,
      ...r,
    };
  },
  'GET v1/task/phoneLogInfo': (w, p) => {
    const call = w.calls.get(need(p, 'callInstanceId'));
    if (!call) throw new SimError(404, '通话记录不存在');
    return phoneLogInfo(w, call);
  },
  'GET v1/task/getTasks': (w, p, shape) => {
    const companyId = need(p, 'companyId');
    w.company(companyId);
    const { pageNum, pageSize } = page(p, 100);
    const status = p.status === undefined ? undefined : need(p, 'status');
    let tasks = [...(w.tasksByCompany.get(companyId) ?? [])].reverse(); // newest first
    // needAll (obtain-task.md): deleted tasks are left out unless it is true.
    if (p.needAll !== 'true') tasks = tasks.filter((t) => !t.deleted);
    if (status !== undefined) tasks = tasks.filter((t) => t.status === status);
    if (typeof p.taskName === 'string' && p.taskName)
      tasks = tasks.filter((t) => t.name.includes(p.taskName as string));
    if (p.createDate !== undefined) {
      if (typeof p.createDate !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(p.createDate))
        throw new SimError(412, '参数错误：createDate格式为yyyy-MM-dd');
      tasks = tasks.filter((t) => toBeijingDate(t.createdAt) === p.createDate);
    }
    return paged(tasks, pageNum, pageSize, (t) => taskListItem(w, t, shape.nullCounts));
  },
  'GET v1/task/getTaskDetail': (w, p) => {
    const companyId = need(p, 'companyId');
    w.company(companyId);
    return taskDetail(w, w.task(need(p, 'taskId'), companyId));
  },
  // The seed's form: a bare list.
  'GET v1/task/notDialedCustomerList': (w, p) => notDialedPage(w, p).list,
  // The fuller docs' form (obtain-task.md): a JSON body, a page with pageNum, pageSize and list only.
  'POST v1/task/notDialedCustomerList': (w, p) => notDialedPage(w, p),
  'POST v1/task/queryDoneTaskPhones': (w, p) => {
    const task = w.task(need(p, 'callJobId'));
    const { pageNum, pageSize } = page(p, 50);
    const unfiltered =
      DONE_CALL_FILTERS.every((f) => p[f] === undefined) && !Array.isArray(p.resultQueryList);
    // Newest first. The done list is kept in the order calls ended, so an unfiltered page is a slice
    // from its end: cheap even for tasks with tens of thousands of calls.
    const done = task.done;
    if (unfiltered) {
      const end = done.length - (pageNum - 1) * pageSize;
      const slice = done.slice(Math.max(0, end - pageSize), Math.max(0, end)).reverse();
      return pageEnvelope(
        slice.map((c) => doneListItem(task, c)),
        pageNum,
        pageSize,
        done.length,
      );
    }
    const matches = [...done].reverse().filter((c) => {
      const d = c.outcome?.talkSeconds ?? 0;
      const r = c.outcome?.chatRound ?? 0;
      if (p.finishStatus !== undefined && c.finishStatus !== int(p.finishStatus)) return false;
      if (p.durationLeft !== undefined && d < Number(p.durationLeft)) return false;
      if (p.durationRight !== undefined && d > Number(p.durationRight)) return false;
      if (p.chatRoundLeft !== undefined && r < Number(p.chatRoundLeft)) return false;
      if (p.chatRoundRight !== undefined && r > Number(p.chatRoundRight)) return false;
      for (const q of (p.resultQueryList as Array<{ name: string; value: string }> | undefined) ?? []) {
        if (!c.outcome?.results.some((x) => x.name === q.name && x.value === q.value)) return false;
      }
      return true;
    });
    return paged(matches, pageNum, pageSize, (c) => doneListItem(task, c));
  },
  // callback.md: the call records whose push callback byrobot failed to deliver (push.ts).
  'GET v1/callBack/queryUnCallBack': (w, p) => {
    const companyId = need(p, 'companyId');
    w.company(companyId);
    const dataType = need(p, 'dataType');
    if (dataType !== 0 && dataType !== 1)
      throw new SimError(412, '参数错误：dataType须为0（呼出）或1（呼入）');
    const callJobId = p.callJobId === undefined || p.callJobId === '' ? undefined : need(p, 'callJobId');
    const date = (name: 'startDate' | 'endDate') => {
      const value = p[name];
      if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value))
        throw new SimError(412, `参数错误：${name}不能为空，格式为yyyy-MM-dd`);
      return value;
    };
    const startDate = date('startDate');
    const endDate = date('endDate');
    const { pageNum, pageSize } = page(p, 500, 100, 'pageSize取值范围1-500');
    const records = w.pusher?.undelivered({ companyId, dataType, callJobId, startDate, endDate }) ?? [];
    const start = (pageNum - 1) * pageSize;
    return {
      pageNum,
      pageSize,
      total: records.length,
      pages: Math.ceil(records.length / pageSize),
      list: records.slice(start, start + pageSize).map((r) => ({
        customerTelephone: r.customerTelephone,
        callInstanceId: r.callInstanceId,
        callJobId: r.callJobId,
        callerTime: toBeijingDateTime(r.callerTime),
      })),
    };
  },
  'GET v1/company/getCompanys': (w) =>
    [...w.companies.values()].map((c) => ({ companyId: c.companyId, companyName: c.companyName })),
  'GET v1/company/getPhones': (w, p) => w.company(need(p, 'companyId')).phones,
  'GET v1/company/getRobots': (w, p) =>
    w.company(need(p, 'companyId')).robots.map(({ robotDefId, robotName, sceneDefId, sceneRecords }) => ({
      robotDefId,
      robotName,
      sceneDefId,
      sceneRecords,
    })),
  'GET v1/task/getSceneVariables': (w, p) => {
    const company = w.company(need(p, 'companyId'));
    const sceneDefId = need(p, 'sceneDefId');
    const robot = company.robots.find((r) => r.sceneDefId === sceneDefId);
    if (!robot) throw new SimError(404, '场景不存在');
    return robot.variables;
  },
};

/** byrobot's success messages where its docs show one other than 操作成功 (task.md). */
const SUCCESS_MESSAGES: Record<string, string> = {
  'POST v1/task/start': '启动成功',
  'POST v1/task/pause': '执行成功',
  'POST v1/task/stop': '执行成功',
  'POST v1/task/delete': '删除成功',
  'GET v1/callBack/queryUnCallBack': '查询成功',
};

const MESSAGES: Record<number, string> = {
  200: '操作成功',
  401: '校验数据错误',
  403: '权限不足',
  404: '资源未找到',
  408: '时间选择不对',
  412: '参数错误',
  500: '未知错误',
};

const noStats = (inFlight: number): SimStats => ({
  total: 0,
  byEndpoint: {},
  byCode: {},
  inFlight,
  maxInFlight: inFlight,
});

export interface SimServer {
  server: Server;
  faults: Faults;
  stats: SimStats;
  resetStats(): void;
  serverClockOffsetMs: number;
}

export function createSimServer(
  getWorld: () => World,
  options: ServerOptions,
  controls: (req: IncomingMessage, res: ServerResponse, path: string, body: unknown) => Promise<boolean>,
): SimServer {
  const faults = new Faults();
  const state: SimServer = {
    server: undefined as unknown as Server,
    faults,
    stats: noStats(0),
    resetStats() {
      this.stats = noStats(this.stats.inFlight); // requests under way are still under way
    },
    serverClockOffsetMs: 0,
  };
  let requestSeq = 0;

  const server = createServer((req, res) => {
    // Nothing a client sends may take the simulator down: a bad target, a body cut short, a
    // handler's own slip are each answered (or the connection closed) and the process lives.
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) send(res, 500, { error: (error as Error).message });
      else res.destroy();
    });
  });
  // A client that resets mid-upload or sends bytes that are not HTTP gets its socket closed.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://sim');
    } catch {
      return send(res, 400, { error: 'request target is not a valid path' });
    }
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      // The client went away mid-body: nobody is left to answer.
      res.destroy();
      return;
    }
    if (!req.complete) {
      res.destroy();
      return;
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (url.pathname.startsWith('/__sim/')) {
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        return send(res, 400, { error: 'body is not JSON' });
      }
      try {
        if (await controls(req, res, url.pathname.slice('/__sim/'.length), body)) return;
      } catch (error) {
        return send(res, 400, { error: (error as Error).message });
      }
      return send(res, 404, { error: `no control ${url.pathname}` });
    }
    if (!url.pathname.startsWith('/openapi/')) return send(res, 404, envelope(404, null, '资源未找到'));
    const endpoint = url.pathname.slice('/openapi/'.length);
    const s = state.stats;
    s.total++;
    s.byEndpoint[endpoint] = (s.byEndpoint[endpoint] ?? 0) + 1;
    s.inFlight++;
    s.maxInFlight = Math.max(s.maxInFlight, s.inFlight);
    const count = (code: number | string) => {
      s.byCode[code] = (s.byCode[code] ?? 0) + 1;
    };
    const params = paramsOf(req.method, text, url.searchParams);
    try {
      const applied = faults.list.some((f) => f.taskId !== undefined)
        ? faults.take(endpoint, requestTaskId(getWorld(), params ?? {}))
        : faults.take(endpoint);
      const has = (kind: Fault['kind']) => applied.find((f) => f.kind === kind);
      let delay = applied
        .filter((f) => f.kind === 'latency')
        .reduce((sum, f) => sum + (f.latencyMs ?? 100), 0);
      const slowPages = has('slowPages');
      if (slowPages && pageNumOf(params ?? {}) >= 2) {
        delay += slowPages.latencyMs ?? 2000;
      }
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      const fault = applied.find((f) => !isModifier(f.kind));
      if (fault) return answerFault(fault, res, count);
      const code = authenticate(req, options, Date.now() + state.serverClockOffsetMs);
      if (code !== 200) {
        count(code);
        return send(res, 200, envelope(code, null, MESSAGES[code]!));
      }
      if (has('postOnlyNotDialed') && req.method === 'GET' && endpoint === 'v1/task/notDialedCustomerList') {
        count('fault:postOnlyNotDialed');
        // Spring's answer to a method it does not map: HTTP 405 and its own JSON, not byrobot's envelope.
        return send(res, 405, {
          timestamp: new Date().toISOString(),
          status: 405,
          error: 'Method Not Allowed',
          message: "Request method 'GET' not supported",
          path: url.pathname,
        });
      }
      const route = `${req.method} ${endpoint}`;
      const handler = ROUTES[route];
      if (!handler) {
        count(404);
        return send(res, 404, envelope(404, null, '资源未找到'));
      }
      if (params === null) {
        count(412);
        return send(res, 200, envelope(412, null, '参数错误：请求体不是合法JSON'));
      }
      let answer: { code: number; data: unknown; message: string };
      try {
        const data = handler(getWorld(), params, { nullCounts: has('nullCounts') !== undefined });
        answer = { code: 200, data: data ?? null, message: SUCCESS_MESSAGES[route] ?? MESSAGES[200]! };
      } catch (error) {
        if (!(error instanceof SimError)) throw error;
        answer = { code: error.code, data: null, message: error.message };
      }
      // Faults that strike after the work is done: the world has changed, the answer is late or lost.
      if (has('dropAfterWork')) {
        count('fault:dropAfterWork');
        res.socket?.destroy();
        return;
      }
      const late = has('lateAnswer');
      if (late) {
        count('fault:lateAnswer');
        // A client that gave up closes the socket: stop waiting then, so close() is not held up.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, late.latencyMs ?? 12_000);
          res.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        if (res.destroyed || res.writableEnded) return;
      }
      count(answer.code);
      send(res, 200, envelope(answer.code, answer.data, answer.message));
    } catch (error) {
      count(500);
      send(res, 200, envelope(500, null, `未知错误: ${(error as Error).message}`));
    } finally {
      s.inFlight--;
    }
  }

  function envelope(code: number, data: unknown, resultMsg: string) {
    return { code, data, resultMsg, errorStackTrace: null, requestId: `sim-${++requestSeq}` };
  }

  function answerFault(fault: Fault, res: ServerResponse, count: (c: string) => void) {
    count(`fault:${fault.kind}`);
    switch (fault.kind) {
      case 'http5xx':
        return send(res, fault.status ?? 503, { message: 'Service Unavailable' });
      case 'html':
        res.writeHead(fault.status ?? 502, { 'content-type': 'text/html' });
        return res.end(
          '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>',
        );
      case 'malformedJson':
        res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8' });
        return res.end('{"code":200,"data":{"list":[{"callJobId":1,');
      case 'code500':
        return send(res, 200, envelope(500, null, '未知错误'));
      case 'code401':
        return send(res, 200, envelope(401, null, '校验数据错误'));
      case 'code403':
        return send(res, 200, envelope(403, null, '没有权限'));
      case 'code408':
        return send(res, 200, envelope(408, null, '时间选择不对'));
      case 'http429':
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
        return res.end('{"message":"Too Many Requests"}');
      case 'hang':
        // Never answer; close() destroys the socket (closeAllConnections).
        return new Promise<void>((resolve) => res.on('close', resolve));
      default:
        return send(res, 500, { message: 'unknown fault' });
    }
  }

  state.server = server;
  return state;
}

/**
 * A request's parameters: its query, or a POST's JSON body (`{}` for none or one that is not an
 * object); null when that body is not JSON.
 */
function paramsOf(method: string | undefined, text: string, query: URLSearchParams): Params | null {
  if (method !== 'POST') return Object.fromEntries(query);
  if (!text) return {};
  try {
    const body: unknown = JSON.parse(text);
    return body && typeof body === 'object' && !Array.isArray(body) ? (body as Params) : {};
  } catch {
    return null;
  }
}

/** The page a request asks for (1 when it names none or cannot be read). */
function pageNumOf(params: Params): number {
  const n = int(params.pageNum);
  return typeof n === 'number' && Number.isInteger(n) ? n : 1;
}

/** The task a request is about, for faults scoped to one task (lenient: a bad request names none). */
function requestTaskId(world: World, params: Params): number | undefined {
  for (const name of ['taskId', 'callJobId']) {
    const v = int(params[name]);
    if (typeof v === 'number' && Number.isInteger(v)) return v;
  }
  const call = int(params.callInstanceId);
  return typeof call === 'number' ? world.calls.get(call)?.taskId : undefined;
}

export function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' });
  res.end(JSON.stringify(body));
}

/** RFC 1123 GMT, as byrobot's demos format it: `Mon, 23 Nov 2026 11:38:46 GMT` (two-digit day). */
const RFC1123 =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * The instant an RFC 1123 GMT `datetime` names, or NaN when it is any other format or not a real
 * date (a wrong weekday, 31 Feb, 25:00): it must read back exactly as the same string.
 */
export function parseRfc1123(datetime: string): number {
  if (!RFC1123.test(datetime)) return Number.NaN;
  const at = Date.parse(datetime);
  return !Number.isNaN(at) && new Date(at).toUTCString() === datetime ? at : Number.NaN;
}

/**
 * byrobot's signature check: the expected sign is base64(HMAC-SHA1(AppSecret, AppKey + "\n" +
 * datetime)) and the header must be exactly that string (compared in constant time): no lenient
 * base64 decoding, so junk, whitespace or missing padding is refused. `datetime` must be RFC 1123
 * GMT and within the tolerance of byrobot's clock (else 408).
 */
function authenticate(req: IncomingMessage, options: ServerOptions, serverNow: number): number {
  const datetime = header(req, 'datetime');
  const appkey = header(req, 'appkey');
  const sign = header(req, 'sign');
  if (!datetime || !appkey || !sign) return 401;
  const expected = Buffer.from(computeSignature(options.appKey, options.appSecret, datetime), 'utf8');
  const given = Buffer.from(sign, 'utf8');
  const signOk = given.length === expected.length && timingSafeEqual(given, expected);
  if (appkey !== options.appKey || !signOk) return 401;
  const at = parseRfc1123(datetime);
  if (Number.isNaN(at)) return 401;
  if (Math.abs(serverNow - at) > options.clockToleranceMs) return 408;
  return 200;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
