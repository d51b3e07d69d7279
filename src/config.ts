import { z } from 'zod';
import { LINK_KEY_ID_RE } from './links/key-id.js';

/** The JWT secret shipped for local development. `npm run token` only works with it, and production refuses it. */
export const DEV_JWT_SECRET = 'dev-only-portal-secret-change-me-0123456789';
/** The link-signing key shipped for local development; production refuses it. */
export const DEV_LINK_KEY = 'dev-only-link-key-change-me-0123456789abcdef';
/** The sender shipped for local development (the outbox); production refuses it. */
export const DEV_MAIL_FROM = 'Randmar Billing <billing@randmar.example>';
/** Where follow-up requests go in development (the outbox); production requires AR_TEAM_EMAIL. */
export const DEV_AR_TEAM_EMAIL = 'ar-team@randmar.example';
/** The webhook secret the sandbox checkout signs with in development; production refuses it. */
export const DEV_STRIPE_WEBHOOK_SECRET = 'whsec_dev_only_sandbox_change_me_0123456789';
/** The operator-token secret shipped for local development. `npm run token -- --ops` only works with it, and production refuses it. */
export const DEV_OPS_JWT_SECRET = 'dev-only-operator-secret-change-me-0123456789';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');

/**
 * Every environment variable the service reads. Unknown variables with our prefixes are rejected
 * so that a typo never silently falls back to a default.
 */
