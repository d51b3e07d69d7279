import { randomUUID } from 'node:crypto';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Config } from '../config.js';

/**
 * Traces (OpenTelemetry), on only when there is somewhere to send them: OTEL_EXPORTER_OTLP_ENDPOINT
 * (OTLP over HTTP, JSON) or an exporter a test hands in. Off, nothing is registered: the API's
 * no-op tracer answers every `startActiveSpan` with a non-recording span, so the agent's spans
 * (src/telemetry/genai.ts) cost a function call, no fastify hook is added and pg is not patched.
 *
 * On: spans per request (@fastify/otel, registered by src/app.ts through `fastifyTracing()`), per
 * pg query inside a request or a turn (@opentelemetry/instrumentation-pg) and per turn, model
 * call and tool call (genai.ts).
 */

type TracingConfig = Pick<Config, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_SERVICE_NAME' | 'LOG_PROMPTS'>;

interface Tracing {
  provider: NodeTracerProvider;
  fastify: FastifyOtelInstrumentation;
  unregister: () => void;
  recordContent: boolean;
}

let active: Tracing | null = null;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Paths whose spans would only be noise: probes and scrapes every few seconds. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Starts tracing when OTEL_EXPORTER_OTLP_ENDPOINT is set or `opts.exporter` is given; returns
 * whether it did. Call it before `pg` is first evaluated (src/telemetry/register.ts, the first
 * import of src/server.ts) for pg spans; the rest works whenever it is called before buildApp.
 */
export function startTracing(config: TracingConfig, opts: { exporter?: SpanExporter } = {}): boolean {
  if (active) throw new Error('startTracing: tracing is already started');
  const endpoint = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!opts.exporter && !endpoint) return false;
  // The OTLP endpoint is a base URL; traces go to its /v1/traces (the OTLP/HTTP specification).
  // OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT and _COMPRESSION are read by the exporter itself.
  const exporter = opts.exporter ?? new OTLPTraceExporter({ url: `${endpoint!.replace(/\/+$/, '')}/v1/traces` });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME, [ATTR_SERVICE_INSTANCE_ID]: randomUUID() }),
    // A test's exporter sees each span as it ends; OTLP gets batches (off the request path).
    spanProcessors: [opts.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  // Global tracer provider, AsyncLocalStorage context and W3C trace-context propagation
  // (@fastify/otel continues a caller's `traceparent`).
  provider.register();
  const fastify = new FastifyOtelInstrumentation({
    // The request span and the handler span; of the hooks only onRequest (authentication, rate limits).
    instrumentHooks: ['onRequest'],
    ignorePaths: (route) => QUIET_PATHS.has(route.url),
    // HTTP semantic conventions name a server span "{method} {route}".
    requestHook: (span, request) => {
      span.updateName(`${request.method} ${request.routeOptions.url ?? ''}`.trim());
    },
    // A hook's or handler's span is named after the function when it has a name ("onRequest rateLimitHook"),
    // else after the stage alone: @fastify/otel would use the source text of an anonymous plugin.
    lifecycleHook: (span, info) => {
      span.updateName(info.handler && IDENTIFIER.test(info.handler) ? `${info.hookName} ${info.handler}` : info.hookName);
    },
  });
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // Only queries inside a traced request or turn: pollers (outbound webhooks, the event relay)
      // would otherwise start a trace of their own every few seconds. Parameter values are never
      // recorded (enhancedDatabaseReporting stays off): statements carry placeholders only.
      new PgInstrumentation({ requireParentSpan: true }),
      fastify,
    ],
  });
  active = { provider, fastify, unregister, recordContent: config.LOG_PROMPTS };
  return true;
}

/** Whether tracing is on. */
export function tracingEnabled(): boolean {
  return active !== null;
}

/** Whether spans may carry message text, prompts and tool arguments (LOG_PROMPTS). */
export function recordContent(): boolean {
  return active?.recordContent ?? false;
}

/** The @fastify/otel plugin to register before the routes, or null when tracing is off. */
export function fastifyTracing(): ReturnType<FastifyOtelInstrumentation['plugin']> | null {
  return active ? active.fastify.plugin() : null;
}

/** Sends the spans still batched (the app's close: the process exits right after). */
export async function flushTracing(): Promise<void> {
  await active?.provider.forceFlush();
}

/** Stops tracing and unregisters everything (tests). */
export async function stopTracing(): Promise<void> {
  if (!active) return;
  const { provider, unregister } = active;
  active = null;
  unregister();
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
}
