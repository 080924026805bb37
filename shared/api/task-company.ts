import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ByrobotClient } from '../byrobot/client.ts';
import { ByrobotAuthError, ByrobotNotFoundError } from '../byrobot/errors.ts';
import type { TaskDetail } from '../byrobot/models.ts';
import { allowsCompany, type Principal } from '../http/auth.ts';
import { problems } from '../http/problem.ts';
import { keys } from '../store/table.ts';

/**
 * Finds which company a task belongs to among those the caller may act on, asking byrobot (one
 * getTaskDetail per candidate company) and remembering the answer in DynamoDB. A task of a company
 * the caller may not touch is answered 404, exactly like a task that does not exist, so a key cannot
 * probe other companies' tasks.
 *
 * byrobot's start/pause/stop take only a task id, so this is the only tenant guard, and a remembered
 * company is never trusted on its own: task ids are reused after a byrobot-side reset. It is a hint
 * that saves the scan over companies; byrobot confirms it with one getTaskDetail (which the caller
 * uses anyway), and a hint byrobot does not confirm is dropped and the task looked up afresh.
 */
export async function resolveTaskCompany(
  taskId: number,
  principal: Principal,
  byrobot: ByrobotClient,
  table: { doc: DynamoDBDocumentClient; tableName: string },
  claimedCompanyId?: number,
): Promise<{ companyId: number; detail: TaskDetail }> {
  const notFound = () => problems.notFound(`task ${taskId} not found`);
  if (claimedCompanyId !== undefined && !allowsCompany(principal, claimedCompanyId)) throw notFound();
  const cached = await table.doc.send(
    new GetCommand({ TableName: table.tableName, Key: keys.taskCompany(taskId) }),
  );
  const hint = cached.Item?.companyId as number | undefined;
  // A hint for a company the caller may not act on (or not the one claimed) is not used: the lookup
  // below asks byrobot about the caller's own companies only, so nothing about others leaks.
  if (
    hint !== undefined &&
    allowsCompany(principal, hint) &&
    (claimedCompanyId === undefined || claimedCompanyId === hint)
  ) {
    try {
      return { companyId: hint, detail: await byrobot.getTaskDetail({ companyId: hint, taskId }) };
    } catch (error) {
      if (!(error instanceof ByrobotNotFoundError)) throw error;
      await table.doc.send(new DeleteCommand({ TableName: table.tableName, Key: keys.taskCompany(taskId) }));
    }
  }
  const candidates =
    claimedCompanyId !== undefined
      ? [claimedCompanyId]
      : principal.companies === '*'
        ? (await byrobot.getCompanys()).map((c) => c.companyId)
        : principal.companies;
  for (const companyId of candidates) {
    try {
      const detail = await byrobot.getTaskDetail({ companyId, taskId });
      await table.doc.send(
        new PutCommand({ TableName: table.tableName, Item: { ...keys.taskCompany(taskId), companyId } }),
      );
      return { companyId, detail };
    } catch (error) {
      if (error instanceof ByrobotNotFoundError) continue;
      // A company the caller named that our app key does not manage: byrobot answers 403. That is
      // the caller's claim being wrong (the task is not there for us), not our credentials failing.
      if (error instanceof ByrobotAuthError && error.code === 403 && companyId === claimedCompanyId) continue;
      throw error;
    }
  }
  throw notFound();
}