const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    PUBLIC_BASE_URL: z.url().optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_PRETTY: bool.optional().describe('human-readable log lines (pino-pretty); unset = on outside production when stdout is a terminal'),

    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
      .optional(),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
    EVENTS_POLL_MS: z.coerce.number().int().min(100).max(600_000).default(5000).describe('backstop poll of the cross-replica event relay (it reads at once on a notification)'),
    PGLITE_DATA_DIR: z.string().min(1).default('./data/pglite'),
    AUTO_MIGRATE: bool.default(true),
    AUTO_SEED: bool.default(true),

    AUTH_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEV_JWT_SECRET),
    AUTH_JWT_ISSUER: z.string().min(1).default('reseller-portal'),
    AUTH_JWT_AUDIENCE: z.string().min(1).default('billing-assistant'),
    // Operator tokens (/v1/ops: the billing system, operations staff): their own secret and audience (src/identity/operator.ts).
    OPS_JWT_SECRET: z
      .string()
      .min(32, 'must be at least 32 characters')
      .optional()
      .describe(`default ${DEV_OPS_JWT_SECRET} outside production; unset in production = the operator API is off`),
    OPS_JWT_AUDIENCE: z.string().min(1).default('billing-assistant-ops'),

    LINK_SIGNING_KEYS: z
      .string()
      .min(1)
      .default(`k1:${DEV_LINK_KEY}`)
      .describe('comma-separated kid:secret pairs; the first signs, all verify'),
    LINK_TTL_SECONDS: z.coerce.number().int().min(60).max(60 * 60 * 24 * 30).default(60 * 60 * 24 * 7),

    BILLING_TIME_ZONE: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en-CA', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'unknown IANA time zone')
      .default('America/Toronto'),
    FIXED_TODAY: isoDate.optional().describe('pins the clock (demo, evals); never in production'),

    OPENAI_API_KEY: z.string().min(1).optional(),
    OPENAI_BASE_URL: z.url().optional(),
    OPENAI_MODEL: z.string().min(1).optional(),
    OPENAI_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(60_000),
    OPENAI_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),

    AGENT_MAX_ROUNDS: z.coerce.number().int().min(1).max(20).default(6),
    AGENT_TOOL_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    PROPOSAL_TTL_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(10),
    CHAT_MAX_MESSAGE_CHARS: z.coerce.number().int().min(100).max(100_000).default(4000),
    CHAT_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(30).describe('chat messages and confirm-card decisions, per account'),

    // Rate limits (src/http/limits.ts): requests per minute by route family; README "Rate limits".
    RATE_LIMIT_READS_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(300).describe('authenticated reads, per account'),
    RATE_LIMIT_PDF_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10).describe('invoice PDFs, per account'),
    RATE_LIMIT_CONTACT_WRITES_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10).describe('billing contacts added or removed, per account'),
    RATE_LIMIT_PUBLIC_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(120).describe('pages without a session (pay pages, widget.js), per IP'),
    RATE_LIMIT_OPS_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(6000).describe('operator API calls (/v1/ops), per operator'),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL')
      .optional()
      .describe('unset = the limits count in memory, per replica'),
    RATE_LIMIT_REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'expected 1-64 of [A-Za-z0-9:_.-]')
      .default('billing-assistant:rate-limit:'),
    LOG_PROMPTS: bool.default(false).describe('prompts in the debug log and message text, tool arguments and results on trace spans'),

    // Traces and metrics (src/telemetry; README "Traces and metrics").
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional().describe('OTLP/HTTP base URL (traces go to its /v1/traces); unset = no traces'),
    OTEL_SERVICE_NAME: z.string().min(1).default('billing-assistant'),
    METRICS_TOKEN: z
      .string()
      .min(16, 'must be at least 16 characters')
      .optional()
      .describe('Bearer token GET /metrics requires in production; unset in production = /metrics answers 404'),

    CORS_ORIGINS: z.string().default('').describe('comma-separated origins allowed to call the API'),

    // The MCP server at /mcp (src/mcp, src/http/routes/mcp.ts; README "Billing tools over MCP").
    MCP_AUTHORIZATION_SERVER: z
      .url()
      .optional()
      .describe('the OAuth authorization server (issuer URL) named in /.well-known/oauth-protected-resource: the portal\'s in production; default PUBLIC_BASE_URL'),
    MCP_ALLOWED_ORIGINS: z
      .string()
      .default('')
      .describe('comma-separated origins of browser-based MCP clients allowed to call /mcp (besides PUBLIC_BASE_URL\'s); any other Origin gets 403'),

    STRIPE_SECRET_KEY: z
      .string()
      .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/, 'expected a Stripe secret or restricted key (sk_test_..., sk_live_..., rk_...)')
      .optional()
      .describe('unset = the built-in sandbox checkout (development only)'),
    STRIPE_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').default(DEV_STRIPE_WEBHOOK_SECRET),
    STRIPE_MAX_NETWORK_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
    CHECKOUT_SESSION_TTL_MINUTES: z.coerce
      .number()
      .int()
      .min(30, 'Stripe needs at least 30 minutes')
      .max(23 * 60, 'at most 1380 (Stripe allows 24 hours, less the idempotency time bucket)')
      .default(30),

    // Invoice documents and mail (documents/, mail/).
    RESEND_API_KEY: z.string().min(1).optional().describe('unset = the local outbox (development only)'),
    RESEND_BASE_URL: z.url().default('https://api.resend.com'),
    MAIL_FROM: z
      .string()
      .regex(/^(?:[^<>\r\n]+ <[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/, 'expected "Name <address>" or an address')
      .default(DEV_MAIL_FROM),
    AR_TEAM_EMAIL: z
      .email('expected one email address')
      .optional()
      .describe(`the accounts-receivable team, who receive follow-up requests; default ${DEV_AR_TEAM_EMAIL} outside production`),
    OUTBOX_DIR: z.string().min(1).optional().describe('default ./data/outbox (NODE_ENV=test: a temporary directory)'),
    EMAIL_SENDS_PER_HOUR: z.coerce.number().int().min(1).max(10_000).default(20),
    EMAIL_DUPLICATE_WINDOW_MINUTES: z.coerce.number().int().min(0).max(24 * 60).default(10),
    PDF_POOL_SIZE: z.coerce.number().int().min(1).max(16).default(2),
    PDF_QUEUE_MAX: z.coerce.number().int().min(0).max(10_000).default(20),
    CHROMIUM_PATH: z.string().min(1).optional(),
    PUPPETEER_EXECUTABLE_PATH: z.string().min(1).optional().describe('read as a fallback for CHROMIUM_PATH'),

    // Outbound webhooks of the events feed (src/ops-webhooks; README "Events and webhooks").
    OPS_WEBHOOK_URLS: z.string().default('').describe('comma-separated receiver URLs; unset = no outbound webhooks (GET /v1/ops/events still answers)'),
    OPS_WEBHOOK_SECRET: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/, 'expected whsec_ and the base64 of 24 to 64 random bytes (Standard Webhooks)')
      .optional()
      .describe('signs every delivery; required when OPS_WEBHOOK_URLS is set'),
    OPS_WEBHOOK_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
    OPS_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(30_000).describe('first retry after about this; doubled each attempt, with jitter'),
    OPS_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(30).default(10),
    OPS_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  })
  .strict();

