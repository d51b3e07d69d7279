/**
 * The layer rule (ARCHITECTURE.md has the picture). Checked in CI by `npm run lint:deps`;
 * tests/unit/dependency-rule.test.ts proves each rule fails on a deliberate bad import.
 *
 *   foundation  src/{config,errors,paths}.ts, src/format, src/i18n, src/identity, src/links, src/events, src/redaction, src/telemetry
 *   storage     src/db, migrations
 *   domain      src/billing, src/audit, src/eventlog
 *   services    src/documents, src/mail, src/payments, src/followups, src/ops-webhooks
 *   tools       tools/
 *   agent       src/agent, src/mcp (the MCP server: runs the tools for a client over MCP)
 *   doors       src/http, src/web, src/app.ts, src/server.ts, src/services.ts, src/bootstrap.ts, src/cli
 */
const FOUNDATION = '^src/(config|errors|paths)\\.ts$|^src/(format|i18n|identity|links|events|redaction|telemetry)/';
const STORAGE = '^src/db/|^migrations/';
const DOORS = '^src/(http|web|cli)/|^src/(app|server|services|bootstrap)\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make the layers meaningless (type-only cycles included).',
      from: { path: '^(src|tools|migrations)/' },
      to: { circular: true },
    },
    {
      name: 'lower-layers-never-import-the-doors',
      severity: 'error',
      comment: 'tools/, src/agent, src/billing, src/db and every service below them never import src/http or src/web (nor the composition root).',
      from: { path: '^tools/|^src/(agent|mcp|billing|db|audit|eventlog|documents|mail|payments|followups|ops-webhooks|format|i18n|identity|links|events|redaction|telemetry)/|^migrations/' },
      to: { path: DOORS },
    },
    {
      name: 'documents-and-mail-never-import-web',
      severity: 'error',
      comment: 'Rendering an invoice or an email uses src/format (escaping, money, dates), never the web pages.',
      from: { path: '^src/(documents|mail)/' },
      to: { path: '^src/web/' },
    },
    {
      name: 'billing-imports-nothing-above-it',
      severity: 'error',
      comment: 'The billing domain reads the database and the foundation only.',
      from: { path: '^src/billing/' },
      to: { path: '^(src|tools)/', pathNot: `^src/billing/|${STORAGE}|${FOUNDATION}` },
    },
    {
      name: 'audit-imports-only-storage-and-foundation',
      severity: 'error',
      from: { path: '^src/audit/' },
      to: { path: '^(src|tools)/', pathNot: `^src/audit/|${STORAGE}|${FOUNDATION}` },
    },
    {
      name: 'eventlog-imports-only-storage-and-foundation',
      severity: 'error',
      comment: 'The durable event log (its one writer and its ordered reader) sits beside the audit log: producers above call it inside their transactions.',
      from: { path: '^src/eventlog/' },
      to: { path: '^(src|tools)/', pathNot: `^src/eventlog/|${STORAGE}|${FOUNDATION}` },
    },
    {
      name: 'storage-imports-only-foundation',
      severity: 'error',
      from: { path: STORAGE },
      to: { path: '^(src|tools)/', pathNot: `${STORAGE}|${FOUNDATION}` },
    },
    {
      name: 'foundation-imports-only-foundation',
      severity: 'error',
      comment: 'Identity, signed links, formatting and events sit lowest: anything may use them, they use nothing of ours above.',
      from: { path: FOUNDATION },
      to: { path: '^(src|tools|migrations)/', pathNot: FOUNDATION },
    },
    {
      name: 'services-never-import-tools-or-agent',
      severity: 'error',
      comment: 'Documents, mail, payments, follow-ups and outbound webhooks serve the tools and the agent, not the other way round.',
      from: { path: '^src/(documents|mail|payments|followups|ops-webhooks)/' },
      to: { path: '^tools/|^src/(agent|mcp)/' },
    },
    {
      name: 'documents-never-import-mail-payments-followups',
      severity: 'error',
      comment: 'Mail attaches documents; documents know nothing of who sends them.',
      from: { path: '^src/documents/' },
      to: { path: '^src/(mail|payments|followups)/' },
    },
    {
      name: 'tools-never-import-the-agent',
      severity: 'error',
      comment: 'The agent runs the tools; a tool never reaches up into the loop, the models or the chat service.',
      from: { path: '^tools/' },
      to: { path: '^src/(agent|mcp)/' },
    },
    {
      name: 'mcp-and-agent-stay-apart',
      severity: 'error',
      comment: 'Two callers of the tools side by side: the chat (src/agent) and the MCP server (src/mcp) share the tools and the layers below, never each other.',
      from: { path: '^src/(agent|mcp)/' },
      to: { path: '^src/(agent|mcp)/', pathNot: '^src/$1/' },
    },
    {
      name: 'widget-bundle-stays-in-the-browser',
      severity: 'error',
      comment: 'The widget bundle runs in the browser: no Node built-ins, and nothing of ours but its own folder, src/format, the pure billing vocabularies (statuses, invoice numbers) and type-only contracts.',
      from: { path: '^src/web/widget/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'widget-bundle-imports-format-and-types-only',
      severity: 'error',
      from: { path: '^src/web/widget/' },
      to: { path: '^(src|tools)/', pathNot: '^src/web/widget/|^src/format/|^src/billing/(status|invoice-number)\\.ts$|^src/i18n/(locales|status-keys)\\.ts$|^src/i18n/catalogue/(widget|status|types)\\.ts$', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/web/static/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
