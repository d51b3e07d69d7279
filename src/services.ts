import type { Kysely } from 'kysely';
import { systemClock, fixedClock, type Clock } from './billing/dates.js';
import { createBillingService, type BillingService } from './billing/service.js';
import type { Config } from './config.js';
import type { Database } from './db/index.js';
import type { DB } from './db/schema.js';
import { createToolRegistry, type ToolRegistry } from '../tools/registry.js';
import { createChatService, type ChatLog, type ChatService } from './agent/chat-service.js';
import { createOfflineModel } from './agent/offline/engine.js';
import { createOpenAIModel } from './agent/openai-model.js';
import { loadSystemPrompt, type SystemPrompt } from './agent/prompt.js';
import type { ChatModel } from './agent/types.js';
import { createLinkSigner, type LinkSigner } from './links/signer.js';
import { createPaymentsService, type PaymentsOptions, type PaymentsService } from './payments/service.js';
import { resolveChromium } from './documents/chromium.js';
import { createInvoiceDocuments, type InvoiceDocuments } from './documents/invoice-pdf.js';
import { createPdfPool, type PdfRenderer } from './documents/pdf-pool.js';
import { mailerFor, type Mailer } from './mail/index.js';
import { createMailService, type MailService } from './mail/service.js';
import { createFollowUpService, type FollowUpService } from './followups/service.js';
import { webhookWorkerFor, type WebhookWorker } from './ops-webhooks/worker.js';
import { createPaymentEventBus } from './events/payments.js';
import { createEventRelay, type EventRelay } from './eventlog/relay.js';

/** Everything a door needs, built once and injected (no module reads process.env or opens resources). */
export interface Services {
  config: Config;
  db: Kysely<DB>;
  dbKind: Database['kind'];
  clock: Clock;
  billing: BillingService;
  links: LinkSigner;
  registry: ToolRegistry;
  model: ChatModel;
  prompt: SystemPrompt;
  chat: ChatService;
  /** Pay Now (Stripe Checkout or the sandbox), webhooks, reconciliation, payment events. */
  payments: PaymentsService;
  /** Pooled Chromium for PDFs (launched lazily; the app closes it on shutdown). */
  pdf: PdfRenderer;
  documents: InvoiceDocuments;
  mail: MailService;
  /** Requests handed to the accounts-receivable team (stored, then emailed to AR_TEAM_EMAIL). */
  followUps: FollowUpService;
  /** Outbound webhooks of the event feed (null without OPS_WEBHOOK_URLS); the app starts and stops it. */
  opsWebhooks: WebhookWorker | null;
  /**
   * Carries the event log to this process's payment event bus (`payments.bus`), whichever replica
   * recorded the event (src/eventlog/relay.ts); the app starts it when ready and stops it on close.
   */
  relay: EventRelay;
}

export function clockFor(config: Config): Clock {
  return config.FIXED_TODAY ? fixedClock(config.FIXED_TODAY) : systemClock(config.BILLING_TIME_ZONE);
}

/** The configured model: an OpenAI-compatible endpoint when one is configured, else the offline engine. */
export function modelFor(config: Config, clock: Clock): ChatModel {
  if (config.openai.enabled && config.OPENAI_MODEL) {
    return createOpenAIModel({
      apiKey: config.OPENAI_API_KEY,
      baseURL: config.OPENAI_BASE_URL,
      model: config.OPENAI_MODEL,
      timeoutMs: config.OPENAI_TIMEOUT_MS,
      maxRetries: config.OPENAI_MAX_RETRIES,
    });
  }
  return createOfflineModel({ today: () => clock.today() });
}

