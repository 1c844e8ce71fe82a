/**
 * The real panel (built by the composition root: config, connection manager, libvirt test driver
 * with the demo fixture, machine service, API and pages) on a loopback port, and a small
 * cookie-keeping client.
 */
import type { PanelOptions } from '../../../server/app/panel.js';
import type { Config } from '../../../server/config/index.js';
import type { PagesOptions } from '../../../server/http/pages/index.js';
import { apiTestConfig } from '../api/panel-fixture.js';
import { startTestPanel } from '../../helpers/panel.js';

export { ADMIN, ALICE, WEB1_ID, DB1_ID, LEGACY_ID } from '../api/panel-fixture.js';

export async function startPagesPanel(
  options: { withUnavailable?: boolean; config?: Config; pages?: PagesOptions; auth?: PanelOptions['auth'] } = {},
) {
  const config = options.config ?? apiTestConfig({ withUnavailable: options.withUnavailable });
  const panel = await startTestPanel(config, {
    pages: options.pages ?? {},
    auth: options.auth,
    connections: { backoffInitialMs: 60_000, backoffMaxMs: 60_000 },
  });
  return { ...panel, service: panel.machines };
}

/** A browser-like client: keeps cookies, does not follow redirects, reads CSRF tokens from pages. */
export class PageClient {
  private readonly cookies = new Map<string, string>();

  constructor(readonly base: string) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.send('GET', path, undefined, headers);
  }

  async post(
    path: string,
    fields: [string, string][] | Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const body = new URLSearchParams(Array.isArray(fields) ? fields : Object.entries(fields)).toString();
    return this.send('POST', path, body, { 'Content-Type': 'application/x-www-form-urlencoded', ...headers });
  }

  /** GETs `path` and returns the CSRF token of its first form. */
  async csrfFrom(path: string): Promise<string> {
    const html = await (await this.get(path)).text();
    const match = /name="csrf" value="([^"]+)"/.exec(html);
    if (!match) throw new Error(`no CSRF field on ${path}`);
    return match[1]!;
  }

  async login(user: string, password: string, next?: string): Promise<Response> {
    const csrf = await this.csrfFrom('/login/');
    const fields: Record<string, string> = { csrf, Username: user, Password: password };
    if (next !== undefined) fields.next = next;
    return this.post('/login/', fields);
  }

  /** Adds a cookie as a `name=value` pair. */
  setCookie(pair: string): void {
    const eq = pair.indexOf('=');
    if (eq > 0) this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private async send(method: string, path: string, body: string | undefined, headers: Record<string, string>): Promise<Response> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      body,
      redirect: 'manual',
      headers: { ...(this.cookies.size > 0 ? { Cookie: this.cookieHeader() } : {}), ...headers },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
}