export type Config = Readonly<
  z.infer<typeof envSchema> & {
    publicBaseUrl: string;
    linkKeys: ReadonlyArray<{ kid: string; secret: string }>;
    corsOrigins: readonly string[];
    openai: { enabled: boolean };
    /** Stripe Checkout when STRIPE_SECRET_KEY is set, else the built-in sandbox processor. */
    payments: { mode: 'stripe' | 'sandbox' };
    /** AR_TEAM_EMAIL, else the development address (production requires the variable). */
    arTeamEmail: string;
    /** OPS_WEBHOOK_URLS, checked: each event is delivered to every one of them (empty: no worker). */
    opsWebhookUrls: readonly string[];
    /** Origins allowed to call /mcp: PUBLIC_BASE_URL's and MCP_ALLOWED_ORIGINS. */
    mcpAllowedOrigins: readonly string[];
    /** MCP_AUTHORIZATION_SERVER, else the public base URL. */
    mcpAuthorizationServer: string;
  }
>;

/** Variables that belong to us: anything else in the environment is ignored, ours must be known. */
const OUR_PREFIXES = ['AUTH_', 'OPS_', 'LINK_', 'AGENT_', 'CHAT_', 'RATE_LIMIT_', 'PGLITE_', 'DATABASE_', 'BILLING_', 'OPENAI_', 'AUTO_', 'STRIPE_', 'CHECKOUT_', 'RESEND_', 'MAIL_', 'EMAIL_', 'PDF_', 'OUTBOX_', 'CHROMIUM_', 'AR_TEAM_', 'MCP_', 'METRICS_'];

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const known = new Set(Object.keys(envSchema.shape));
  const picked: Record<string, string> = {};
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || value === '') continue;
    if (known.has(key)) picked[key] = value;
    else if (OUR_PREFIXES.some((p) => key.startsWith(p)) && !key.startsWith('OPENAI_ORG')) unknown.push(key);
  }
  if (unknown.length > 0) {
    throw new ConfigError(`Unknown configuration variable(s): ${unknown.sort().join(', ')}`);
  }
  const parsed = envSchema.safeParse(picked);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;

  const linkKeys = c.LINK_SIGNING_KEYS.split(',').map((pair) => {
    const idx = pair.indexOf(':');
    const kid = pair.slice(0, idx).trim();
    const secret = pair.slice(idx + 1).trim();
    if (idx <= 0 || !LINK_KEY_ID_RE.test(kid) || secret.length < 32) {
      throw new ConfigError(
        'Invalid configuration:\n  LINK_SIGNING_KEYS: expected kid:secret pairs (kid 1-16 of [A-Za-z0-9_-], secret >= 32 chars)',
      );
    }
    return { kid, secret };
  });
  if (new Set(linkKeys.map((k) => k.kid)).size !== linkKeys.length) {
    throw new ConfigError('Invalid configuration:\n  LINK_SIGNING_KEYS: duplicate key id');
  }

  if (c.NODE_ENV === 'production') {
    const problems: string[] = [];
    if (c.AUTH_JWT_SECRET === DEV_JWT_SECRET) problems.push('  AUTH_JWT_SECRET: the development default is not allowed in production');
    if (c.OPS_JWT_SECRET === DEV_OPS_JWT_SECRET) problems.push('  OPS_JWT_SECRET: the development default is not allowed in production');
    if (c.OPS_JWT_SECRET === c.AUTH_JWT_SECRET) problems.push('  OPS_JWT_SECRET: must differ from AUTH_JWT_SECRET (operator and portal tokens are kept apart)');
    if (linkKeys.some((k) => k.secret === DEV_LINK_KEY)) problems.push('  LINK_SIGNING_KEYS: the development default is not allowed in production');
    if (c.FIXED_TODAY) problems.push('  FIXED_TODAY: a pinned clock is not allowed in production');
    if (!c.DATABASE_URL) problems.push('  DATABASE_URL: production needs PostgreSQL (the embedded PGlite is for development)');
    if (!c.PUBLIC_BASE_URL) problems.push('  PUBLIC_BASE_URL: production needs the public URL used in signed links');
    if (!c.STRIPE_SECRET_KEY) problems.push('  STRIPE_SECRET_KEY: production needs Stripe (the sandbox checkout is for development)');
    if (c.STRIPE_WEBHOOK_SECRET === DEV_STRIPE_WEBHOOK_SECRET) problems.push('  STRIPE_WEBHOOK_SECRET: the development default is not allowed in production');
    if (!c.RESEND_API_KEY) problems.push('  RESEND_API_KEY: production sends real email (the local outbox is for development)');
    if (!c.AR_TEAM_EMAIL) problems.push('  AR_TEAM_EMAIL: production needs the address of the accounts-receivable team (follow-up requests are emailed there)');
    if (c.MAIL_FROM === DEV_MAIL_FROM) problems.push('  MAIL_FROM: the development sender is not allowed in production (use an address on a domain verified in Resend)');
    if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  if (c.OPENAI_BASE_URL && !c.OPENAI_MODEL) {
    throw new ConfigError('Invalid configuration:\n  OPENAI_MODEL: required when OPENAI_BASE_URL is set');
  }

  const publicBaseUrl = (c.PUBLIC_BASE_URL ?? `http://localhost:${c.PORT}`).replace(/\/+$/, '');
  const corsOrigins = c.CORS_ORIGINS.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (corsOrigins.includes('*')) {
    throw new ConfigError('Invalid configuration:\n  CORS_ORIGINS: "*" is not allowed; list the portal origins');
  }
  const openaiEnabled = Boolean(c.OPENAI_MODEL && (c.OPENAI_API_KEY || c.OPENAI_BASE_URL));
  const opsWebhookUrls = checkedWebhookUrls(c.OPS_WEBHOOK_URLS, c.OPS_WEBHOOK_SECRET, c.NODE_ENV === 'production');
  const mcpAllowedOrigins = checkedOrigins(c.MCP_ALLOWED_ORIGINS, publicBaseUrl);

  return Object.freeze({
    ...c,
    publicBaseUrl,
    linkKeys: Object.freeze(linkKeys),
    corsOrigins: Object.freeze(corsOrigins),
    openai: Object.freeze({ enabled: openaiEnabled }),
    payments: Object.freeze({ mode: c.STRIPE_SECRET_KEY ? ('stripe' as const) : ('sandbox' as const) }),
    arTeamEmail: c.AR_TEAM_EMAIL ?? DEV_AR_TEAM_EMAIL,
    opsWebhookUrls: Object.freeze(opsWebhookUrls),
    mcpAllowedOrigins: Object.freeze(mcpAllowedOrigins),
    mcpAuthorizationServer: (c.MCP_AUTHORIZATION_SERVER ?? publicBaseUrl).replace(/\/+$/, ''),
    // Production without it: no operator token verifies (/v1/ops answers 401); a deployment without a billing system needs none.
    OPS_JWT_SECRET: c.OPS_JWT_SECRET ?? (c.NODE_ENV === 'production' ? undefined : DEV_OPS_JWT_SECRET),
  });
}

