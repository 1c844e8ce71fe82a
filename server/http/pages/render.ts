/** Sends a page: the view inside the layout, with the user and CSRF token every page needs. */
import type { ScopedServices } from '../../core/services.js';
import { canSomewhere } from '../../core/principal.js';
import type { Request, Response } from 'express';
import { sessionUser } from '../session/authentication.js';
import { csrfToken } from '../session/csrf.js';
import type { LayoutContext, ViewRenderer } from './views.js';

export type PageContext = Omit<LayoutContext, 'csrf' | 'user'> & Record<string, unknown>;

export function sendPage(
  render: ViewRenderer,
  req: Request,
  res: Response,
  view: string,
  context: PageContext,
  status = 200,
): void {
  const user = sessionUser(res);
  const scoped = res.locals.services as ScopedServices | undefined;
  // The create links show only to a user who may create a machine (one the user would own) somewhere.
  const mayCreate = scoped ? canSomewhere(scoped.principal, 'create') : false;
  // The Activity link shows only to a user who may read some of the audit log.
  const mayReadAudit = scoped ? scoped.audit.readable() : false;
  const html = render(view, {
    mayCreate,
    mayReadAudit,
    ...context,
    csrf: csrfToken(req),
    ...(user !== undefined ? { user } : {}),
  });
  res.status(status).set('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(html);
}
