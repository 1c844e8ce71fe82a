/**
 * GET /healthz for load balancers and monitoring: without credentials only whether the panel can
 * serve ("ok" while at least one hypervisor is connected, or none is configured); with a user's API
 * credentials (X-Vmango-User / X-Vmango-Pass) also the version and every hypervisor's state.
 */
import type { Request } from 'express';
import type { MachineService } from '../core/services.js';
import type { LoginGuard } from '../services/auth/login-guard.js';
import { apiCredentials } from './api/api-auth.js';

export interface HealthDeps {
  service: MachineService;
  guard: LoginGuard;
  clientAddress: (req: Request) => string;
}

export function healthReport({ service, guard, clientAddress }: HealthDeps) {
  return async (req: Request): Promise<{ ok: boolean; details?: Record<string, unknown> }> => {
    const states = service.providerStates();
    const ok = states.length === 0 || states.some((p) => p.state === 'connected');
    const { user, password } = apiCredentials(req);
    if (!user || !password) return { ok };
    const outcome = await guard.attempt({ user, password, address: clientAddress(req) });
    if (!outcome.ok) return { ok };
    return { ok, details: { hypervisors: states.map(({ name, state, since }) => ({ name, state, since })) } };
  };
}
