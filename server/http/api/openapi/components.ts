/**
 * The JSON the API answers with, as schemas (components/schemas of the document), named as the
 * modules that make it name it (machine-json.ts, catalog-json.ts, snapshot-json.ts, …). Every
 * object lists all its keys as required and no others: a test checks each route's answers
 * against them, so a key added to a JSON module and not here fails it.
 */
import { Type, type Static, type TProperties, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { CONSOLE_KINDS } from '../../../core/consoles.js';
import { POWER_METHODS } from '../../../core/actions.js';
import { HW_ARCHES, MACHINE_STATES } from '../../../core/machine.js';
import { PROVIDER_STATES } from '../../../core/provider.js';
import type { AvailabilityJson, PlanJson, ProviderJson, SshKeyWithFingerprintJson } from '../catalog-json.js';
import type { ImageJson, VmJson } from '../machine-json.js';
import type { SnapshotJson } from '../snapshot-json.js';
import type { EventJson } from '../event-json.js';
import type { GuestFactsJson } from '../guest-json.js';
import type { AuditPageJson } from '../audit-json.js';
import { AUDIT_ACTIONS } from '../../../core/audit.js';
import { EVENT_NAMES } from '../../../core/events.js';

const SCHEMAS: Record<string, TSchema> = {};

/** Registers a component schema; the answer is a $ref to it. */
export function component<T extends TSchema>(name: string, schema: T): TUnsafe<Static<T>> {
  if (SCHEMAS[name]) throw new Error(`component ${name} is defined twice`);
  SCHEMAS[name] = schema;
  return Type.Unsafe<Static<T>>({ $ref: `#/components/schemas/${name}` });
}

export function componentSchemas(): Readonly<Record<string, TSchema>> {
  return SCHEMAS;
}

const obj = <P extends TProperties>(properties: P, description?: string) =>
  Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });
const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const dateTime = (description: string) => Type.String({ format: 'date-time', description });

export const ERROR_REF = component(
  'Error',
  obj(
    {
      Error: Type.String({ description: 'What went wrong, and what is allowed.' }),
      Permission: Type.Optional(Type.String({ description: 'On a 403: the permission the user lacks.' })),
      Quota: Type.Optional(Type.Array(Type.String(), { description: 'On a 403: the quota limits the request would pass.' })),
    },
    'Every error answer (vmango 0.6\'s {"Error": …}).',
  ),
);

export const MESSAGE_REF = component('Message', obj({ Message: Type.String() }, 'What was done.'));

export const POWER_DONE_REF = component(
  'PowerDone',
  obj(
    {
      Message: Type.String(),
      Via: Type.Optional(
        Type.Union(
          POWER_METHODS.map((method) => Type.Literal(method)),
          {
            description:
              "shutdown and reboot: through the guest agent, by the ACPI power button (the agent did not answer), or the driver's own way (a driver without agents).",
          },
        ),
      ),
    },
    'A power action done.',
  ),
);

const PROVIDER_STATE = Type.Union(PROVIDER_STATES.map((state) => Type.Literal(state)));

const AVAILABILITY = component(
  'Availability',
  obj(
    {
      State: PROVIDER_STATE,
      Error: Type.String({ description: 'Why it is not connected ("" when it is).' }),
      Since: dateTime('When it entered this state.'),
    },
    "A hypervisor's connection state, next to the lists.",
  ),
);
const AVAILABILITY_MAP = Type.Record(Type.String(), AVAILABILITY, { description: 'By provider name.' });

const ARCH = Type.Union(
  HW_ARCHES.map((arch) => Type.Literal(arch)),
  { description: "0.6's HwArch." },
);

