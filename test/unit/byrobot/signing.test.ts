import { describe, expect, it } from 'vitest';
import { computeSignature, httpDate, signRequest } from '../../../shared/byrobot/signing.ts';

describe('Function: computeSignature', () => {
  it('reproduces the pinned vector computed independently with openssl', () => {
    // printf 'demo-key\nMon, 23 Nov 2026 11:38:46 GMT' | openssl dgst -sha1 -hmac 'demo-secret' -binary | base64
    expect(computeSignature('demo-key', 'demo-secret', 'Mon, 23 Nov 2026 11:38:46 GMT')).toBe(
      'Eulh5TLVE8rPeGaMElSJPZulEBw=',
    );
  });

  it('changes when any input changes', () => {
    const base = computeSignature('demo-key', 'demo-secret', 'Mon, 23 Nov 2026 11:38:46 GMT');
    expect(computeSignature('demo-kez', 'demo-secret', 'Mon, 23 Nov 2026 11:38:46 GMT')).not.toBe(base);
    expect(computeSignature('demo-key', 'demo-secreu', 'Mon, 23 Nov 2026 11:38:46 GMT')).not.toBe(base);
    expect(computeSignature('demo-key', 'demo-secret', 'Mon, 23 Nov 2026 11:38:47 GMT')).not.toBe(base);
  });
});

describe('Function: signRequest', () => {
  it('sends the RFC 1123 GMT datetime it signed', () => {
    const headers = signRequest('demo-key', 'demo-secret', new Date(Date.UTC(2026, 10, 23, 11, 38, 46)));
    expect(headers).toEqual({
      datetime: 'Mon, 23 Nov 2026 11:38:46 GMT',
      appkey: 'demo-key',
      sign: 'Eulh5TLVE8rPeGaMElSJPZulEBw=',
    });
    expect(httpDate(new Date(0))).toBe('Thu, 01 Jan 1970 00:00:00 GMT');
  });
});
