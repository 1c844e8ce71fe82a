/**
 * Every check of a create request that needs no hypervisor, in one place: the required fields (all
 * missing ones at once, in vmango 0.6's order and words), the provider, the name, the plan, the
 * SSH keys and the userdata. Each refusal names its field.
 */
import type { Config, HypervisorConfig, PlanConfig } from '../../../config/index.js';
import type { SshKey } from '../../../core/machine.js';
import type { CreateField, CreateMachineRequest } from '../../../core/requests.js';
import { ServiceError } from '../../../core/service-error.js';
import { machineNameProblem, userdataProblem } from '../machine-name.js';

export interface ValidRequest {
  hv: HypervisorConfig;
  name: string;
  plan: PlanConfig;
  sshKeys: SshKey[];
  userdata: string;
  creator: string;
  imageId: string;
}

/** 0.6's order of "… required" messages. */
const REQUIRED: readonly [CreateField, keyof CreateMachineRequest][] = [
  ['Name', 'name'],
  ['Plan', 'plan'],
  ['Image', 'image'],
  ['Provider', 'provider'],
];

function refuse(field: CreateField, message: string): never {
  throw new ServiceError('bad-request', message, { fields: [field] });
}

/** `provider` finds a configured hypervisor or throws the service's 'not-found' error for it. */
export function validateCreateRequest(
  config: Pick<Config, 'plans' | 'sshKeys'>,
  request: CreateMachineRequest,
  provider: (name: string, field: CreateField) => HypervisorConfig,
): ValidRequest {
  const missing = REQUIRED.filter(([, key]) => typeof request[key] !== 'string' || request[key] === '').map(([field]) => field);
  if (missing.length > 0) {
    throw new ServiceError('bad-request', missing.map((field) => `${field.toLowerCase()} required`).join(', '), {
      fields: missing,
    });
  }
  const hv = provider(request.provider, 'Provider');
  const nameProblem = machineNameProblem(request.name);
  if (nameProblem) refuse('Name', nameProblem);
  if (hv.ignoreVms.includes(request.name)) {
    refuse(
      'Name',
      `machine name '${request.name}' is listed in ignore_vms of provider '${hv.name}': the panel would never show or delete such a machine; choose another name`,
    );
  }
  const plan = config.plans.find((p) => p.name === request.plan);
  if (!plan) refuse('Plan', `plan "${request.plan}" not found`);
  const sshKeys: SshKey[] = [];
  for (const keyName of request.sshKeys ?? []) {
    const key = config.sshKeys.find((k) => k.name === keyName);
    if (!key) refuse('SSHKey', `ssh key '${keyName}' doesn't exist`);
    if (!sshKeys.some((k) => k.name === key.name)) sshKeys.push({ name: key.name, public: key.public });
  }
  const userdata = request.userdata ?? '';
  const dataProblem = userdataProblem(userdata);
  if (dataProblem) refuse('Userdata', dataProblem);
  return { hv, name: request.name, plan, sshKeys, userdata, creator: request.creator ?? '', imageId: request.image };
}
