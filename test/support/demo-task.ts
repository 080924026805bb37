import type { LocalStack } from './local-stack.ts';

/** Creates a manual task on company 1 with its first robot, scene, recording and an available line. */
export async function createDemoTask(stack: LocalStack, name: string, extra: Record<string, unknown> = {}) {
  const [robot] = await stack.byrobot.getRobots(1);
  const line = (await stack.byrobot.getPhones(1)).find((p) => p.available !== false);
  if (!robot || !line) throw new Error('simulator demo data has no robot or caller line for company 1');
  const needsVariables = await stack.byrobot.getSceneVariables({
    companyId: 1,
    sceneDefId: robot.sceneDefId ?? 0,
  });
  const taskId = await stack.byrobot.createTask({
    companyId: 1,
    taskName: name,
    taskType: 2,
    workingStartTime: '09:00',
    workingEndTime: '20:00',
    userPhoneIds: [line.userPhoneId],
    robotDefId: robot.robotDefId,
    sceneDefId: robot.sceneDefId ?? undefined,
    sceneRecordId: robot.sceneRecords[0]?.sceneRecordId ?? undefined,
    concurrencyQuota: 3,
    ...extra,
  });
  return { taskId, variables: needsVariables };
}

export function customers(n: number, variables: string[], offset = 0) {
  return Array.from({ length: n }, (_, i) => ({
    name: `客户${i + offset}`,
    phone: `139${String(10_000_000 + i + offset).slice(-8)}`,
    properties: Object.fromEntries([['crmId', `LEAD-${i + offset}`], ...variables.map((v) => [v, '100'])]),
  }));
}