export const MACHINE_REF = component(
  'Machine',
  obj(
    {
      Id: Type.String(),
      Name: Type.String(),
      Plan: Type.String(),
      Creator: Type.String(),
      OS: Type.String(),
      Arch: ARCH,
      Memory: Type.Integer({ description: 'Bytes.' }),
      Cpus: Type.Integer(),
      ImageId: Type.String(),
      Ip: nullable(obj({ Address: Type.String(), Gateway: Type.String(), Netmask: Type.Integer(), UsedBy: Type.String() })),
      HWAddr: Type.String(),
      VNCAddr: Type.String(),
      RootDisk: nullable(obj({ Size: Type.Integer({ description: 'Bytes.' }), Driver: Type.String(), Type: Type.String() })),
      SSHKeys: Type.Array(obj({ Name: Type.String(), Public: Type.String() })),
      State: Type.Union(
        MACHINE_STATES.map((state) => Type.Literal(state)),
        { description: 'New in this panel (0.6 hid it).' },
      ),
      Managed: Type.Boolean({ description: 'Created by vmango.' }),
      Provider: Type.String(),
      Tags: Type.Array(Type.String(), { description: 'Sorted.' }),
      Label: nullable(obj({ Name: Type.String(), Colour: Type.String() })),
      Description: Type.String(),
      Autostart: Type.Optional(Type.Boolean({ description: 'Only for one machine, not in lists.' })),
    },
    "vmango 0.6's VM JSON, with this panel's fields after 0.6's.",
  ),
);

export const MACHINE_LIST_REF = component(
  'MachineList',
  obj({
    Machines: Type.Record(Type.String(), Type.Array(MACHINE_REF), {
      description: 'By provider name; a provider that is not connected lists [] (see Providers).',
    }),
    Providers: AVAILABILITY_MAP,
    Title: Type.Literal('Machines'),
  }),
);

export const MACHINE_DETAIL_REF = component(
  'MachineDetail',
  obj({ Machine: MACHINE_REF, Provider: Type.String(), Title: Type.String() }),
);

export const IMAGE_LIST_REF = component(
  'ImageList',
  obj({
    Images: Type.Record(
      Type.String(),
      Type.Array(
        obj({
          Id: Type.String(),
          OS: Type.String(),
          Arch: ARCH,
          Size: Type.Integer({ description: 'Bytes.' }),
          Type: Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)], {
            description: '0.6 IMAGE_FMT_*: 0 unknown, 1 raw, 2 qcow2.',
          }),
          Date: Type.String({ description: 'RFC 3339 with nanoseconds, in the panel host zone (as 0.6).' }),
          PoolName: Type.String(),
        }),
      ),
      { description: 'By provider name.' },
    ),
    Providers: AVAILABILITY_MAP,
    Title: Type.Literal('Images'),
  }),
);

const USAGE = nullable(obj({ Total: Type.Integer(), Used: Type.Integer(), Usage: Type.Number({ description: 'Percent.' }) }));

export const PROVIDER_LIST_REF = component(
  'ProviderList',
  obj({
    Providers: Type.Array(
      obj({
        Name: Type.String(),
        Type: Type.Literal('libvirt'),
        Description: Type.String(),
        Connection: Type.String({ description: 'The libvirt URI.' }),
        State: PROVIDER_STATE,
        Error: Type.String(),
        Since: dateTime('When it entered this state.'),
        Hostname: nullable(Type.String()),
        LibvirtVersion: nullable(Type.String()),
        HypervisorVersion: nullable(Type.String()),
        MachineCount: nullable(Type.Integer()),
        Memory: USAGE,
        Storage: USAGE,
      }),
    ),
    Title: Type.Literal('Providers'),
  }),
);

export const PLAN_LIST_REF = component(
  'PlanList',
  obj({
    Plans: Type.Array(
      obj({
        Name: Type.String(),
        Memory: Type.Integer({ description: 'Bytes.' }),
        Cpus: Type.Integer(),
        DiskSize: Type.Integer({ description: 'Bytes.' }),
        MemoryMegabytes: Type.Integer(),
        DiskSizeGigabytes: Type.Integer(),
      }),
    ),
    Title: Type.Literal('Plans'),
  }),
);

export const KEY_LIST_REF = component(
  'SSHKeyList',
  obj({
    SSHKeys: Type.Array(obj({ Name: Type.String(), Public: Type.String(), Fingerprint: Type.String() })),
    Title: Type.Literal('SSH keys'),
  }),
);

export const SNAPSHOT_REF = component(
  'Snapshot',
  obj({
    Name: Type.String(),
    Description: Type.String(),
    Created: dateTime('When it was taken.'),
    State: Type.String({ description: 'The machine state when it was taken.' }),
    Memory: Type.Boolean({ description: "Whether it holds the machine's memory (taken while running)." }),
    Parent: Type.String({ description: 'The snapshot it was taken on top of ("" for none).' }),
  }),
);

