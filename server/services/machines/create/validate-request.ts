/** Checks of a create request that need no hypervisor: name, plan, ssh keys, userdata. */
import type { Config, PlanConfig } from '../../../config/index.js';
import { MachineInputError, assertValidMachineName, assertValidUserdata } from '../machine-name.js';
import type { SshKey } from '../../../core/machine.js';
import { ServiceError, type CreateMachineRequest } from '../../../core/services.js';

export interface ValidRequest {
  name: string;
  plan: PlanConfig;
  sshKeys: SshKey[];
  userdata: string;
  creator: string;
  imageId: string;
}

function badRequest(err: unknown): never {
  if (err instanceof MachineInputError) throw new ServiceError('bad-request', err.message);
  throw err;
}

export function validateCreateRequest(config: Config, request: CreateMachineRequest): ValidRequest {
  const name = typeof request.name === 'string' ? request.name : '';
  try {
    assertValidMachineName(name);
  } catch (err) {
    badRequest(err);
  }
  if (!request.plan) throw new ServiceError('bad-request', 'plan required');
  if (!request.image) throw new ServiceError('bad-request', 'image required');
  const plan = config.plans.find((p) => p.name === request.plan);
  if (!plan) throw new ServiceError('bad-request', `plan "${request.plan}" not found`);
  const sshKeys: SshKey[] = [];
  for (const keyName of request.sshKeys ?? []) {
    const key = config.sshKeys.find((k) => k.name === keyName);
    if (!key) throw new ServiceError('bad-request', `ssh key '${keyName}' doesn't exist`);
    if (!sshKeys.some((k) => k.name === key.name)) sshKeys.push({ name: key.name, public: key.public });
  }
  const userdata = request.userdata ?? '';
  try {
    assertValidUserdata(userdata);
  } catch (err) {
    badRequest(err);
  }
  return { name, plan, sshKeys, userdata, creator: request.creator ?? '', imageId: request.image };
}
