/**
 * vmango 0.6's REST API (same routes, statuses, messages and JSON), plus provider availability in
 * the lists, JSON create bodies, more machine actions, and read-only providers/plans/keys lists.
 */
import { Router, type Request, type Response } from 'express';
import type { Config } from '../../config/index.js';
import { isMachineAction, MACHINE_ACTIONS } from '../../core/actions.js';
import type { Logger } from '../../core/log.js';
import type { MachineFilter } from '../../core/requests.js';
import type { AccessControl, MachineListSnapshot } from '../../core/services.js';
import { formatGoJson, formatGoJsonAt, PreformattedJson, sortedByKey, type GoJsonValue } from '../../formats/go/json.js';
import type { ApiAuthenticator } from '../../services/auth/api-authenticator.js';
import type { TokenVerifier } from '../../services/auth/api-tokens.js';
import { tokenToJson } from './token-json.js';
import type { EventStreams } from '../live/event-stream.js';
import { apiEventFormat } from './event-json.js';
import { readBody, type ParsedBody } from '../body.js';
import { clientAddressResolver } from '../client-address.js';
import { consoleRequestFromBody, consoleTicketJson } from '../console-request.js';
import { createRequestFromBody } from '../create-request.js';
import { propertiesChangeFromBody } from '../properties-request.js';
import { snapshotCreateFromBody, snapshotRevertFromBody } from '../snapshot-request.js';
import { resizeRequestFromBody } from '../resize-request.js';
import { cloneRequestFromBody } from '../clone-request.js';
import { rebuildRequestFromBody } from '../rebuild-request.js';
import { HttpError } from '../http-error.js';
import { apiAuthentication, AUTH_FAILED, authenticatedUser } from './api-auth.js';
import { attachServices, servicesOf } from '../scoped-services.js';
import { availabilityMap, planToJson, providerToJson, sshKeyToJson } from './catalog-json.js';
import { quotaToJson } from './quota-json.js';
import { auditPageToJson } from './audit-json.js';
import { auditQueryFrom } from '../audit-query.js';
import type { AuditSink } from '../../core/audit.js';
import { apiErrorHandler, apiNotFound, notImplemented } from './errors.js';
import { machineListJson } from './machine-list-json.js';
import { imageToJson, machineToJson } from './machine-json.js';
import { snapshotListToJson, snapshotToJson } from './snapshot-json.js';
import { guestFactsToJson } from './guest-json.js';
import { machineFilterFromQuery } from './list-filter.js';
import { etagOf, sendJson, sendJsonBytes } from './respond.js';
import { apiDocumentation, OPENAPI_PATH } from './openapi/index.js';

export interface ApiRouterDeps {
  access: AccessControl;
  config: Config;
  authenticator: ApiAuthenticator;
  /** For GET /api/tokens/: the user's tokens (never their hashes). */
  tokens: Pick<TokenVerifier, 'of'>;
  logger: Logger;
  /** GET /api/events/: the panel's event streams (shared with the dashboard's /events/). */
  streams: EventStreams;
  /** Where failed authentications are recorded. */
  audit?: AuditSink;
}

/** A machine list response, and what it was made of: the same key always makes the same bytes. */
interface ListResponse {
  key: string;
  body: Buffer;
  etag?: string;
}

/** List responses kept for reuse (a 1000-machine list is about 600 KiB). */
const RECENT_LISTS = 8;

const NO_MACHINES: MachineListSnapshot = Object.freeze({ machines: Object.freeze([]), version: 0 });

/**
 * The list response's cache key: who it is for (the principal's view), the filter, every listed
 * provider's snapshot version and availability.
 */
function listKey(
  viewKey: string,
  filter: MachineFilter,
  lists: ReadonlyMap<string, MachineListSnapshot>,
  providersText: string,
): string {
  const versions = [...lists].map(([provider, list]) => `${provider}\u0000${list === NO_MACHINES ? 'down' : list.version}`);
  return JSON.stringify([
    viewKey,
    filter.provider ?? null,
    filter.state ?? null,
    filter.q ?? null,
    filter.tag ?? null,
    versions,
    providersText,
  ]);
}

