/**
 * Webhooks in the config (README "Webhooks"):
 *
 *   webhook "deploys" {
 *     url    = "https://hooks.example.com/vmango"
 *     events = ["machine.created", "machine.deleted"]
 *     secret = "at least 32 bytes, e.g. openssl rand -hex 32"
 *   }
 *
 * Each event named is POSTed to the url, signed with the secret.
 */
import { EVENT_NAMES, isEventName, type EventName } from '../core/events.js';
import { keyPath, readString, readStringList } from './fields.js';
import type { LabeledBlock } from './labeled-blocks.js';
import type { WebhookConfig } from './types.js';
import { reportUnknownKeys } from './unknown-keys.js';

export const WEBHOOK_KEYS = ['url', 'events', 'secret'] as const;
export const MIN_WEBHOOK_SECRET_BYTES = 32;

export function readWebhook({ name, reader }: LabeledBlock): WebhookConfig | undefined {
  const before = reader.problems.list.length;
  reportUnknownKeys(reader.body, WEBHOOK_KEYS, reader.prefix, reader.problems);
  const urlText = readString(reader, 'url', { required: true, what: 'an http:// or https:// URL to POST events to' });
  let url: URL | undefined;
  if (urlText !== undefined) {
    try {
      url = new URL(urlText);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '')
      reader.problems.add(keyPath(reader, 'url'), `${JSON.stringify(urlText)} is not an http:// or https:// URL`);
    else if (url.username !== '' || url.password !== '')
      reader.problems.add(
        keyPath(reader, 'url'),
        'must not carry a user or password (the deliveries are signed with the secret; the receiver checks the signature)',
      );
  }
  const allowed = EVENT_NAMES.join(', ');
  const events = readStringList(reader, 'events', `an event name: ${allowed}`);
  if (events === undefined && !Object.hasOwn(reader.body, 'events'))
    reader.problems.add(keyPath(reader, 'events'), `required: set it to a list of event names, from ${allowed}`);
  if (events !== undefined && events.length === 0)
    reader.problems.add(keyPath(reader, 'events'), `must name at least one event, from ${allowed}`);
  events?.forEach((event, index) => {
    if (!isEventName(event))
      reader.problems.add(
        `${keyPath(reader, 'events')}[${index}]`,
        `unknown event ${JSON.stringify(event)}: the events are ${allowed}`,
      );
  });
  const secret = readString(reader, 'secret', {
    required: true,
    what: `at least ${MIN_WEBHOOK_SECRET_BYTES} bytes of random text, e.g. the output of openssl rand -hex 32`,
  });
  if (secret !== undefined && Buffer.byteLength(secret, 'utf8') < MIN_WEBHOOK_SECRET_BYTES)
    reader.problems.add(
      keyPath(reader, 'secret'),
      `is ${Buffer.byteLength(secret, 'utf8')} bytes; it must be at least ${MIN_WEBHOOK_SECRET_BYTES} (e.g. openssl rand -hex 32)`,
    );
  if (reader.problems.list.length !== before || !url || !events || secret === undefined) return undefined;
  return { name, url: url.href, events: [...new Set(events)] as EventName[], secret };
}
