/** What redacted card data is replaced with (stored, logged and shown as is). */
export const CARD_REDACTION = '[card number removed]';
export const EXPIRY_REDACTION = '[expiry removed]';
export const CVC_REDACTION = '[security code removed]';