export function createApiRouter({ access, config, authenticator, tokens, logger, streams, audit }: ApiRouterDeps): Router {
  const clientAddress = clientAddressResolver(config.trustedProxies);
  const authenticate = apiAuthentication({ authenticator, clientAddress, logger, audit });
  // The last few list responses: one per view (users with different grants) and filter in use.
  const recentLists = new Map<string, ListResponse>();

  // strict: 0.6 (gorilla/mux without StrictSlash) answered paths without the trailing slash with 404.
  const router = Router({ strict: true, caseSensitive: true });
  router.use('/api', authenticate, attachServices(access, clientAddress), (_req, res, next) =>
    // A user removed from the config by a reload, between authentication and here.
    next(res.locals.services === undefined ? new HttpError(401, AUTH_FAILED) : undefined),
  );

  router
    .route('/api/machines/')
    .get(async (req, res) => {
      const filter = machineFilterFromQuery(req.query);
      const scoped = servicesOf(res);
      const { machines, providers } = await scoped.machines.listMachines(filter);
      // The API lists a provider that is not connected with [] (and flags it in Providers), not with
      // the machines it had when last seen, which the service keeps for the dashboard.
      const down = new Set(providers.filter((p) => p.state !== 'connected').map((p) => p.name));
      const lists = sortedByKey(
        [...machines].map(([provider, list]) => [provider, down.has(provider) ? NO_MACHINES : list] as const),
      );
      const availability = availabilityMap(providers);
      const providersText = formatGoJsonAt(availability, '  ');
      const key = listKey(scoped.principal.viewKey, filter, lists, providersText);
      const cached = recentLists.get(key);
      if (cached) {
        // Most recently used last: the oldest goes first when the map is full.
        recentLists.delete(key);
        recentLists.set(key, cached);
        sendJsonBytes(res, 200, cached.body, cached.etag);
        return;
      }
      const body = Buffer.from(
        formatGoJson({
          Machines: new Map([...lists].map(([provider, list]) => [provider, machineListJson(list.machines)] as const)),
          Providers: new PreformattedJson('  ', providersText, () => availability),
          Title: 'Machines',
        }),
        'utf8',
      );
      const made: ListResponse = { key, body, etag: etagOf(res, body) };
      recentLists.set(key, made);
      if (recentLists.size > RECENT_LISTS) recentLists.delete(recentLists.keys().next().value as string);
      sendJsonBytes(res, 200, body, made.etag);
    })
    .post(readBody(), async (req, res) => {
      const request = createRequestFromBody(req.body as ParsedBody, authenticatedUser(res));
      const machine = await servicesOf(res).machines.createMachine(request);
      res.set('Location', machinePath(machine.provider || request.provider, machine.id));
      sendJson(res, 201, { Message: `Machine ${machine.name} (${machine.id}) created` });
    })
    .all(notImplemented);

  router
    .route('/api/machines/:provider/:id/')
    .get(async (req, res) => {
      const { provider, id } = machineRef(req);
      const machine = await servicesOf(res).machines.getMachine(provider, id);
      sendJson(res, 200, { Machine: machineToJson(machine), Provider: provider, Title: `Machine ${machine.name}` });
    })
    .patch(readBody({ limitBytes: 16 * 1024 }), async (req, res) => {
      const { provider, id } = machineRef(req);
      const change = propertiesChangeFromBody(req.body as ParsedBody);
      const machine = await servicesOf(res).machines.changeProperties(provider, id, change, authenticatedUser(res));
      sendJson(res, 200, { Machine: machineToJson(machine), Provider: provider, Title: `Machine ${machine.name}` });
    })
    .delete(async (req, res) => {
      const { provider, id } = machineRef(req);
      await servicesOf(res).machines.deleteMachine(provider, id);
      res.status(204).end();
    })
    .all(notImplemented);

  // What the machine's QEMU guest agent reports (README "Guest agent"); 200 even when it does not answer.
  router
    .route('/api/machines/:provider/:id/guest/')
    .get(async (req, res) => {
      const { provider, id } = machineRef(req);
      sendJson(res, 200, guestFactsToJson(await servicesOf(res).guest.getGuestFacts(provider, id)));
    })
    .all(notImplemented);

  // A ticket for the console WebSocket (README "Consoles"), bound to these API credentials.
  router
    .route('/api/machines/:provider/:id/console/')
    .post(readBody({ limitBytes: 4096 }), async (req, res) => {
      const { provider, id } = machineRef(req);
      const request = consoleRequestFromBody(req.body as ParsedBody, provider, id);
      const ticket = await servicesOf(res).consoles.issueTicket(request, { kind: 'api', user: authenticatedUser(res) });
      sendJson(res, 201, consoleTicketJson(req, request.kind, ticket));
    })
    .all(notImplemented);

  router
    .route('/api/machines/:provider/:id/snapshots/')
    .get(async (req, res) => {
      const { provider, id } = machineRef(req);
      sendJson(res, 200, snapshotListToJson(await servicesOf(res).snapshots.listSnapshots(provider, id)));
    })
    .post(readBody({ limitBytes: 8192 }), async (req, res) => {
      const { provider, id } = machineRef(req);
      const { name, description } = snapshotCreateFromBody(req.body as ParsedBody);
      const snapshot = await servicesOf(res).snapshots.createSnapshot({
        provider,
        id,
        name,
        description,
        by: authenticatedUser(res),
      });
      res.set('Location', `${machinePath(provider, id)}snapshots/${encodeURIComponent(snapshot.name)}/`);
      sendJson(res, 201, { Snapshot: snapshotToJson(snapshot) });
    })
    .all(notImplemented);

  router
    .route('/api/machines/:provider/:id/snapshots/:name/')
    .delete(async (req, res) => {
      const { provider, id } = machineRef(req);
      await servicesOf(res).snapshots.deleteSnapshot({
        provider,
        id,
        name: req.params.name as string,
        by: authenticatedUser(res),
      });
      res.status(204).end();
    })
    .all(notImplemented);

  router
    .route('/api/machines/:provider/:id/snapshots/:name/revert/')
    .post(readBody({ limitBytes: 1024 }), async (req, res) => {
      const { provider, id } = machineRef(req);
      const { force } = snapshotRevertFromBody(req.body as ParsedBody);
      const snapshot = await servicesOf(res).snapshots.revertSnapshot({
        provider,
        id,
        name: req.params.name as string,
        force,
        by: authenticatedUser(res),
      });
      sendJson(res, 200, { Message: `Machine reverted to snapshot ${snapshot.name}`, Snapshot: snapshotToJson(snapshot) });
    })
    .all(notImplemented);

  router
    .route('/api/machines/:provider/:id/clone/')
    .post(readBody({ limitBytes: 1024 }), async (req, res) => {
      const { provider, id } = machineRef(req);
      const clone = await servicesOf(res).machines.cloneMachine(
        cloneRequestFromBody(req.body as ParsedBody, provider, id, authenticatedUser(res)),
      );
      res.set('Location', machinePath(clone.provider || provider, clone.id));
      sendJson(res, 201, { Message: `Machine ${clone.name} (${clone.id}) cloned`, Machine: machineToJson(clone) });
    })
    .all(notImplemented);

  router
    .route('/api/machines/:provider/:id/rebuild/')
    .post(readBody({ limitBytes: 256 * 1024 }), async (req, res) => {
      const { provider, id } = machineRef(req);
      const machine = await servicesOf(res).machines.rebuildMachine(
        rebuildRequestFromBody(req.body as ParsedBody, provider, id, authenticatedUser(res)),
      );
      sendJson(res, 200, { Message: `Machine ${machine.name} rebuilt from ${machine.imageId}`, Machine: machineToJson(machine) });
    })
    .all(notImplemented);

  router
    .route('/api/machines/:provider/:id/resize/')
    .post(readBody({ limitBytes: 1024 }), async (req, res) => {
      const { provider, id } = machineRef(req);
      const result = await servicesOf(res).resize.resizeMachine(
        resizeRequestFromBody(req.body as ParsedBody, provider, id, authenticatedUser(res)),
      );
      sendJson(res, 200, {
        Message: `Machine ${result.machine.name} resized`,
        AppliedNow: result.appliedNow,
        AtNextBoot: result.atNextBoot,
        Machine: machineToJson(result.machine),
      });
    })
    .all(notImplemented);

  router.all('/api/machines/:provider/:id/:action/', async (req, res) => {
    const action = req.params.action as string;
    if (!isMachineAction(action)) {
      throw new HttpError(404, `unknown action '${action.slice(0, 60)}'; the actions are ${MACHINE_ACTIONS.join(', ')}`);
    }
    if (req.method !== 'POST') throw new HttpError(501, 'Not implemented');
    const { provider, id } = machineRef(req);
    const { machine, via } = await servicesOf(res).machines.changeState(provider, id, action);
    // Via is new (0.6 said only the Message): how a shutdown or reboot reached the guest.
    sendJson(res, 200, { Message: `Action ${action} done for machine ${machine.name}`, ...(via ? { Via: via } : {}) });
  });

  router
    .route('/api/images/')
    .get(async (_req, res) => {
      const { images, providers } = await servicesOf(res).machines.listImages();
      sendJson(res, 200, {
        Images: sortedByKey([...images].map(([provider, list]) => [provider, list.map((image) => imageToJson(image))] as const)),
        Providers: availabilityMap(providers),
        Title: 'Images',
      });
    })
    .all(notImplemented);

  router
    .route('/api/providers/')
    .get(async (_req, res) => {
      const summaries = await servicesOf(res).machines.providers();
      sendJson(res, 200, { Providers: summaries.map(providerToJson), Title: 'Providers' });
    })
    .all(notImplemented);

  router
    .route('/api/quota/')
    .get(async (_req, res) => {
      sendJson(res, 200, quotaToJson(await servicesOf(res).quota()));
    })
    .all(notImplemented);

  router
    .route('/api/audit/')
    .get(async (req, res) => {
      const query = auditQueryFrom(req.query as Record<string, unknown>);
      sendJson(res, 200, auditPageToJson(await servicesOf(res).audit.query(query)));
    })
    .all(notImplemented);

  router
    .route('/api/tokens/')
    .get((_req, res) => {
      const { principal } = servicesOf(res);
      sendJson(res, 200, { Tokens: tokens.of(principal.user).map(tokenToJson), Title: 'API tokens' });
    })
    .all(notImplemented);

  // The event stream for scripts (README "Events"): each event the user may `list`, with ids to resume from.
  router
    .route('/api/events/')
    .get(
      streams.handler({
        feedOf: (res) => servicesOf(res).events,
        ownerOf: (res) => `api\u0000${authenticatedUser(res)}`,
        format: apiEventFormat,
      }),
    )
    .all(notImplemented);

  router
    .route('/api/plans/')
    .get((_req, res) => sendJson(res, 200, { Plans: config.plans.map(planToJson), Title: 'Plans' }))
    .all(notImplemented);

  router
    .route('/api/keys/')
    .get((_req, res) => sendJson(res, 200, { SSHKeys: config.sshKeys.map(sshKeyToJson), Title: 'SSH keys' }))
    .all(notImplemented);

  router
    .route(OPENAPI_PATH)
    .get((_req, res) => sendJson(res, 200, apiDocumentation().document as GoJsonValue))
    .all(notImplemented);

  router.use('/api', apiNotFound);
  router.use('/api', apiErrorHandler(logger));
  return router;
}

function machineRef(req: Request): { provider: string; id: string } {
  return { provider: req.params.provider as string, id: req.params.id as string };
}

export function machinePath(provider: string, id: string): string {
  return `/api/machines/${encodeURIComponent(provider)}/${encodeURIComponent(id)}/`;
}

export type { Response };
