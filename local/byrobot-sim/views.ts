import { INTENT_RESULT_NAME, intentLetter } from '../../shared/byrobot/enums.ts';
import { toBeijingDateTime } from '../../shared/time.ts';
import { INTENT_LABELS, type Outcome } from './conversation.ts';
import type { SimRobot } from './demo-data.ts';
import type { SimCall, SimTask, World } from './world.ts';

/* The seed's response shapes, field for field (test/fixtures/seed/ holds the seed's examples). */

const time = (ms: number | null) => (ms === null ? null : toBeijingDateTime(ms));
const NEVER = '1970-01-01 08:00:00';
const RECORDINGS = 'https://byrobot-sim-recordings.example.com/RobotPhoneCommunicate';

function callPhones(world: World, task: SimTask) {
  const company = world.companies.get(task.companyId)!;
  return task.userPhoneIds.map((id, i) => {
    const p = company.phones.find((x) => x.userPhoneId === id);
    return {
      jobPhoneId: task.id * 10 + i,
      userPhoneId: id,
      callJobId: task.id,
      phone: p?.phone ?? null,
      phoneName: p?.phoneName ?? null,
      gmtCreate: time(task.createdAt),
      gmtModified: time(task.createdAt),
    };
  });
}

/** `nullCounts`: every count null, as in the seed's own getTasks example (the detail keeps them). */
export function taskListItem(world: World, task: SimTask, nullCounts = false) {
  const n = (value: number) => (nullCounts ? null : value);
  return {
    callJobId: task.id,
    jobName: task.name,
    jobType: task.type,
    startDate: task.startDate,
    workingStartTime: task.workingStartTime,
    workingEndTime: task.workingEndTime,
    breakStartTime: task.breakStartTime,
    breakEndTime: task.breakEndTime,
    status: task.status,
    sceneDefId: task.sceneDefId,
    remark: task.remark,
    totalCount: n(task.counts.total),
    doneCount: n(task.counts.done),
    calledCount: n(task.counts.called),
    rejectedCount: n(task.counts.rejected),
    unavailableCount: n(task.counts.unavailable),
    fromUnavailableCount: n(task.counts.fromUnavailable),
    callPhones: callPhones(world, task),
  };
}

function sceneRecordName(robot: SimRobot, task: SimTask) {
  return robot.sceneRecords.find((r) => r.sceneRecordId === task.sceneRecordId)?.sceneRecordName ?? null;
}

function bucket(stats: Map<string, number>, name: string) {
  stats.set(name, (stats.get(name) ?? 0) + 1);
}
const asList = (m: Map<string, number>) => [...m].map(([name, value]) => ({ name, value }));

export function taskDetail(world: World, task: SimTask) {
  const robot = world.robotOf(task)!;
  const durations = new Map<string, number>();
  const rounds = new Map<string, number>();
  const extra = new Map<string, Map<string, number>>();
  for (const call of task.done) {
    const d = call.outcome?.talkSeconds ?? 0;
    bucket(
      durations,
      d < 10 ? '<10s' : d < 30 ? '10-30s' : d < 60 ? '30-60s' : d < 120 ? '60-120s' : '>120s',
    );
    const r = call.outcome?.chatRound ?? 0;
    bucket(rounds, r < 10 ? '0-9次' : r < 20 ? '10-19次' : '20次以上');
    for (const result of call.outcome?.results ?? []) {
      if (!extra.has(result.name)) extra.set(result.name, new Map());
      bucket(extra.get(result.name)!, result.value);
    }
  }
  return {
    ...taskListItem(world, task),
    robotDefName: robot.robotName,
    sceneDefName: robot.sceneDefName,
    sceneRecordName: sceneRecordName(robot, task),
    durationStat: asList(durations),
    chatRoundStat: asList(rounds),
    resultDefs: [{ name: INTENT_RESULT_NAME, values: Object.values(INTENT_LABELS) }],
    extraStat: Object.fromEntries([...extra].map(([name, m]) => [name, asList(m)])),
  };
}

export function doneListItem(task: SimTask, call: SimCall) {
  return {
    callInstanceId: call.callInstanceId,
    sceneDefId: task.sceneDefId,
    callJobId: task.id,
    customerTelephone: call.phone,
    customerName: call.name,
    status: call.status,
    finishStatus: call.finishStatus,
    duration: `${call.outcome?.talkSeconds ?? 0}秒`,
    chatRound: call.outcome?.chatRound ?? 0,
    startTime: time(call.startTime),
    endTime: time(call.endTime),
    callerPhone: call.callerPhone,
    luyinOssUrl: call.outcome?.talkSeconds ? `${RECORDINGS}/${call.callInstanceId}.wav` : null,
    secondaryCallTime: time(call.nextRedialAt) ?? NEVER,
    secondaryCallTimes: call.attempts,
    gmtCreate: time(call.createdAt),
    gmtModified: time(call.modifiedAt),
    jobName: task.name,
    resultList: (call.outcome?.results ?? []).map((r) => ({ name: r.name, value: r.value })),
  };
}

