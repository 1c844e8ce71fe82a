/**
 * vmango 0.6's REST API (same routes, statuses, messages and JSON), plus provider availability in
 * the lists, JSON create bodies, more machine actions, and read-only providers/plans/keys lists.
 */
import { Router, type Request, type Response } from 'express';
import type { Config } from '../../config/index.js';
import type { Logger } from '../../core/log.js';
import { imageToJson, machineToJson } from '../../services/machines/machine-json.js';
import type { Machine } from '../../core/machine.js';
import { MACHINE_ACTIONS, type MachineAction, type MachineService } from '../../core/services.js';
import { apiAuthentication, authenticatedUser } from '../../services/auth/api-auth.js';
import { CredentialCache, type CredentialCacheOptions } from '../../services/auth/credential-cache.js';
import { FailureLimiter, type FailureLimiterOptions } from '../../services/auth/failure-limiter.js';
import { PasswordVerifier } from '../../services/auth/password-verifier.js';
import { readBody, type ParsedBody } from '../body.js';
import { clientAddressResolver } from '../client-address.js';
import { HttpError } from '../errors.js';
import { availabilityMap, planToJson, providerToJson, sshKeyToJson } from './catalog-json.js';
import { createRequestFromBody } from './create-request.js';
import { apiErrorHandler, apiNotFound, notImplemented } from './errors.js';
import { formatGoJson, formatGoJsonAt, PreformattedJson, sortedByKey } from '../../formats/go/json.js';
import { machineFilterFromQuery } from './list-filter.js';
import { checkMachineRef } from './machine-ref.js';
import { machineListJson } from './machine-list-json.js';
import { etagOf, sendJson, sendJsonBytes } from './respond.js';

export interface ApiRouterDeps {
  service: MachineService;
  config: Config;
  logger: Logger;
  /** Tuning of the login cache and failure limits; defaults: 60 s / 1000 entries, 10 failures per 5 min. */
  auth?: { cache?: CredentialCache | CredentialCacheOptions; limits?: FailureLimiterOptions };
}

export function createApiRouter({ service, config, logger, auth = {} }: ApiRouterDeps): Router {
  const cache = auth.cache instanceof CredentialCache ? auth.cache : new CredentialCache(auth.cache);
  const authenticate = apiAuthentication({
    verifier: new PasswordVerifier(config.users, cache),
    limiter: new FailureLimiter(auth.limits),
    clientAddress: clientAddressResolver(config.trustedProxies),
    logger,
  });

  /** The last machine list response, reused while the same (frozen) lists and provider states are listed. */
  let lastList: { lists: ReadonlyMap<string, readonly Machine[]>; providers: string; body: Buffer; etag?: string } | undefined;

  // strict: 0.6 (gorilla/mux without StrictSlash) answered paths without the trailing slash with 404.
  const router = Router({ strict: true, caseSensitive: true });
  router.use('/api', authenticate);

  router
    .route('/api/machines/')
    .get(async (req, res) => {
      const { machines, providers } = await service.listMachines(machineFilterFromQuery(req.query, config));
      // The API lists a provider that is not connected with [] (and flags it in Providers), not with
      // the machines it had when last seen, which the service keeps for the dashboard.
      const down = new Set(providers.filter((p) => p.state !== 'connected').map((p) => p.name));
      const lists = sortedByKey([...machines].map(([provider, list]) => [provider, down.has(provider) ? NO_MACHINES : list] as const));
      const availability = availabilityMap(providers);
      const providersText = formatGoJsonAt(availability, '  ');
      const last = lastList;
      if (last && last.providers === providersText && sameLists(last.lists, lists)) {
        sendJsonBytes(res, 200, last.body, last.etag);
        return;
      }
      const body = Buffer.from(formatGoJson({
        Machines: new Map([...lists].map(([provider, list]) => [provider, machineListJson(list)] as const)),
        Providers: new PreformattedJson('  ', providersText, () => availability),
        Title: 'Machines',
      }), 'utf8');
      const etag = etagOf(res, body);
      // Frozen lists cannot change: while the same lists come back, so does this body.
      lastList = [...lists.values()].every((list) => Object.isFrozen(list))
        ? { lists, providers: providersText, body, etag }
        : undefined;
      sendJsonBytes(res, 200, body, etag);
    })
    .post(readBody(), async (req, res) => {
      const request = createRequestFromBody(req.body as ParsedBody, authenticatedUser(res));
      const machine = await service.createMachine(request);
      res.set('Location', machinePath(machine.provider || request.provider, machine.id));
      sendJson(res, 201, { Message: `Machine ${machine.name} (${machine.id}) created` });
    })
    .all(notImplemented);

  router
    .route('/api/machines/:provider/:id/')
    .get(async (req, res) => {
      const { provider, id } = machineRef(req);
      const machine = await service.getMachine(provider, id);
      sendJson(res, 200, { Machine: machineToJson(machine), Provider: provider, Title: `Machine ${machine.name}` });
    })
    .delete(async (req, res) => {
      const { provider, id } = machineRef(req);
      await service.deleteMachine(provider, id);
      res.status(204).end();
    })
    .all(notImplemented);

  router.all('/api/machines/:provider/:id/:action/', async (req, res) => {
    const action = req.params.action as string;
    if (!isMachineAction(action)) {
      throw new HttpError(404, `unknown action '${action.slice(0, 60)}'; the actions are ${MACHINE_ACTIONS.join(', ')}`);
    }
    if (req.method !== 'POST') throw new HttpError(501, 'Not implemented');
    const { provider, id } = machineRef(req);
    const machine = await service.changeState(provider, id, action);
    sendJson(res, 200, { Message: `Action ${action} done for machine ${machine.name}` });
  });

  router
    .route('/api/images/')
    .get(async (_req, res) => {
      const { images, providers } = await service.listImages();
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
      const summaries = await service.providers();
      sendJson(res, 200, { Providers: summaries.map(providerToJson), Title: 'Providers' });
    })
    .all(notImplemented);

  router
    .route('/api/plans/')
    .get((_req, res) => sendJson(res, 200, { Plans: config.plans.map(planToJson), Title: 'Plans' }))
    .all(notImplemented);

  router
    .route('/api/keys/')
    .get((_req, res) => sendJson(res, 200, { SSHKeys: config.sshKeys.map(sshKeyToJson), Title: 'SSH keys' }))
    .all(notImplemented);

  router.use('/api', apiNotFound);
  router.use('/api', apiErrorHandler(logger));
  return router;

  function machineRef(req: Request): { provider: string; id: string } {
    const provider = req.params.provider as string;
    const id = req.params.id as string;
    checkMachineRef(config, provider, id);
    return { provider, id };
  }
}

const NO_MACHINES: readonly Machine[] = Object.freeze([]);

function sameLists(a: ReadonlyMap<string, readonly Machine[]>, b: ReadonlyMap<string, readonly Machine[]>): boolean {
  if (a.size !== b.size) return false;
  for (const [provider, list] of b) if (a.get(provider) !== list) return false;
  return true;
}

function isMachineAction(action: string): action is MachineAction {
  return (MACHINE_ACTIONS as readonly string[]).includes(action);
}

export function machinePath(provider: string, id: string): string {
  return `/api/machines/${encodeURIComponent(provider)}/${encodeURIComponent(id)}/`;
}

export type { Response };
