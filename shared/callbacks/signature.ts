import { timingSafeEqual } from 'node:crypto';
import { computeSignature } from '../byrobot/signing.ts';

/*
 * byrobot's optional callback signature (`sign`, `dateTime` in `data.data`, "需联系开通": enabled
 * per account on request). byrobot does not publish how `sign` is computed. ASSUMED here, and
 * documented in docs/api.md: the same scheme as byrobot's API request signature
 * (shared/byrobot/signing.ts, reference/byrobot-api-notes.md "Authentication"),
 *
 *     sign = base64( HMAC-SHA1( key = AppSecret, message = AppKey + "\n" + dateTime ) )
 *
 * over the callback's own `dateTime` string as sent, with the bridge's app key and secret; and a
 * `dateTime` more than 10 minutes from our clock is refused (byrobot's own requests allow 3; its
 * retries re-sign, so a fresh dateTime arrives with each try). Off unless the stage enables it
 * (infra/stages.ts `callbacks.signature`); if byrobot's real scheme differs, every signed callback
 * is refused and kept for inspection, so a wrong assumption shows at once, not as lost data.
 */

export const SIGNATURE_TOLERANCE_MS = 10 * 60 * 1000;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function checkCallbackSignature(
  signed: { sign: string | null; dateTime: string | null },
  credentials: { appKey: string; appSecret: string },
  nowMs: number,
): SignatureCheck {
  if (!signed.sign || !signed.dateTime) return { ok: false, reason: 'sign or dateTime missing' };
  const at = Date.parse(signed.dateTime);
  if (Number.isNaN(at)) return { ok: false, reason: 'dateTime is not a date' };
  if (Math.abs(nowMs - at) > SIGNATURE_TOLERANCE_MS)
    return { ok: false, reason: 'dateTime more than 10 minutes from our clock' };
  const expected = Buffer.from(computeSignature(credentials.appKey, credentials.appSecret, signed.dateTime));
  const given = Buffer.from(signed.sign);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'sign does not match' };
  return { ok: true };
}
