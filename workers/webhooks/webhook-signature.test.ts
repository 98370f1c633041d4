import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './webhook-backoff.js';
import { signWebhook, verifyWebhookSignature } from './webhook-signature.js';

describe('webhook signatures', () => {
  it('HMAC-SHA256 over "timestamp.body", verified with a freshness window', () => {
    const body = '{"id":"1","type":"incident.created"}';
    const sig = signWebhook('s3cret', 1_700_000_000, body);
    expect(sig).toBe(`sha256=${createHmac('sha256', 's3cret').update(`1700000000.${body}`).digest('hex')}`);
    const now = 1_700_000_000_000;
    expect(verifyWebhookSignature('s3cret', sig, '1700000000', body, { nowMs: now + 60_000 })).toBe(true);
    expect(verifyWebhookSignature('s3cret', sig, '1700000000', `${body} `, { nowMs: now })).toBe(false);
    expect(verifyWebhookSignature('other', sig, '1700000000', body, { nowMs: now })).toBe(false);
    expect(verifyWebhookSignature('s3cret', sig, '1700000001', body, { nowMs: now })).toBe(false);
    expect(verifyWebhookSignature('s3cret', sig, '1700000000', body, { nowMs: now + 301_000 })).toBe(false);
    expect(verifyWebhookSignature('s3cret', undefined, '1700000000', body)).toBe(false);
  });
});

describe('webhook backoff', () => {
  it('doubles from the base, caps, and jitters within [d/2, d]', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, { random: () => 0.999999 }))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffDelayMs(1, { random: () => 0 })).toBe(500);
    expect(backoffDelayMs(30, { random: () => 0.999999 })).toBe(600_000);
    expect(backoffDelayMs(1000, { random: () => 0, maxDelayMs: 5000 })).toBe(2500);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelayMs(5);
      expect(d).toBeGreaterThanOrEqual(8000);
      expect(d).toBeLessThanOrEqual(16_000);
    }
  });
});
