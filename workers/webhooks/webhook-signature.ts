/**
 * Webhook signatures. Each request carries
 *   X-IOCV-Timestamp: <unix seconds>
 *   X-IOCV-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *   X-IOCV-Event-Id:  <incident event id> (receivers dedupe on it: delivery is at-least-once)
 * Receivers verify with `verifyWebhookSignature` and reject timestamps outside a tolerance (replay protection).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-iocv-signature';
export const TIMESTAMP_HEADER = 'x-iocv-timestamp';
export const EVENT_ID_HEADER = 'x-iocv-event-id';
export const EVENT_TYPE_HEADER = 'x-iocv-event-type';
export const ATTEMPT_HEADER = 'x-iocv-delivery-attempt';

export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

export interface VerifyOptions {
  /** Accepted clock difference, s. @default 300 */
  toleranceSeconds?: number;
  nowMs?: number;
}

/** True when the signature matches and the timestamp is fresh. */
export function verifyWebhookSignature(secret: string, signature: string | undefined, timestamp: string | undefined, body: string, opts: VerifyOptions = {}): boolean {
  if (!signature || !timestamp || !/^\d+$/.test(timestamp)) return false;
  const ts = Number(timestamp);
  const now = (opts.nowMs ?? Date.now()) / 1000;
  if (Math.abs(now - ts) > (opts.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, ts, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