export function phoneLogInfo(world: World, call: SimCall) {
  const task = world.tasks.get(call.taskId)!;
  const robot = world.robotOf(task)!;
  const outcome = call.status === 2 || call.status === 3 ? call.outcome : null;
  const recording = outcome?.talkSeconds
    ? `${RECORDINGS}/${call.callInstanceId}/${call.customerId}.wav`
    : null;
  const start = call.startTime ?? 0;
  return {
    phoneLog: {
      phoneLogs: (outcome?.turns ?? []).map((t, i) => ({
        sceneInstanceLogId: call.callInstanceId * 100 + i,
        sceneInstanceId: call.callInstanceId,
        speaker: t.speaker,
        content: t.content,
        userMean: t.userMean,
        userMeanDetail: null,
        aiUnknown: t.aiUnknown,
        startTime: t.startMs,
        endTime: t.endMs,
        gmtCreate: time(start + (outcome?.ringSeconds ?? 0) * 1000 + t.startMs),
        gmtModified: time(start + (outcome?.ringSeconds ?? 0) * 1000 + t.startMs),
      })),
      luyinOssUrl: recording,
    },
    sceneInstance: {
      callInstanceId: call.callInstanceId,
      companyId: call.companyId,
      callJobId: call.taskId,
      customerId: call.customerId,
      customerTelephone: call.phone,
      customerName: call.name,
      status: call.status,
      finishStatus: call.finishStatus,
      duration: outcome?.talkSeconds ?? 0,
      chatRound: outcome?.chatRound ?? 0,
      startTime: time(call.startTime),
      endTime: time(call.endTime),
      callerPhone: call.callerPhone,
      luyinOssUrl: recording,
      userLuyinOssUrl: recording ? recording.replace('.wav', '_user.wav') : null,
      properties: JSON.stringify(call.properties),
      handlePerson: sceneRecordName(robot, task),
      callType: task.callType,
      readStatus: 0,
      jobName: task.name,
      robotDefId: task.robotDefId,
      sceneDefId: task.sceneDefId,
      sceneRecordId: task.sceneRecordId,
      trackResult: null,
      hangUp: outcome ? outcome.hangUp : null,
      secondaryCallTime: time(call.nextRedialAt) ?? NEVER,
      secondaryCallTimes: call.attempts,
      gmtCreate: time(call.createdAt),
      gmtModified: time(call.modifiedAt),
    },
    taskResult: (outcome?.results ?? []).map((r, i) => ({
      sceneInstanceResultId: call.callInstanceId * 10 + i,
      companyId: call.companyId,
      callJobId: call.taskId,
      sceneInstanceId: call.callInstanceId,
      resultName: r.name,
      resultValue: r.value,
      resultDesc: r.desc,
      analyzeType: r.analyzeType,
      ...artificial(r, 'int'),
      gmtCreate: time(call.endTime),
      gmtModified: time(r.modifiedAt ?? call.endTime),
    })),
  };
}

/**
 * callback.md's fields on a result: the CRM's value (the same until someone edits it), whether it
 * was edited (0/1 outbound, a boolean inbound, as the doc's two samples type it), and for the intent
 * level its letter (`resultValueAlias`) and the CRM's wording (`resultValueNew`).
 */
export function artificial(r: Outcome['results'][number], changed: 'int' | 'boolean') {
  const letter = r.name === INTENT_RESULT_NAME ? intentLetter(r.value) : null;
  const edited = r.artificialChanged === true;
  return {
    artificialResultValue: r.value,
    artificialChanged: changed === 'int' ? (edited ? 1 : 0) : edited,
    resultValueAlias: letter,
    resultLabels: null,
    resultValueNew: letter ? INTENT_LABELS[letter] : null,
  };
}

export function notDialedItem(world: World, call: SimCall) {
  return {
    callInstanceId: call.callInstanceId,
    customerTelephone: call.phone,
    customerName: call.name,
    status: call.status,
    startTime: time(call.startTime),
    callerPhone: call.callerPhone,
    // obtain-task.md's fuller item: the company's name and how often the customer was dialled.
    corpName: world.companies.get(call.companyId)?.companyName ?? null,
    calledTimes: call.attempts,
  };
}
