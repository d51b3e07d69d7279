import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { NGINX_CONF, renderNginxConfig } from '../helpers/replicas.js';

/**
 * docker-compose.yml and deploy/nginx.conf, read as data (there is no Docker daemon here): three
 * replicas of the image over one PostgreSQL and one Redis, nginx in front with the proxy settings
 * server-sent events need, healthchecks and start order. tests/integration/replicas.test.ts runs
 * the same nginx.conf in front of three local servers.
 */

interface Healthcheck {
  test: string[];
  interval?: string;
}
interface Service {
  build?: string;
  image?: string;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: Healthcheck;
  volumes?: string[];
  ports?: string[];
  command?: string[];
  stop_grace_period?: string;
}

const compose = parse(fs.readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const services = compose.services;
const APPS = ['app1', 'app2', 'app3'];
const nginxConf = fs.readFileSync(NGINX_CONF, 'utf8');

/** Compose's interpolation of `${NAME:-default}` and `${NAME}` with nothing set in the shell. */
function interpolate(value: string, shell: Record<string, string> = {}): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_m, name: string, fallback?: string) => shell[name] || (fallback ?? ''));
}

function appEnv(name: string, shell: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(services[name]!.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), shell)]));
}

describe('docker-compose.yml', () => {
  it('has three app replicas of the image, PostgreSQL, Redis and nginx', () => {
    expect(Object.keys(services).sort()).toStrictEqual(['app1', 'app2', 'app3', 'nginx', 'postgres', 'redis']);
    for (const app of APPS) {
      expect(services[app]!.build).toBe('.');
      expect(services[app]!.image).toBe('billing-assistant:local');
    }
    expect(services['postgres']!.image).toMatch(/^postgres:\d+/);
    expect(services['redis']!.image).toMatch(/^redis:\d+/);
    expect(services['nginx']!.image).toMatch(/^nginx:\d+\.\d+/);
    expect(fs.existsSync(path.join(PROJECT_ROOT, 'Dockerfile'))).toBe(true);
  });

  it('every replica shares one database (the postgres service, its credentials) and one Redis, and listens on all interfaces', () => {
    const pgEnv = services['postgres']!.environment!;
    for (const app of APPS) {
      const env = appEnv(app);
      const db = new URL(env['DATABASE_URL']!);
      expect(db.protocol).toBe('postgres:');
      expect(db.hostname).toBe('postgres');
      expect(db.username).toBe(pgEnv['POSTGRES_USER']);
      expect(db.password).toBe(interpolate(pgEnv['POSTGRES_PASSWORD']!));
      expect(db.pathname).toBe(`/${pgEnv['POSTGRES_DB']}`);
      expect(env['REDIS_URL']).toBe('redis://redis:6379');
      expect(env['HOST']).toBe('0.0.0.0');
      expect(env['PORT']).toBe('3000');
      expect(env['NODE_ENV']).toBe('production');
    }
    // The same settings everywhere but the replica's own service name.
    const strip = (e: Record<string, string>) => ({ ...e, OTEL_SERVICE_NAME: '' });
    expect(strip(appEnv('app2'))).toStrictEqual(strip(appEnv('app1')));
    expect(strip(appEnv('app3'))).toStrictEqual(strip(appEnv('app1')));
    expect(new Set(APPS.map((a) => appEnv(a)['OTEL_SERVICE_NAME'])).size).toBe(3);
    // Connections: replicas x pool stay under PostgreSQL's default max_connections (100), with room for psql and migrations.
    expect(APPS.length * Number(appEnv('app1')['DATABASE_POOL_MAX'])).toBeLessThanOrEqual(80);
  });

  it('the replicas environment is what src/config.ts reads: a demo starts; production without secrets is refused and says what is missing', () => {
    const demo = loadConfig(appEnv('app1', { NODE_ENV: 'development' }));
    expect(demo.DATABASE_URL).toMatch(/@postgres:5432\/billing$/);
    expect(demo.REDIS_URL).toBe('redis://redis:6379');
    expect(demo.payments.mode).toBe('sandbox');

    let refused: unknown;
    try {
      loadConfig(appEnv('app1'));
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(ConfigError);
    const message = (refused as ConfigError).message;
    for (const name of ['AUTH_JWT_SECRET', 'LINK_SIGNING_KEYS', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'RESEND_API_KEY', 'AR_TEAM_EMAIL', 'MAIL_FROM']) expect(message).toContain(name);

    const production = loadConfig(
      appEnv('app1', {
        AUTH_JWT_SECRET: 'a'.repeat(40),
        OPS_JWT_SECRET: 'b'.repeat(40),
        LINK_SIGNING_KEYS: `k1:${'c'.repeat(40)}`,
        STRIPE_SECRET_KEY: 'sk_live_compose',
        STRIPE_WEBHOOK_SECRET: 'whsec_compose_0123456789',
        RESEND_API_KEY: 're_compose',
        MAIL_FROM: 'Billing <billing@example.com>',
        AR_TEAM_EMAIL: 'ar@example.com',
        PUBLIC_BASE_URL: 'https://billing.example.com',
      }),
    );
    expect(production.NODE_ENV).toBe('production');
    expect(production.publicBaseUrl).toBe('https://billing.example.com');
  });

  it('healthchecks: replicas ready when their database answers; PostgreSQL, Redis and the proxy checked too', () => {
    for (const app of APPS) {
      const test = services[app]!.healthcheck!.test.join(' ');
      expect(test).toContain('http://127.0.0.1:3000/readyz');
    }
    expect(services['postgres']!.healthcheck!.test.join(' ')).toContain('pg_isready');
    expect(services['redis']!.healthcheck!.test.join(' ')).toContain('redis-cli ping');
    expect(services['nginx']!.healthcheck!.test.join(' ')).toContain('GET /healthz');
  });

  it('start order: replicas wait for a healthy PostgreSQL and Redis, the proxy for three healthy replicas', () => {
    for (const app of APPS) expect(services[app]!.depends_on).toStrictEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
    expect(services['nginx']!.depends_on).toStrictEqual(Object.fromEntries(APPS.map((a) => [a, { condition: 'service_healthy' }])));
    // SIGTERM: the server gives itself 10 s (src/server.ts); compose must not SIGKILL before.
    for (const app of APPS) expect(parseInt(services[app]!.stop_grace_period!, 10)).toBeGreaterThan(10);
  });

  it('nginx mounts deploy/nginx.conf read-only, publishes HTTP and HTTPS, and makes a certificate when none is mounted', () => {
    const nginx = services['nginx']!;
    expect(nginx.volumes).toContain('./deploy/nginx.conf:/etc/nginx/nginx.conf:ro');
    expect(nginx.volumes!.some((v) => v.endsWith(':/etc/nginx/certs'))).toBe(true);
    expect(nginx.ports).toStrictEqual(['8080:80', '8443:443']);
    const command = nginx.command!.join(' ');
    expect(command).toContain('/etc/nginx/certs/tls.crt');
    expect(command).toMatch(/exec nginx -g 'daemon off;'$/);
    expect(nginxConf).toContain('ssl_certificate /etc/nginx/certs/tls.crt;');
    expect(nginxConf).toContain('ssl_certificate_key /etc/nginx/certs/tls.key;');
  });
});

describe('deploy/nginx.conf', () => {
  const directive = (name: string) => [...nginxConf.matchAll(new RegExp(`^\\s*${name} ([^;]*);`, 'gm'))].map((m) => m[1]!);

  it('its upstream is the three app services on their port, with keep-alive connections over HTTP/1.1', () => {
    const upstream = /upstream billing_assistant \{([^}]*)\}/.exec(nginxConf)![1]!;
    const servers = [...upstream.matchAll(/^\s*server ([^\s;]+)/gm)].map((m) => m[1]);
    expect(servers).toStrictEqual(APPS.map((a) => `${a}:${appEnv(a)['PORT']}`));
    expect(upstream).toMatch(/^\s*keepalive \d+;/m);
    expect(directive('proxy_http_version')).toStrictEqual(['1.1']);
    expect(directive('proxy_set_header Connection')).toStrictEqual(['""']);
    expect(directive('proxy_pass')).toStrictEqual(['http://billing_assistant']);
  });

  it('server-sent events pass unbuffered and may stay open far longer than the heartbeat', () => {
    expect(directive('proxy_buffering')).toStrictEqual(['off']);
    expect(directive('gzip')).toStrictEqual(['off']);
    const seconds = (v: string) => parseInt(v, 10) * ({ s: 1, m: 60, h: 3600 }[v.replace(/^\d+/, '')] ?? 1);
    expect(seconds(directive('proxy_read_timeout')[0]!)).toBeGreaterThanOrEqual(3600);
    expect(seconds(directive('proxy_send_timeout')[0]!)).toBeGreaterThanOrEqual(3600);
  });

  it('HTTP/2 over TLS, and the client address set (not appended) for the per-IP limits', () => {
    expect(directive('listen')).toStrictEqual(['80', '443 ssl http2']);
    expect(directive('proxy_set_header X-Forwarded-For')).toStrictEqual(['$remote_addr']);
    expect(directive('proxy_set_header X-Forwarded-Proto')).toStrictEqual(['$scheme']);
  });

  it('renders for local replicas (every replaced line found) and refuses a file it does not understand', () => {
    const rendered = renderNginxConfig(nginxConf, { ports: [4001, 4002], httpPort: 5080, httpsPort: 5443, dir: '/tmp/x', exposeUpstream: true });
    const directives = rendered.split('\n').filter((l) => !l.trim().startsWith('#')).join('\n');
    expect(directives).not.toMatch(/app\d:3000|\/etc\/nginx|\/var\/log|\/var\/run/);
    expect(rendered).toContain('server 127.0.0.1:4001 max_fails=1 fail_timeout=5s;\n    server 127.0.0.1:4002 max_fails=1 fail_timeout=5s;\n    keepalive');
    expect(rendered).toContain('listen 127.0.0.1:5443 ssl http2;');
    expect(rendered).toContain('add_header X-Upstream $upstream_addr always;');
    expect(renderNginxConfig(nginxConf, { ports: [1], httpPort: 2, httpsPort: 3, dir: '/d' })).not.toContain('X-Upstream');
    expect(() => renderNginxConfig(nginxConf.replace('listen 443 ssl http2;', 'listen 443 ssl;'), { ports: [1], httpPort: 2, httpsPort: 3, dir: '/d' })).toThrow(/listen 443 ssl http2/);
  });
});