export const SNAPSHOT_LIST_REF = component(
  'SnapshotList',
  obj({
    Machine: obj({ Provider: Type.String(), Id: Type.String(), Name: Type.String(), State: Type.String() }),
    Snapshots: Type.Array(SNAPSHOT_REF),
    Unsupported: Type.String({ description: 'Why this machine cannot have snapshots ("" when it can).' }),
    Title: Type.String(),
  }),
);

export const SNAPSHOT_CREATED_REF = component('SnapshotCreated', obj({ Snapshot: SNAPSHOT_REF }));
export const SNAPSHOT_REVERTED_REF = component('SnapshotReverted', obj({ Message: Type.String(), Snapshot: SNAPSHOT_REF }));
export const MACHINE_CHANGED_REF = component('MachineChanged', obj({ Message: Type.String(), Machine: MACHINE_REF }));

export const RESIZED_REF = component(
  'Resized',
  obj({
    Message: Type.String(),
    AppliedNow: Type.Array(Type.String(), { description: 'What changed on the running machine.' }),
    AtNextBoot: Type.Array(Type.String(), { description: 'What applies when it next boots.' }),
    Machine: MACHINE_REF,
  }),
);

export const CONSOLE_TICKET_REF = component(
  'ConsoleTicket',
  obj({
    Url: Type.String({ description: 'The WebSocket URL to connect to, ticket included.' }),
    Ticket: Type.String(),
    ExpiresAt: dateTime('Valid once, until then (30 seconds).'),
    Kind: Type.Union(CONSOLE_KINDS.map((kind) => Type.Literal(kind))),
  }),
);

const QUOTA_ITEM = obj({
  Use: Type.Integer(),
  Limit: nullable(Type.Integer({ description: 'null: no limit.' })),
  ConfigKey: Type.String({ description: 'The quota block key that sets it.' }),
});

export const QUOTA_REF = component(
  'Quota',
  obj({
    User: Type.String(),
    Quota: obj({ Machines: QUOTA_ITEM, Cpus: QUOTA_ITEM, MemoryMegabytes: QUOTA_ITEM, DiskSizeGigabytes: QUOTA_ITEM }),
    Title: Type.Literal('Quota'),
  }),
);

const GRANT = obj({
  Role: Type.String(),
  Scope: nullable(
    Type.Union([
      obj({ Hypervisors: Type.Array(Type.String()) }),
      obj({ Tag: Type.String() }),
      obj({ Owned: Type.Literal(true) }),
    ]),
    // null: every machine on every hypervisor.
  ),
});

export const TOKEN_LIST_REF = component(
  'TokenList',
  obj({
    Tokens: Type.Array(
      obj({
        Id: Type.String(),
        Description: Type.String(),
        Expires: nullable(dateTime('null: it does not expire.')),
        Grants: nullable(Type.Array(GRANT, { description: "null: the user's own access." })),
      }),
    ),
    Title: Type.Literal('API tokens'),
  }),
);

const text = (description?: string) => Type.String(description ? { description } : {});

export const GUEST_FACTS_REF = component(
  'GuestFacts',
  obj(
    {
      Machine: obj({
        Provider: Type.String(),
        Id: Type.String(),
        Name: Type.String(),
        State: Type.Union(MACHINE_STATES.map((state) => Type.Literal(state))),
      }),
      Agent: Type.Union([
        obj({ Answering: Type.Literal(true), Version: text('The agent\'s version ("" when it did not say).') }),
        obj({ Answering: Type.Literal(false), Error: text('Why not: "guest agent not answering: …".') }),
      ]),
      Os: nullable(
        obj({
          Id: Type.String(),
          Name: Type.String(),
          PrettyName: Type.String(),
          Version: Type.String(),
          VersionId: Type.String(),
          KernelRelease: Type.String(),
          KernelVersion: Type.String(),
          Machine: Type.String(),
        }),
      ),
      Hostname: Type.String(),
      Timezone: nullable(obj({ Name: Type.String(), OffsetSeconds: nullable(Type.Integer()) })),
      Users: Type.Array(
        obj({ Name: Type.String(), Domain: Type.String(), LoginTime: nullable(dateTime('When they logged in.')) }),
      ),
      Filesystems: Type.Array(
        obj({
          Mountpoint: Type.String(),
          Device: Type.String(),
          Type: Type.String(),
          TotalBytes: nullable(Type.Integer()),
          UsedBytes: nullable(Type.Integer()),
        }),
      ),
      Nics: Type.Array(
        obj({
          Name: Type.String(),
          Mac: Type.String(),
          Addresses: Type.Array(
            obj({
              Type: Type.Union([Type.Literal('ipv4'), Type.Literal('ipv6')]),
              Address: Type.String(),
              Prefix: Type.Integer(),
            }),
          ),
        }),
      ),
      ReadAt: dateTime('When the agent was asked.'),
      Title: Type.String(),
    },
    "What the machine's QEMU guest agent reports; with Agent.Answering false, the rest is empty.",
  ),
);

