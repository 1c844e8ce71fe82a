/** The machines list, a machine's page, its power actions and its deletion. */
import { Router, type Request, type Response } from 'express';
import type { Config } from '../../config/index.js';
import { isMachineAction, MACHINE_ACTIONS, type MachineAction } from '../../core/actions.js';
import { MACHINE_STATES, type Machine } from '../../core/machine.js';
import { servicesOf } from '../scoped-services.js';
import { sshKeyFingerprint } from '../../formats/ssh-fingerprint.js';
import type { ParsedBody } from '../body.js';
import { answerFor } from '../error-answer.js';
import { HttpError } from '../http-error.js';
import { propertiesChangeFromBody } from '../properties-request.js';
import { snapshotCreateFromBody, snapshotRevertFromBody } from '../snapshot-request.js';
import { resizeRequestFromBody } from '../resize-request.js';
import { cloneRequestFromBody } from '../clone-request.js';
import { rebuildRequestFromBody } from '../rebuild-request.js';
import { sessionUser } from '../session/authentication.js';
import { SORT_KEYS, listQueryFrom, sortLinks, sortRows } from './machine-list.js';
import { actionLabel, actionViews, machineSummary, machineUrl, needsConfirmation } from './machine-view.js';
import { sendPage } from './render.js';
import { auditRow } from './audit-view.js';
import type { ViewRenderer } from './views.js';

/** Entries on a machine's History card; the Activity page has the rest. */
const HISTORY_SIZE = 20;

export interface MachineRouteDeps {
  render: ViewRenderer;
  config: Config;
}