export function createServices(deps: {
  config: Config;
  database: Database;
  clock?: Clock;
  /** The app's logger; warn/error (when present) are used by the PDF pool and mail. */
  logger?: ChatLog & { warn?(obj: object, msg: string): void; error?(obj: object, msg: string): void };
  model?: ChatModel;
  registry?: ToolRegistry;
  /** Payments overrides (tests: processor, wall clock, fault hooks). */
  payments?: PaymentsOptions;
  /** Inject a mail transport (tests) instead of the configured one. */
  mailer?: Mailer;
  /** Inject a PDF renderer (tests, evals without Chromium) instead of the Chromium pool. */
  pdf?: PdfRenderer;
  /** Wall-clock time for proposal expiry (evals move it forward). */
  now?: () => Date;
}): Services {
  const { config } = deps;
  const clock = deps.clock ?? clockFor(config);
  const db = deps.database.db;
  const billing = createBillingService({ db, clock });
  const links = createLinkSigner({ keys: config.linkKeys, ttlSeconds: config.LINK_TTL_SECONDS, baseUrl: config.publicBaseUrl, now: () => clock.now() });
  const registry = deps.registry ?? createToolRegistry();
  const model = deps.model ?? modelFor(config, clock);
  const prompt = loadSystemPrompt();
  // Documents and mail.
  const log = {
    info: (o: object, m: string) => deps.logger?.info(o, m),
    warn: (o: object, m: string) => deps.logger?.warn?.(o, m),
    error: (o: object, m: string) => deps.logger?.error?.(o, m),
  };
  if (!deps.pdf) {
    const chromium = resolveChromium(config);
    if (!chromium.ok) log.warn({}, chromium.message);
  }
  const pdf = deps.pdf ?? createPdfPool({ size: config.PDF_POOL_SIZE, queueMax: config.PDF_QUEUE_MAX, resolveExecutable: () => resolveChromium(config), logger: log });
  const documents = createInvoiceDocuments({ billing, links, pdf, linkTtlSeconds: config.LINK_TTL_SECONDS, timeZone: config.BILLING_TIME_ZONE, now: () => clock.now() });
  const mail = createMailService({
    db,
    mailer: deps.mailer ?? mailerFor(config, db, log),
    billing,
    documents,
    links,
    from: config.MAIL_FROM,
    perHour: config.EMAIL_SENDS_PER_HOUR,
    duplicateWindowMinutes: config.EMAIL_DUPLICATE_WINDOW_MINUTES,
    timeZone: config.BILLING_TIME_ZONE,
    operatorHints: config.NODE_ENV !== 'production',
    logger: log,
  });
  const followUps = createFollowUpService({ db, mailer: mail.mailer, arTeamEmail: config.arTeamEmail, mailFrom: config.MAIL_FROM, logger: log });
  const chat = createChatService({
    db,
    model,
    registry,
    links,
    clock,
    billing,
    prompt,
    maxRounds: config.AGENT_MAX_ROUNDS,
    toolTimeoutMs: config.AGENT_TOOL_TIMEOUT_MS,
    ...(deps.logger ? { logger: deps.logger } : {}),
    logPrompts: config.LOG_PROMPTS,
    mail: mail.emailer,
    extras: { followUps: followUps.requester },
    proposalTtlMs: config.PROPOSAL_TTL_MINUTES * 60_000,
    ...(deps.now ? { now: deps.now } : {}),
  });
  // Payment events reach the chat streams only through the event log: the relay reads it (on a
  // notification, after this process commits a payment, and on a backstop poll) and publishes here.
  const bus = deps.payments?.bus ?? createPaymentEventBus({ onListenerError: (err) => log.error({ err }, 'payment event listener failed') });
  const relay = createEventRelay({ db, listen: deps.database.listen, bus, log, pollMs: config.EVENTS_POLL_MS });
  const payments = createPaymentsService({ db, config, clock, billing, log, ...deps.payments, bus, committed: () => relay.poke() });
  const opsWebhooks = webhookWorkerFor(config, db, log);
  return { config, db, dbKind: deps.database.kind, clock, billing, links, registry, model, prompt, chat, pdf, documents, mail, payments, followUps, opsWebhooks, relay };
}
