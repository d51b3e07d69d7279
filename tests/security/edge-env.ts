/**
 * The rate limits out of the way for the edge suites (logs, input checks, framework errors): they
 * send hundreds of requests from one account and one address, and test what a request gets, not
 * how many are allowed (tests/security/rate-limits.test.ts does).
 */
export const NO_LIMITS: Record<string, string> = {
  CHAT_RATE_LIMIT_PER_MINUTE: '10000',
  RATE_LIMIT_READS_PER_MINUTE: '100000',
  RATE_LIMIT_PDF_PER_MINUTE: '10000',
  RATE_LIMIT_CONTACT_WRITES_PER_MINUTE: '10000',
  RATE_LIMIT_PUBLIC_PER_MINUTE: '100000',
};
