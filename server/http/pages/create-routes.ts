/**
 * The create-machine wizard: provider → image → plan → SSH keys → name and userdata. One form,
 * posted as 0.6's fields and read by the same code as the API's create; the service's message for
 * a refused create is shown next to the field it is about, with what the user entered kept.
 */
import { Router, type Request, type Response } from 'express';
import type { Config } from '../../config/index.js';
import { ServiceError, type MachineService } from '../../core/services.js';
import { STATUS_BY_KIND } from '../api/errors.js';
import { createRequestFromBody } from '../api/create-request.js';
import type { ParsedBody } from '../body.js';
import { HttpError } from '../errors.js';
import { sessionUser } from '../session/authentication.js';
import { machineUrl } from './machine-view.js';
import { sendPage } from './render.js';
import type { ViewRenderer } from './views.js';

export interface CreateRouteDeps {
  render: ViewRenderer;
  service: MachineService;
  config: Config;
}

export type WizardField = 'Provider' | 'Image' | 'Plan' | 'SSHKey' | 'Name' | 'Userdata';

interface WizardValues {
  provider: string;
  image: string;
  plan: string;
  sshKeys: string[];
  name: string;
  userdata: string;
}

/** Which field a refusal is about, from the service's wording (e.g. "machine name contains …"). */
export function fieldOfMessage(message: string): WizardField | undefined {
  const text = message.toLowerCase();
  // "name required, plan required, …" is about several fields: shown above the form.
  if (/ required, /.test(text)) return undefined;
  if (/\bname\b/.test(text) && !/\bprovider\b|\bplan\b|\bimage\b/.test(text.split(':')[0] ?? '')) return 'Name';
  if (text.includes('userdata')) return 'Userdata';
  if (text.includes('ssh key')) return 'SSHKey';
  if (text.includes('image')) return 'Image';
  if (text.includes('plan')) return 'Plan';
  if (text.includes('provider')) return 'Provider';
  return undefined;
}

function valuesFrom(body: ParsedBody): WizardValues {
  const fields = body.kind === 'form' ? body.fields : [];
  const one = (name: string): string => fields.find(([field]) => field.toLowerCase() === name.toLowerCase())?.[1] ?? '';
  return {
    provider: one('Provider'),
    image: one('Image'),
    plan: one('Plan'),
    sshKeys: fields.filter(([field]) => field.toLowerCase() === 'sshkey').map(([, value]) => value),
    name: one('Name'),
    userdata: one('Userdata'),
  };
}

export function createRoutes({ render, service, config }: CreateRouteDeps): Router {
  const router = Router({ strict: true, caseSensitive: true });

  async function showWizard(req: Request, res: Response, values: WizardValues, status = 200, problem?: { message: string; field?: WizardField; status: number }) {
    const { images, providers } = await service.listImages();
    const provider = values.provider || providers.find((p) => p.state === 'connected')?.name || config.hypervisors[0]?.name || '';
    const errors: Partial<Record<WizardField, string>> = {};
    if (problem?.field) errors[problem.field] = problem.message;
    sendPage(render, req, res, 'add', {
      title: 'Create machine',
      section: 'add',
      scripts: ['wizard.js'],
      providers: providers.map((p) => ({
        ...p,
        connected: p.state === 'connected',
        checked: p.name === provider,
        images: (images.get(p.name) ?? []).map((image) => ({ ...image, checked: p.name === provider && image.id === values.image })),
      })),
      plans: config.plans.map((plan) => ({ ...plan, checked: plan.name === values.plan })),
      keys: config.sshKeys.map((key) => ({ ...key, checked: values.sshKeys.includes(key.name) })),
      values,
      errors,
      problem: problem && !problem.field ? problem : undefined,
      unsupported: problem?.status === 501,
    }, status);
  }

  router.get('/machines/add/', async (req, res) => {
    await showWizard(req, res, { provider: '', image: '', plan: '', sshKeys: [], name: '', userdata: '' });
  });

  router.post('/machines/add/', async (req, res) => {
    const body = req.body as ParsedBody;
    const values = valuesFrom(body);
    let status: number;
    let message: string;
    try {
      const request = createRequestFromBody(body, sessionUser(res) ?? '');
      const machine = await service.createMachine(request);
      res.redirect(303, `${machineUrl(machine.provider || request.provider, machine.id)}?created=1`);
      return;
    } catch (err) {
      if (err instanceof ServiceError && err.kind !== 'internal') {
        status = STATUS_BY_KIND[err.kind];
        message = err.message;
      } else if (err instanceof HttpError && err.status === 400) {
        status = 400;
        message = err.message;
      } else {
        throw err;
      }
    }
    await showWizard(req, res, values, status, { message, field: status === 400 ? fieldOfMessage(message) : undefined, status });
  });

  return router;
}
