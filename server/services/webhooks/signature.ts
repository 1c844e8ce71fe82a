/**
 * The signature of a webhook delivery (README "Webhooks"), as Stripe's: the header
 * `X-Vmango-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the secret>`.
 * A receiver recomputes v1 over the exact body bytes it got and refuses an old t (replays).
 */
import { createHmac } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Vmango-Signature';

export function signatureOf(secret: string, unixSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
}

export function signatureHeader(secret: string, unixSeconds: number, body: string): string {
  return `t=${unixSeconds},v1=${signatureOf(secret, unixSeconds, body)}`;
}