export const AUDIT_PAGE_REF = component(
  'AuditPage',
  obj({
    Entries: Type.Array(
      obj(
        {
          Time: dateTime('When it happened.'),
          Action: Type.Union(AUDIT_ACTIONS.map((action) => Type.Literal(action))),
          Outcome: Type.Union([Type.Literal('ok'), Type.Literal('refused'), Type.Literal('failed')], {
            description: 'refused: not allowed or not valid (4xx); failed: tried and did not work.',
          }),
          User: Type.Optional(Type.String()),
          Token: Type.Optional(Type.String({ description: "The API token's id (never its secret)." })),
          Address: Type.Optional(Type.String({ description: "The client's address." })),
          Provider: Type.Optional(Type.String()),
          Machine: Type.Optional(Type.String({ description: "The machine's id." })),
          MachineName: Type.Optional(Type.String()),
          DurationMs: Type.Number(),
          Error: Type.Optional(Type.String({ description: 'Why it was refused or failed.' })),
          Detail: Type.Optional(
            Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
              description: "The change's particulars: a power action, a snapshot's name, a webhook's status, …",
            }),
          ),
        },
        'One audit entry; absent fields are left out.',
      ),
      { description: 'Newest first.' },
    ),
    Next: Type.Optional(Type.String({ description: 'The cursor of the next (older) page; absent on the last.' })),
    Title: Type.Literal('Audit log'),
  }),
);

export const EVENT_REF = component(
  'Event',
  obj(
    {
      id: Type.String({ description: 'The event id (`Last-Event-ID` to resume after it).' }),
      event: Type.Union(
        EVENT_NAMES.map((name) => Type.Literal(name)),
        { description: 'What happened.' },
      ),
      time: dateTime('When the panel learnt of it.'),
      provider: Type.String(),
      machine: Type.Optional(
        Type.Union([MACHINE_REF, obj({ Id: Type.String(), Name: Type.String() })], {
          description: 'machine.*: the machine (machine.deleted: as last known, or its id and name only).',
        }),
      ),
      previous_state: Type.Optional(Type.String({ description: 'machine.state: the state before.' })),
      state: Type.Optional(PROVIDER_STATE),
      error: Type.Optional(Type.String({ description: 'provider.state: why it is not connected.' })),
      since: Type.Optional(dateTime('provider.state: since when.')),
    },
    'One event: the `data:` of a GET /api/events/ message, and the body of a webhook delivery.',
  ),
);

/**
 * The schemas say what the JSON modules write: each pair must be the same type, or this file does
 * not compile (the route walk test checks the values).
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
function same<A, B>(_proof: Same<A, B>): void {}
same<Static<typeof MACHINE_REF>, VmJson>(true);
same<Static<typeof SNAPSHOT_REF>, SnapshotJson>(true);
same<Static<typeof PROVIDER_LIST_REF>['Providers'][number], ProviderJson>(true);
same<Static<typeof PLAN_LIST_REF>['Plans'][number], PlanJson>(true);
same<Static<typeof KEY_LIST_REF>['SSHKeys'][number], SshKeyWithFingerprintJson>(true);
same<Static<typeof IMAGE_LIST_REF>['Images'][string][number], ImageJson>(true);
same<Static<typeof MACHINE_LIST_REF>['Providers'][string], AvailabilityJson>(true);
same<Static<typeof EVENT_REF>, EventJson>(true);
same<Static<typeof GUEST_FACTS_REF>, GuestFactsJson>(true);
same<Static<typeof AUDIT_PAGE_REF>, AuditPageJson>(true);
