/** Lines for `vmango -check`: where the panel writes its audit log, and where its webhooks post. */
import type { Config, WebhookConfig } from './types.js';

/** The URL without its query, which may hold a receiver's key: -check output lands in terminals and CI logs. */
function shownUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}${parsed.search ? '?…' : ''}`;
}

export function describeWebhook(hook: WebhookConfig): string {
  return `webhook ${hook.name}: POST ${shownUrl(hook.url)} on ${hook.events.join(', ')} (signed)`;
}

export function describeAuditLog(config: Pick<Config, 'auditLog'>): string {
  return config.auditLog === undefined
    ? 'audit log: kept in memory only (set audit_log to keep it in a file)'
    : `audit log: ${config.auditLog}`;
}
