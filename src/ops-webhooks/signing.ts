import { Webhook } from 'standardwebhooks';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com), through the convention's own
 * library: `webhook-id` (the event id: the same on every retry, so a receiver deduplicates on it),
 * `webhook-timestamp` (seconds, the time of this attempt: receivers refuse old ones), and
 * `webhook-signature` = `v1,` + base64 HMAC-SHA256 of `id.timestamp.body` with the secret's bytes
 * (OPS_WEBHOOK_SECRET is `whsec_` + base64). A receiver verifies with any Standard Webhooks
 * library: `new Webhook(secret).verify(rawBody, headers)`.
 */

export interface SignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export type WebhookSigner = (id: string, at: Date, body: string) => SignatureHeaders;

export function createWebhookSigner(secret: string): WebhookSigner {
  const webhook = new Webhook(secret);
  return (id, at, body) => ({
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': webhook.sign(id, at, body),
  });
}
