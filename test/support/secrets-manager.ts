import { createServer } from 'node:http';
import { text as readText } from 'node:stream/consumers';
import { listen } from '../../dev/listen.ts';

/**
 * A Secrets Manager endpoint for tests that load built bundles: it speaks the service's JSON
 * protocol for GetSecretValue (x-amz-json-1.1, `X-Amz-Target: secretsmanager.GetSecretValue`), so
 * the bundled AWS SDK reads secrets exactly as on Lambda. The SDK finds it through
 * AWS_ENDPOINT_URL_SECRETS_MANAGER. Requests are counted, values never printed.
 */
export async function startSecretsManager(secrets: Record<string, unknown>) {
  const reads: string[] = [];
  const server = createServer(async (req, res) => {
    const body = await readText(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(payload));
    };
    if (target !== 'secretsmanager.GetSecretValue')
      return send(400, { __type: 'UnknownOperationException', message: target });
    const { SecretId } = JSON.parse(body || '{}') as { SecretId?: string };
    if (!SecretId || !Object.hasOwn(secrets, SecretId))
      return send(400, {
        __type: 'ResourceNotFoundException',
        message: 'Secrets Manager can’t find the specified secret.',
      });
    reads.push(SecretId);
    const value = secrets[SecretId];
    send(200, {
      ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${SecretId}-AbCdEf`,
      Name: SecretId,
      VersionId: '00000000-0000-0000-0000-000000000001',
      SecretString: typeof value === 'string' ? value : JSON.stringify(value),
      VersionStages: ['AWSCURRENT'],
      CreatedDate: 1_700_000_000,
    });
  });
  const { url, close } = await listen(server);
  return {
    endpoint: url,
    reads,
    close,
  };
}
