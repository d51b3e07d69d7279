import { openConfiguredDatabase, prepareDatabase } from '../../bootstrap.js';
import type { Config } from '../../config.js';
import type { Session } from '../../identity/session.js';
import { createServices } from '../../services.js';
import type { ChatTransport } from './transport.js';

/** Warnings and errors of the services (a missing Chromium, a failed send) as one stderr line; the rest is quiet. */
function stderrLogger() {
  const line = (level: string) => (obj: object, msg: string) => {
    const err = (obj as { err?: unknown }).err;
    process.stderr.write(`${level}: ${msg}${err instanceof Error ? ` (${err.message})` : ''}\n`);
  };
  const quiet = () => undefined;
  return { info: quiet, debug: quiet, warn: line('warning'), error: line('error') };
}

/**
 * The chat in this process, on the configured database (PGlite under its lock, or PostgreSQL):
 * migrated and seeded as `npm start` would, the same services, the same chat service.
 * Throws DatabaseInUseError when another process holds the PGlite data directory.
 */
export async function openLocalTransport(config: Config, session: Session, log: (msg: string) => void): Promise<ChatTransport> {
  const database = await openConfiguredDatabase(config);
  let services: ReturnType<typeof createServices>;
  try {
    await prepareDatabase(config, database, log);
    services = createServices({ config, database, logger: stderrLogger() });
  } catch (err) {
    await database.close();
    throw err;
  }
  const { chat } = services;
  const where = database.kind === 'pglite' ? `the PGlite database at ${config.PGLITE_DATA_DIR}` : 'the PostgreSQL database (DATABASE_URL)';
  return {
    description: `in this process on ${where}`,
    createConversation: async () => (await chat.createConversation(session)).id,
    sendMessage: (conversationId, text, onEvent) => chat.sendMessage(session, conversationId, text, onEvent),
    decideProposal: (conversationId, proposalId, decision, onEvent) => chat.decideProposal(session, conversationId, proposalId, decision, onEvent),
    listMessages: (conversationId) => chat.listMessages(session, conversationId),
    close: async () => {
      try {
        await services.pdf.close();
      } finally {
        await database.close();
      }
    },
  };
}
