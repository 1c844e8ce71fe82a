/**
 * A machine's console in the browser: the page (serial in xterm.js, or VNC in noVNC) and the
 * ticket it asks for (POST, CSRF token in X-CSRF-Token), bound to this session.
 */
import { Router, type Request } from 'express';
import type { Logger } from '../../core/log.js';
import { servicesOf } from '../scoped-services.js';
import type { ParsedBody } from '../body.js';
import { consoleRequestFromBody, consoleTicketJson } from '../console-request.js';
import { answerFor } from '../error-answer.js';
import { sessionId, sessionUser } from '../session/authentication.js';
import { vendorUrl } from '../vendor-assets.js';
import { machineSummary, machineUrl } from './machine-view.js';
import { sendPage } from './render.js';
import type { ViewRenderer } from './views.js';

export interface ConsoleRouteDeps {
  render: ViewRenderer;
  logger: Logger;
}

export function consoleRoutes({ render, logger }: ConsoleRouteDeps): Router {
  const router = Router({ strict: true, caseSensitive: true });

  router.get('/machines/:provider/:id/console/', async (req, res) => {
    const { provider, id } = ref(req);
    const kind = req.query.kind === 'vnc' ? 'vnc' : 'serial';
    const machine = await servicesOf(res).machines.getMachine(provider, id);
    const url = machineUrl(provider, machine.id);
    sendPage(render, req, res, 'console', {
      title: `${kind === 'vnc' ? 'Screen' : 'Serial console'} · ${machine.name}`,
      section: 'machines',
      scripts: ['live.js'],
      modules: ['console.js'],
      machine,
      summary: machineSummary(machine),
      url,
      kind,
      serial: kind === 'serial',
      ticketUrl: `${url}console/`,
      vendor: {
        xterm: vendorUrl('xterm', 'lib/xterm.mjs'),
        xtermCss: vendorUrl('xterm', 'css/xterm.css'),
        fit: vendorUrl('xterm-addon-fit', 'lib/addon-fit.mjs'),
        rfb: vendorUrl('novnc', 'core/rfb.js'),
        keysym: vendorUrl('novnc', 'core/input/keysymdef.js'),
      },
    });
  });

  // Answers JSON, errors included: the page's script shows the message.
  router.post('/machines/:provider/:id/console/', async (req, res) => {
    try {
      const { provider, id } = ref(req);
      const request = consoleRequestFromBody(req.body as ParsedBody, provider, id);
      const ticket = await servicesOf(res).consoles.issueTicket(request, {
        kind: 'session',
        sessionId: sessionId(res) ?? '',
        user: sessionUser(res) ?? '',
      });
      res
        .status(201)
        .set('Cache-Control', 'no-store')
        .json(consoleTicketJson(req, request.kind, ticket));
    } catch (err) {
      const answer = answerFor(err);
      if (answer.unexpected) logger.error({ err }, 'console ticket failed');
      res
        .status(answer.status)
        .set({ ...answer.headers, 'Cache-Control': 'no-store' })
        .json({ Error: answer.unexpected ? 'Internal server error' : answer.message });
    }
  });

  return router;
}

function ref(req: Request): { provider: string; id: string } {
  return { provider: req.params.provider as string, id: req.params.id as string };
}
