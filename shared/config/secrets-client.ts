import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

let client: SecretsManagerClient | undefined;

/** A secret's string value from Secrets Manager; the client is created on the first read. */
export async function secretString(secretId: string): Promise<string | undefined> {
  client ??= new SecretsManagerClient({});
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  return out.SecretString;
}
