/**
 * The services as the request's user may use them (ScopedServices), set once per request after
 * authentication. Route handlers reach machines, snapshots, resizes and consoles only through
 * `servicesOf(res)`, so every route is checked against the user's permissions in the service layer
 * (and every change is recorded in the audit log with the client's address).
 */
import type { Request, RequestHandler, Response } from 'express';
import type { AccessControl, ScopedServices } from '../core/services.js';

/**
 * After authentication: `res.locals.services` for `res.locals.user`. A user the config no longer
 * has (removed by a reload) is treated as not logged in.
 */
export function attachServices(access: AccessControl, clientAddress: (req: Request) => string): RequestHandler {
  return (req, res, next) => {
    const user: unknown = res.locals.user;
    const tokenId: unknown = res.locals.tokenId;
    if (typeof user === 'string') {
      const principal = typeof tokenId === 'string' ? access.principalForToken(tokenId) : access.principalFor(user);
      if (principal) res.locals.services = access.servicesFor(principal, { address: clientAddress(req) });
      else delete res.locals.user;
    }
    next();
  };
}

export function servicesOf(res: Response): ScopedServices {
  const services: unknown = res.locals.services;
  if (services === undefined) throw new Error('servicesOf called on a route without attachServices');
  return services as ScopedServices;
}