export function machineRoutes({ render, config }: MachineRouteDeps): Router {
  const router = Router({ strict: true, caseSensitive: true });
  const providerNames = config.hypervisors.map((hv) => hv.name);

  router.get('/machines/', async (req, res) => {
    const query = listQueryFrom(req.query as Record<string, unknown>, providerNames);
    const { machines, providers } = await servicesOf(res).machines.listMachines(query.filter);
    const rows = sortRows(
      [...machines.values()].flatMap((list) => list.machines.map(machineSummary)),
      query.sort,
      query.descending,
    );
    const unavailable = providers.filter((p) => p.state !== 'connected');
    sendPage(render, req, res, 'machines', {
      title: 'Machines',
      section: 'machines',
      scripts: ['live.js'],
      rows,
      unavailable,
      deleted: typeof req.query.deleted === 'string' ? req.query.deleted.slice(0, 100) : undefined,
      query: query.filter,
      filtered: Boolean(query.filter.q || query.filter.provider || query.filter.state || query.filter.tag),
      sort: sortLinks(query),
      sortOptions: SORT_KEYS.map((key) => ({ key, selected: key === query.sort })),
      descending: query.descending,
      providerOptions: providerNames.map((name) => ({ name, selected: name === query.filter.provider })),
      stateOptions: MACHINE_STATES.map((state) => ({ state, selected: state === query.filter.state })),
    });
  });

  async function showMachine(
    req: Request,
    res: Response,
    machine: Machine,
    extra: Record<string, unknown> = {},
    status = 200,
  ): Promise<void> {
    const scoped = servicesOf(res);
    // What the page offers: a control the user may not use is not shown ('userdata-read' → userdataRead).
    const may = Object.fromEntries(
      [...scoped.permissionsOn(machine)].map((permission) => [
        permission.replace(/-(\w)/g, (_m, letter: string) => letter.toUpperCase()),
        true,
      ]),
    );
    const snapshotView = await snapshotsOf(res, machine);
    const history = may.auditRead ? await historyOf(res, machine) : undefined;
    sendPage(
      render,
      req,
      res,
      'machine',
      {
        title: machine.name,
        section: 'machines',
        scripts: ['live.js', 'busy-forms.js'],
        machine,
        summary: machineSummary(machine),
        actions: may.power ? actionViews(machine) : [],
        may,
        url: machineUrl(machine.provider, machine.id),
        sshKeys: machine.sshKeys.map((key) => ({ ...key, fingerprint: sshKeyFingerprint(key.public) ?? 'unknown fingerprint' })),
        userdata: machine.userdata.trim(),
        tagsText: machine.properties.tags.join(' '),
        labelColour: machine.properties.label?.colour ?? '#2f855a',
        created: req.query.created === '1',
        saved: req.query.saved === '1',
        snapshotDone: snapshotNotice(req.query.snapshot),
        resized: req.query.resized === '1',
        cloneBlocked: machine.state !== 'stopped',
        rebuilt: req.query.rebuilt === '1',
        rebuildKeys: config.sshKeys.map((key) => ({
          name: key.name,
          checked: machine.sshKeys.some((own) => own.name === key.name),
        })),
        cloneName: `${machine.name}-clone`.slice(0, 63).replace(/-+$/, ''),
        planOptions: config.plans.map((plan) => ({ name: plan.name, selected: plan.name === machine.plan })),
        ...snapshotView,
        history,
        ...extra,
      },
      status,
    );
  }

  /** The History card: the machine's latest audit entries. A failure to read them does not fail the page. */
  async function historyOf(res: Response, machine: Machine): Promise<Record<string, unknown>> {
    try {
      const page = await servicesOf(res).audit.query({ provider: machine.provider, machine: machine.id, limit: HISTORY_SIZE });
      return { rows: page.entries.map(auditRow), more: page.next !== undefined };
    } catch (err) {
      return { rows: [], error: answerFor(err).message };
    }
  }

  /** The snapshots card: the list, or why there is none. A failure to list does not fail the page. */
  async function snapshotsOf(res: Response, machine: Machine): Promise<Record<string, unknown>> {
    try {
      const list = await servicesOf(res).snapshots.listSnapshots(machine.provider, machine.id);
      return {
        snapshots: list.snapshots.map((snapshot) => ({
          ...snapshot,
          created: snapshot.createdAt
            .toISOString()
            .replace('T', ' ')
            .replace(/\.\d+Z$/, ' UTC'),
          url: `${machineUrl(machine.provider, machine.id)}snapshots/${encodeURIComponent(snapshot.name)}/`,
        })),
        snapshotsUnsupported: list.unsupported,
        running: machine.state !== 'stopped',
      };
    } catch (err) {
      return { snapshots: [], snapshotsError: answerFor(err).message };
    }
  }

  router.get('/machines/:provider/:id/', async (req, res) => {
    const { provider, id } = ref(req);
    await showMachine(req, res, await servicesOf(res).machines.getMachine(provider, id));
  });

  /**
   * Runs a change posted from the machine page: `work` resolves with where to go next; a refusal
   * shows the page again with the message on its card (`errorKey`) and the refusal's status.
   */
  async function pageChange(req: Request, res: Response, errorKey: string, work: () => Promise<string>): Promise<void> {
    const { provider, id } = ref(req);
    try {
      res.redirect(303, await work());
    } catch (err) {
      const refusal = answerFor(err);
      if (refusal.unexpected || refusal.status === 503) throw err;
      const machine = await servicesOf(res).machines.getMachine(provider, id);
      await showMachine(req, res, machine, { [errorKey]: refusal.message }, refusal.status);
    }
  }

  /** A snapshot change: back to the page's snapshots card with a notice, or the refusal on it. */
  function snapshotChange(req: Request, res: Response, notice: string, work: () => Promise<unknown>): Promise<void> {
    const { provider, id } = ref(req);
    return pageChange(req, res, 'snapshotError', async () => {
      await work();
      return `${machineUrl(provider, id)}?snapshot=${notice}#snapshots`;
    });
  }

  router.post('/machines/:provider/:id/resize/', async (req, res) => {
    const { provider, id } = ref(req);
    await pageChange(req, res, 'resizeError', async () => {
      await servicesOf(res).resize.resizeMachine(
        resizeRequestFromBody(req.body as ParsedBody, provider, id, sessionUser(res) ?? ''),
      );
      return `${machineUrl(provider, id)}?resized=1#resize`;
    });
  });

  router.post('/machines/:provider/:id/clone/', async (req, res) => {
    const { provider, id } = ref(req);
    const body = req.body as ParsedBody;
    // The page's "start" checkbox sends nothing when unticked; the API's default is to start.
    const form: ParsedBody =
      body.kind === 'form' && !body.fields.some(([name]) => name.toLowerCase() === 'start')
        ? { ...body, fields: [...body.fields, ['Start', 'false']] }
        : body;
    await pageChange(req, res, 'cloneError', async () => {
      const clone = await servicesOf(res).machines.cloneMachine(cloneRequestFromBody(form, provider, id, sessionUser(res) ?? ''));
      return `${machineUrl(clone.provider || provider, clone.id)}?created=1`;
    });
  });

  router.post('/machines/:provider/:id/rebuild/', async (req, res) => {
    const { provider, id } = ref(req);
    const body = req.body as ParsedBody;
    await pageChange(req, res, 'rebuildError', async () => {
      // The page asks to confirm; the API's callers say what they want by calling.
      const fields = body.kind === 'form' ? body.fields : [];
      if (!fields.some(([name, value]) => name === 'Confirm' && value === 'true')) {
        throw new HttpError(400, 'tick the box to confirm: a rebuild erases the disk');
      }
      const rest = fields.filter(([name]) => name !== 'Confirm');
      // The key checkboxes send nothing when none is ticked: that is "no keys", not "keep them".
      const keys = rest.some(([name]) => name === 'SSHKey') ? [] : [['SSHKey', ''] as [string, string]];
      await servicesOf(res).machines.rebuildMachine(
        rebuildRequestFromBody({ kind: 'form', fields: [...rest, ...keys] }, provider, id, sessionUser(res) ?? ''),
      );
      return `${machineUrl(provider, id)}?rebuilt=1#rebuild`;
    });
  });

  router.post('/machines/:provider/:id/snapshots/', async (req, res) => {
    const { provider, id } = ref(req);
    await snapshotChange(req, res, 'created', async () => {
      const { name, description } = snapshotCreateFromBody(req.body as ParsedBody);
      await servicesOf(res).snapshots.createSnapshot({ provider, id, name, description, by: sessionUser(res) ?? '' });
    });
  });

  router.post('/machines/:provider/:id/snapshots/:name/revert/', async (req, res) => {
    const { provider, id } = ref(req);
    await snapshotChange(req, res, 'reverted', async () => {
      const { force } = snapshotRevertFromBody(req.body as ParsedBody);
      await servicesOf(res).snapshots.revertSnapshot({
        provider,
        id,
        name: req.params.name as string,
        force,
        by: sessionUser(res) ?? '',
      });
    });
  });

  router.post('/machines/:provider/:id/snapshots/:name/delete/', async (req, res) => {
    const { provider, id } = ref(req);
    await snapshotChange(req, res, 'deleted', () =>
      servicesOf(res).snapshots.deleteSnapshot({ provider, id, name: req.params.name as string, by: sessionUser(res) ?? '' }),
    );
  });

  // Before the actions' route, which would take "properties" for an action.
  router.post('/machines/:provider/:id/properties/', async (req, res) => {
    const { provider, id } = ref(req);
    try {
      const change = propertiesChangeFromBody(req.body as ParsedBody);
      const machine = await servicesOf(res).machines.changeProperties(provider, id, change, sessionUser(res) ?? '');
      res.redirect(303, `${machineUrl(provider, machine.id)}?saved=1`);
    } catch (err) {
      const refusal = answerFor(err);
      if (refusal.unexpected || refusal.status !== 400) throw err;
      await showMachine(
        req,
        res,
        await servicesOf(res).machines.getMachine(provider, id),
        { propertiesError: refusal.message },
        400,
      );
    }
  });

  router.get('/machines/:provider/:id/delete/', async (req, res) => {
    const { provider, id } = ref(req);
    const machine = await servicesOf(res).machines.getMachine(provider, id);
    sendPage(render, req, res, 'confirm', {
      title: `Delete ${machine.name}`,
      section: 'machines',
      machine,
      url: machineUrl(provider, machine.id),
      formAction: `${machineUrl(provider, machine.id)}delete/`,
      verb: 'Delete',
      danger: true,
      question: 'Delete machine',
      warning: 'This cannot be undone. The machine is powered off and its own disks and config drive are erased.',
    });
  });

  router.post('/machines/:provider/:id/delete/', async (req, res) => {
    const { provider, id } = ref(req);
    const machine = await servicesOf(res).machines.deleteMachine(provider, id);
    res.redirect(303, `/machines/?deleted=${encodeURIComponent(machine.name)}`);
  });

  router.get('/machines/:provider/:id/:action/', async (req, res) => {
    const { provider, id } = ref(req);
    const action = actionOf(req);
    const machine = await servicesOf(res).machines.getMachine(provider, id);
    sendPage(render, req, res, 'confirm', {
      title: `${actionLabel(action)} ${machine.name}`,
      section: 'machines',
      machine,
      url: machineUrl(provider, machine.id),
      formAction: `${machineUrl(provider, machine.id)}${action}/`,
      verb: actionLabel(action),
      danger: action === 'stop',
      question: `${actionLabel(action)} machine`,
      warning:
        action === 'stop'
          ? 'Power off cuts the power at once, like pulling the plug: unsaved data in the machine is lost. Use Shut down for a clean stop.'
          : needsConfirmation(action)
            ? 'The machine restarts; its services are briefly unavailable.'
            : undefined,
    });
  });

  router.post('/machines/:provider/:id/:action/', async (req, res) => {
    const { provider, id } = ref(req);
    const action = actionOf(req);
    const { machine } = await servicesOf(res).machines.changeState(provider, id, action);
    res.redirect(303, machineUrl(provider, machine.id));
  });

  return router;
}

const SNAPSHOT_NOTICES: Record<string, string> = {
  created: 'Snapshot taken.',
  reverted: 'Machine reverted to the snapshot.',
  deleted: 'Snapshot deleted.',
};

function snapshotNotice(value: unknown): string | undefined {
  return typeof value === 'string' && Object.hasOwn(SNAPSHOT_NOTICES, value) ? SNAPSHOT_NOTICES[value] : undefined;
}

function ref(req: Request): { provider: string; id: string } {
  return { provider: req.params.provider as string, id: req.params.id as string };
}

function actionOf(req: Request): MachineAction {
  const action = req.params.action as string;
  if (!isMachineAction(action)) {
    throw new HttpError(404, `There is no action "${action.slice(0, 60)}"; the actions are ${MACHINE_ACTIONS.join(', ')}.`);
  }
  return action;
}
