import { createHash, timingSafeEqual } from 'node:crypto';
import * as v from 'valibot';
import { secretJson } from '../config/secrets.ts';

/*
 * The callback token: byrobot's console takes a URL and nothing else, so the stage's secret rides in
 * the path (`POST /byrobot/callback/{token}`). It is compared in constant time, and never logged,
 * counted or published: the API's access log leaves the path out (infra/stack.ts), the route's
 * logs name the route, not the path.
 */

/** The token locally (`npm start`, tests) unless LOCAL_CALLBACK_TOKEN says otherwise. */
export const LOCAL_CALLBACK_TOKEN = 'local-callback-token';

/** What a token may be: URL-safe, long enough not to be guessed, short enough for a console field. */
export const TokenSchema = v.pipe(
  v.string(),
  v.regex(
    /^[A-Za-z0-9._~-]{16,256}$/,
    'the callback token is 16–256 URL-safe characters (A–Z a–z 0–9 . _ ~ -)',
  ),
);

/** The Secrets Manager secret's shape: `{"token": "…"}`. */
export const CallbackTokenSecretSchema = v.strictObject({ token: TokenSchema });

/**
 * The stage's token from Secrets Manager, read through the same cached getSecret (60 s) as the API
 * keys: a rotated token takes effect within a minute without a redeploy.
 */
export function callbackTokenFromSecret(secretId: string): () => Promise<string> {
  const read = secretJson(secretId, (value) => {
    const result = v.safeParse(CallbackTokenSecretSchema, value);
    if (!result.success) throw new Error(`secret ${secretId}: ${v.summarize(result.issues)}`);
    return result.output.token;
  });
  return read;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Whether the presented token is the stage's: both hashed, so the comparison is constant time. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  return timingSafeEqual(digest(presented ?? ''), digest(expected)) && presented !== undefined;
}
