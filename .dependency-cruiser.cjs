/**
 * The layer rule (docs/architecture.md): server/ is layered bottom to top, and a file may import
 * only from its own layer or the ones below it. HTTP talks only to services: it may not reach
 * down to the hypervisor adapters or the libvirt binding. No file imports itself in a circle.
 * Run by scripts/lint.sh; test/scripts/lint/layer-rule.test.ts proves it fails on a planted import.
 */
const LAYERS = [
  ['core', 'domain model, service contract, logger'],
  ['libvirt', 'the libvirt binding'],
  ['formats', 'XML and Go-compatible encoders, Go templates'],
  ['config', 'the HCL config file'],
  ['hypervisors', 'connections to hypervisors: manager, access, status'],
  ['services', 'machines, images, networks, events, authentication'],
  ['http', 'REST API, pages, live events'],
  ['app', 'composition root and the vmango command'],
];

const folder = (name) => `^server/${name}/`;

const upward = LAYERS.slice(0, -1).map(([name, what], index) => ({
  name: `layer-${name}-imports-upward`,
  comment: `server/${name}/ (${what}) may import only from ${LAYERS.slice(0, index + 1)
    .map(([n]) => n)
    .join(', ')}`,
  severity: 'error',
  from: { path: folder(name) },
  to: {
    path: `^server/(${LAYERS.slice(index + 1)
      .map(([n]) => n)
      .join('|')})/`,
  },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'http-talks-only-to-services',
      comment: 'the HTTP layer reaches hypervisors only through the service contract (server/core) and services',
      severity: 'error',
      from: { path: folder('http') },
      to: { path: '^server/(libvirt|hypervisors)/' },
    },
    {
      name: 'no-circular',
      comment: 'files import each other in a circle',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'server-outside-layers',
      comment: 'every file of server/ belongs to one layer folder',
      severity: 'error',
      from: { path: '^server/', pathNot: `^server/(${LAYERS.map(([n]) => n).join('|')})/` },
      to: {},
    },
    {
      name: 'server-not-to-tests',
      comment: 'the product never imports tests, benchmarks or tools',
      severity: 'error',
      from: { path: '^server/' },
      to: { path: '^(test|bench|tools|scripts)/' },
    },
    {
      name: 'server-not-to-dev-dependencies',
      comment: 'a runtime import of a devDependency fails on an install without them',
      severity: 'error',
      from: { path: '^server/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
