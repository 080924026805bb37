import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { text as readText } from 'node:stream/consumers';
import { listen } from '../../dev/listen.ts';

export interface ReceivedMessage {
  queueUrl: string;
  id: string;
  messageId: string;
  body: string;
}

/**
 * An SQS endpoint for tests that load built bundles: SendMessageBatch in the service's JSON protocol
 * (x-amz-json-1.0, `X-Amz-Target: AmazonSQS.SendMessageBatch`), with the MD5 of each body the SDK
 * checks. The bundled SDK reaches it through the queue URL's host, as on AWS. `refuseOnce` names
 * entry ids to report as failed the first time they arrive, as SQS may. SendMessage too (the
 * callback receiver's one message); `failing(n)` answers the next n requests with SQS's 500
 * InternalError, as an SQS outage does, so a caller's failure path runs against real HTTP.
 */
export async function startSqs(options: { refuseOnce?: string[] } = {}) {
  const messages: ReceivedMessage[] = [];
  const refuse = new Set(options.refuseOnce ?? []);
  let batches = 0;
  let failNext = 0;
  const server = createServer(async (req, res) => {
    const text = await readText(req);
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(payload));
    };
    const target = String(req.headers['x-amz-target'] ?? '');
    if (failNext > 0) {
      failNext--;
      return send(500, { __type: 'com.amazonaws.sqs#InternalError', message: 'service unavailable' });
    }
    if (target === 'AmazonSQS.SendMessage') {
      const input = JSON.parse(text || '{}') as { QueueUrl?: string; MessageBody?: string };
      if (!input.QueueUrl || !input.MessageBody)
        return send(400, { __type: 'com.amazonaws.sqs#InvalidParameterValue', message: 'bad message' });
      const messageId = randomUUID();
      messages.push({ queueUrl: input.QueueUrl, id: messageId, messageId, body: input.MessageBody });
      return send(200, {
        MessageId: messageId,
        MD5OfMessageBody: createHash('md5').update(input.MessageBody).digest('hex'),
      });
    }
    if (target !== 'AmazonSQS.SendMessageBatch')
      return send(400, { __type: 'com.amazonaws.sqs#UnsupportedOperation', message: target });
    const input = JSON.parse(text || '{}') as {
      QueueUrl?: string;
      Entries?: { Id: string; MessageBody: string }[];
    };
    const entries = input.Entries ?? [];
    if (!input.QueueUrl || entries.length === 0 || entries.length > 10)
      return send(400, { __type: 'com.amazonaws.sqs#InvalidParameterValue', message: 'bad batch' });
    batches++;
    const successful: unknown[] = [];
    const failed: unknown[] = [];
    for (const e of entries) {
      if (refuse.delete(e.Id)) {
        failed.push({ Id: e.Id, SenderFault: false, Code: 'InternalError', Message: 'try again' });
        continue;
      }
      const messageId = randomUUID();
      messages.push({ queueUrl: input.QueueUrl, id: e.Id, messageId, body: e.MessageBody });
      successful.push({
        Id: e.Id,
        MessageId: messageId,
        MD5OfMessageBody: createHash('md5').update(e.MessageBody).digest('hex'),
      });
    }
    send(200, { Successful: successful, Failed: failed });
  });
  const { url, close } = await listen(server);
  return {
    endpoint: url,
    messages,
    batches: () => batches,
    /** The next n requests fail with HTTP 500 InternalError. */
    failing: (n: number) => {
      failNext = n;
    },
    close,
  };
}

/** The event Lambda's SQS trigger hands the import worker for these messages. */
export function sqsEvent(received: ReceivedMessage[], receiveCount = 1) {
  return {
    Records: received.map((m) => ({
      messageId: m.messageId,
      receiptHandle: `rh-${m.messageId}`,
      body: m.body,
      attributes: { ApproximateReceiveCount: String(receiveCount) },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(m.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:imports',
      awsRegion: 'us-east-1',
    })),
  };
}
