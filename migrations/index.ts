import type { Migration } from 'kysely';
import * as billingCore from './20261125000000_billing_core.js';
import * as chat from './20261125010000_chat.js';
import * as payments from './20261125020000_payments.js';
import * as documentsMail from './20261125030000_documents_mail.js';
import * as proposalsFollowups from './20261201000000_proposals_followups.js';
import * as auditLog from './20261201020000_audit_log.js';
import * as opsAlerts from './20261201030000_ops_alerts.js';
import * as opsIdempotency from './20261201040000_ops_idempotency.js';
import * as events from './20261201050000_events.js';
import * as opsImport from './20261201060000_ops_import.js';
import * as mcp from './20261201070000_mcp.js';
import * as eventsNotify from './20261201080000_events_notify.js';
import * as feedback from './20261201090000_feedback.js';

/**
 * Every migration, listed explicitly (Kysely's FileMigrationProvider cannot import `.ts` under
 * vitest). Names are timestamps; order is by name.
 */
export const migrations: Record<string, Migration> = {
  '20261125000000_billing_core': billingCore,
  '20261125010000_chat': chat,
  '20261125020000_payments': payments,
  '20261125030000_documents_mail': documentsMail,
  '20261201000000_proposals_followups': proposalsFollowups,
  '20261201020000_audit_log': auditLog,
  '20261201030000_ops_alerts': opsAlerts,
  '20261201040000_ops_idempotency': opsIdempotency,
  '20261201050000_events': events,
  '20261201060000_ops_import': opsImport,
  '20261201070000_mcp': mcp,
  '20261201080000_events_notify': eventsNotify,
  '20261201090000_feedback': feedback,
};
