/** The Activity page: the audit log as the user may read it, filtered with a GET form, paged by cursor. */
import { Router } from 'express';
import type { Config } from '../../config/index.js';
import { AUDIT_ACTIONS, type AuditPage } from '../../core/audit.js';
import { auditQueryFrom } from '../audit-query.js';
import { answerFor } from '../error-answer.js';
import { servicesOf } from '../scoped-services.js';
import { auditRow } from './audit-view.js';
import { sendPage } from './render.js';
import type { ViewRenderer } from './views.js';

export interface ActivityRouteDeps {
  render: ViewRenderer;
  config: Config;
}

/** A page of the Activity list. */
const PAGE_SIZE = 50;

export function activityRoutes({ render, config }: ActivityRouteDeps): Router {
  const router = Router({ strict: true, caseSensitive: true });
  const providerNames = config.hypervisors.map((hv) => hv.name);

  router.get('/activity/', async (req, res) => {
    const audit = servicesOf(res).audit;
    // Whoever may not read any of the log gets the 403 page naming audit-read (the service's words).
    if (!audit.readable()) await audit.query({});
    const raw = req.query as Record<string, unknown>;
    const form = Object.fromEntries(
      ['user', 'machine', 'provider', 'action', 'since', 'until', 'limit'].map((name) => [
        name,
        typeof raw[name] === 'string' ? raw[name] : '',
      ]),
    );
    let page: AuditPage = { entries: [] };
    let error: string | undefined;
    let status = 200;
    try {
      const query = auditQueryFrom(raw);
      page = await audit.query({ limit: PAGE_SIZE, ...query });
    } catch (err) {
      const answer = answerFor(err);
      if (answer.status !== 400) throw err;
      error = answer.message;
      status = 400;
    }
    const nextHref =
      page.next === undefined
        ? undefined
        : `/activity/?${new URLSearchParams([...Object.entries(form).filter(([, value]) => value !== ''), ['cursor', page.next]]).toString()}`;
    sendPage(
      render,
      req,
      res,
      'activity',
      {
        title: 'Activity',
        section: 'activity',
        rows: page.entries.map(auditRow),
        query: form,
        filtered: Object.values(form).some((value) => value !== ''),
        providerOptions: providerNames.map((name) => ({ name, selected: name === form.provider })),
        actionOptions: AUDIT_ACTIONS.map((action) => ({ action, selected: action === form.action })),
        nextHref,
        error,
      },
      status,
    );
  });

  return router;
}
