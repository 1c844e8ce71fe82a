/**
 * The create-machine wizard: provider → image → plan → SSH keys → name and userdata. One form,
 * posted as 0.6's fields and read by the same code as the API's create; the service's message for
 * a refused create is shown next to the field the service says it is about, with what the user
 * entered kept.
 */
import { Router, type Request, type Response } from 'express';
import type { Config } from '../../config/index.js';
import { CREATE_FIELDS, type CreateField } from '../../core/requests.js';
import { servicesOf } from '../scoped-services.js';
import type { ParsedBody } from '../body.js';
import { createRequestFromBody } from '../create-request.js';
import { answerFor } from '../error-answer.js';
import { sessionUser } from '../session/authentication.js';
import { machineUrl } from './machine-view.js';
import { sendPage } from './render.js';
import type { ViewRenderer } from './views.js';

export interface CreateRouteDeps {
  render: ViewRenderer;
  config: Config;
}

interface WizardValues {
  provider: string;
  image: string;
  plan: string;
  sshKeys: string[];
  name: string;
  userdata: string;
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

export function createRoutes({ render, config }: CreateRouteDeps): Router {
  const router = Router({ strict: true, caseSensitive: true });

  async function showWizard(
    req: Request,
    res: Response,
    values: WizardValues,
    status = 200,
    problem?: { message: string; field?: CreateField; status: number },
  ) {
    const scoped = servicesOf(res);
    const { images, providers: listed } = await scoped.machines.listImages();
    // Only the hypervisors the user may create a machine on (a machine the user would own).
    const owner = scoped.principal.user;
    const providers = listed.filter((p) => scoped.can('create', { provider: p.name, machine: { tags: [], owner } }));
    const provider = values.provider || providers.find((p) => p.state === 'connected')?.name || config.hypervisors[0]?.name || '';
    const errors: Partial<Record<CreateField, string>> = {};
    if (problem?.field) errors[problem.field] = problem.message;
    sendPage(
      render,
      req,
      res,
      'add',
      {
        title: 'Create machine',
        section: 'add',
        scripts: ['wizard.js'],
        providers: providers.map((p) => ({
          ...p,
          connected: p.state === 'connected',
          checked: p.name === provider,
          images: (images.get(p.name) ?? []).map((image) => ({
            ...image,
            checked: p.name === provider && image.id === values.image,
          })),
        })),
        plans: config.plans.map((plan) => ({ ...plan, checked: plan.name === values.plan })),
        keys: config.sshKeys.map((key) => ({ ...key, checked: values.sshKeys.includes(key.name) })),
        values,
        errors,
        problem: problem && !problem.field ? problem : undefined,
        unsupported: problem?.status === 501,
      },
      status,
    );
  }

  router.get('/machines/add/', async (req, res) => {
    await showWizard(req, res, { provider: '', image: '', plan: '', sshKeys: [], name: '', userdata: '' });
  });

  router.post('/machines/add/', async (req, res) => {
    const body = req.body as ParsedBody;
    const values = valuesFrom(body);
    let refusal;
    try {
      const request = createRequestFromBody(body, sessionUser(res) ?? '');
      const machine = await servicesOf(res).machines.createMachine(request);
      res.redirect(303, `${machineUrl(machine.provider || request.provider, machine.id)}?created=1`);
      return;
    } catch (err) {
      refusal = answerFor(err);
      if (refusal.unexpected) throw err;
    }
    // An error about one field is shown next to it; one about several ("name required, plan required") above the form.
    const [field, ...others] = refusal.fields;
    const onField = field !== undefined && others.length === 0 && isCreateField(field) ? field : undefined;
    await showWizard(req, res, values, refusal.status, { message: refusal.message, field: onField, status: refusal.status });
  });

  return router;
}

function isCreateField(field: string): field is CreateField {
  return (CREATE_FIELDS as readonly string[]).includes(field);
}