/** OPS_WEBHOOK_URLS as a list: absolute http(s) URLs (https in production), none twice, and a secret to sign with. */
function checkedWebhookUrls(list: string, secret: string | undefined, production: boolean): string[] {
  const urls = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const problems: string[] = [];
  for (const [i, u] of urls.entries()) {
    const parsed = URL.canParse(u) ? new URL(u) : null;
    // Named by position: a URL may carry a token, and configuration errors are printed.
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol)) problems.push(`  OPS_WEBHOOK_URLS: entry ${i + 1} is not an http(s) URL`);
    else if (production && parsed.protocol !== 'https:') problems.push(`  OPS_WEBHOOK_URLS: production delivers over https only (${parsed.origin})`);
  }
  if (new Set(urls).size !== urls.length) problems.push('  OPS_WEBHOOK_URLS: a URL is listed twice');
  if (urls.length > 0 && !secret) problems.push('  OPS_WEBHOOK_SECRET: required when OPS_WEBHOOK_URLS is set (every delivery is signed)');
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  return urls;
}

/** MCP_ALLOWED_ORIGINS as origins (scheme, host, port; no path, no "*"), after the public base URL's own. */
function checkedOrigins(list: string, publicBaseUrl: string): string[] {
  const origins = [new URL(publicBaseUrl).origin];
  for (const [i, entry] of list.split(',').map((s) => s.trim()).filter(Boolean).entries()) {
    const parsed = URL.canParse(entry) ? new URL(entry) : null;
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== entry.replace(/\/$/, '').toLowerCase()) {
      throw new ConfigError(`Invalid configuration:\n  MCP_ALLOWED_ORIGINS: entry ${i + 1} is not an origin (https://host[:port], no path; "*" is not allowed)`);
    }
    if (!origins.includes(parsed.origin)) origins.push(parsed.origin);
  }
  return origins;
}

/** A config for tests and tools: defaults plus overrides, never reading process.env. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', AUTO_SEED: 'false', ...overrides });
}
