/** What machines are made of: images, providers, plans, SSH keys. */
import { IMAGE_LIST_REF, KEY_LIST_REF, PLAN_LIST_REF, PROVIDER_LIST_REF } from './components.js';
import type { ApiOperation } from './registry.js';

const tag = 'Catalog';

export const catalogOperations: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/images/',
    operationId: 'listImages',
    summary: 'List images',
    description: 'The images of every hypervisor the user may see, by provider.',
    tag,
    responses: { 200: { description: 'The images.', schema: IMAGE_LIST_REF } },
  },
  {
    method: 'get',
    path: '/api/providers/',
    operationId: 'listProviders',
    summary: 'List hypervisors',
    description: 'Connection state, versions, machine count, memory and storage use.',
    tag,
    responses: { 200: { description: 'The hypervisors.', schema: PROVIDER_LIST_REF } },
  },
  {
    method: 'get',
    path: '/api/plans/',
    operationId: 'listPlans',
    summary: 'List plans',
    tag,
    responses: { 200: { description: 'The plans of the config.', schema: PLAN_LIST_REF } },
  },
  {
    method: 'get',
    path: '/api/keys/',
    operationId: 'listSshKeys',
    summary: 'List SSH keys',
    tag,
    responses: { 200: { description: 'The SSH keys of the config.', schema: KEY_LIST_REF } },
  },
];
