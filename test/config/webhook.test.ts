/** Webhook blocks in the config: what they mean, and every mistake named with what is allowed. */
import { afterAll, describe, expect, it } from 'vitest';
import { EVENT_NAMES } from '../../server/core/events.js';
import { VALID_CONFIG, configErrorOf, makeConfigDir, parseIn } from './helpers.js';
import { describeAuditLog, describeWebhook } from '../../server/config/describe-outputs.js';

const { dir, cleanup } = makeConfigDir();
afterAll(cleanup);

const SECRET = 'x'.repeat(32);
const withHook = (body: string, name = 'deploys') => `${VALID_CONFIG}\nwebhook "${name}" {\n${body}\n}\n`;
const problems = (text: string) => configErrorOf(text, dir).problems;

describe('webhook blocks', () => {
  it('reads url, events and secret; a config without them has none', () => {
    expect(parseIn(VALID_CONFIG, dir).webhooks).toEqual([]);
    const config = parseIn(
      withHook(
        `  url = "https://hooks.example.com/vmango?k=1"\n  events = ["machine.created", "machine.deleted", "machine.created"]\n  secret = "${SECRET}"`,
      ),
      dir,
    );
    expect(config.webhooks).toEqual([
      {
        name: 'deploys',
        url: 'https://hooks.example.com/vmango?k=1',
        events: ['machine.created', 'machine.deleted'],
        secret: SECRET,
      },
    ]);
  });

  it('is summed up by -check without its query (it may hold a key), and so is the audit log', () => {
    const [hook] = parseIn(
      withHook(`  url = "https://hooks.example.com/vmango?k=secret"\n  events = ["machine.created"]\n  secret = "${SECRET}"`),
      dir,
    ).webhooks;
    expect(describeWebhook(hook!)).toBe('webhook deploys: POST https://hooks.example.com/vmango?… on machine.created (signed)');
    expect(describeAuditLog({ auditLog: '/var/log/vmango/audit.jsonl' })).toBe('audit log: /var/log/vmango/audit.jsonl');
  });

  it('refuses a url that is not http(s), or carries credentials', () => {
    for (const url of ['ftp://example.com/', 'not a url', 'file:///etc/passwd']) {
      expect(problems(withHook(`  url = "${url}"\n  events = ["machine.state"]\n  secret = "${SECRET}"`))).toEqual([
        { path: 'webhook.deploys.url', message: `${JSON.stringify(url)} is not an http:// or https:// URL` },
      ]);
    }
    expect(
      problems(withHook(`  url = "https://u:p@example.com/"\n  events = ["machine.state"]\n  secret = "${SECRET}"`))[0],
    ).toMatchObject({
      path: 'webhook.deploys.url',
      message: expect.stringMatching(/must not carry a user or password/),
    });
  });

  it('names an unknown event and lists the allowed ones', () => {
    expect(
      problems(withHook(`  url = "http://127.0.0.1/"\n  events = ["machine.state", "vm.boom"]\n  secret = "${SECRET}"`)),
    ).toEqual([
      { path: 'webhook.deploys.events[1]', message: `unknown event "vm.boom": the events are ${EVENT_NAMES.join(', ')}` },
    ]);
    expect(problems(withHook(`  url = "http://127.0.0.1/"\n  events = []\n  secret = "${SECRET}"`))[0]!.message).toMatch(
      /^must name at least one event, from machine\.created/,
    );
    expect(problems(withHook(`  url = "http://127.0.0.1/"\n  secret = "${SECRET}"`))[0]).toMatchObject({
      path: 'webhook.deploys.events',
      message: expect.stringMatching(/^required: set it to a list of event names/),
    });
  });

  it('refuses a secret shorter than 32 bytes, a missing one, and unknown keys', () => {
    expect(problems(withHook(`  url = "http://127.0.0.1/"\n  events = ["machine.state"]\n  secret = "short"`))).toEqual([
      { path: 'webhook.deploys.secret', message: 'is 5 bytes; it must be at least 32 (e.g. openssl rand -hex 32)' },
    ]);
    expect(problems(withHook(`  url = "http://127.0.0.1/"\n  events = ["machine.state"]`))[0]).toMatchObject({
      path: 'webhook.deploys.secret',
      message: expect.stringMatching(/^required/),
    });
    expect(
      problems(withHook(`  url = "http://127.0.0.1/"\n  events = ["machine.state"]\n  secret = "${SECRET}"\n  retries = 3`))[0]!
        .path,
    ).toBe('webhook.deploys.retries');
  });
});
