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
import { createLinkSigner, type LinkSigner } from './payments/links.js';

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
  logger?: ChatLog;
  model?: ChatModel;
  registry?: ToolRegistry;
}): Services {
  const { config } = deps;
  const clock = deps.clock ?? clockFor(config);
  const db = deps.database.db;
  const billing = createBillingService({ db, clock });
  const links = createLinkSigner({ keys: config.linkKeys, ttlSeconds: config.LINK_TTL_SECONDS, baseUrl: config.publicBaseUrl, now: () => clock.now() });
  const registry = deps.registry ?? createToolRegistry();
  const model = deps.model ?? modelFor(config, clock);
  const prompt = loadSystemPrompt();
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
  });
  return { config, db, dbKind: deps.database.kind, clock, billing, links, registry, model, prompt, chat };
}
