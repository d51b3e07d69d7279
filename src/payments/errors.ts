import { AppError } from '../errors.js';

/** The webhook's signature (or its header) is missing or does not verify: 400, nothing written. */
export class WebhookSignatureError extends AppError {
  constructor(message: string) {
    super(400, 'invalid_signature', message);
  }
}

/** The processor could not create a session (network, Stripe error): the reseller may retry. */
export class CheckoutUnavailableError extends AppError {
  constructor(cause: unknown) {
    super(503, 'checkout_unavailable', 'The payment processor is not reachable right now', { cause });
  }
}
