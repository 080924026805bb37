import { createHmac } from 'node:crypto';

/** The three headers byrobot authenticates every request with. */
export interface SignedHeaders {
  datetime: string;
  appkey: string;
  sign: string;
}

/**
 * byrobot's request signature: base64(HMAC-SHA1(key = AppSecret, message = AppKey + "\n" + datetime)).
 * The body is not signed. See shared notes "Authentication" and byrobot's overview (认证).
 */
export function computeSignature(appKey: string, appSecret: string, datetime: string): string {
  return createHmac('sha1', appSecret).update(`${appKey}\n${datetime}`, 'utf8').digest('base64');
}

/** RFC 1123 GMT date, e.g. `Mon, 23 Nov 2026 11:38:46 GMT` (what Date#toUTCString produces). */
export function httpDate(date: Date): string {
  return date.toUTCString();
}

export function signRequest(appKey: string, appSecret: string, now: Date): SignedHeaders {
  const datetime = httpDate(now);
  return { datetime, appkey: appKey, sign: computeSignature(appKey, appSecret, datetime) };
}
