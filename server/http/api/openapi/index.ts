/**
 * The API's OpenAPI 3.1 document, from the route groups' operations. A new route is documented by
 * listing its operations (ApiOperation) in a module of this folder and adding that list to
 * ROUTE_GROUPS; the route walk test (test/http/api/openapi-routes.test.ts) fails until it is.
 */
import { VERSION } from '../../../core/version.js';
import { USER_HEADER, PASSWORD_HEADER } from '../api-auth.js';
import { accountOperations } from './account.js';
import { catalogOperations } from './catalog.js';
import { componentSchemas } from './components.js';
import { documentOperations } from './document-route.js';
import { eventOperations } from './events.js';
import { machineChangeOperations } from './machine-changes.js';
import { machineOperations } from './machines.js';
import { ApiDocumentation, type ApiOperation } from './registry.js';
import { snapshotOperations } from './snapshots.js';

export { ApiDocumentation, errorResponse, type ApiOperation, type ResponseDoc } from './registry.js';
export { OPENAPI_PATH } from './document-route.js';

/** Every documented route group, in the document's order. */
export const ROUTE_GROUPS: readonly (readonly ApiOperation[])[] = [
  machineOperations,
  machineChangeOperations,
  snapshotOperations,
  catalogOperations,
  accountOperations,
  eventOperations,
  documentOperations,
];

const HEADER_NAME = (lower: string) => lower.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());

const DESCRIPTION = `The REST API of vmango-ts: vmango 0.6's routes, statuses, messages and JSON, and more.

Every request carries credentials: the \`X-Vmango-User\` and \`X-Vmango-Pass\` headers together (0.6), or
\`Authorization: Bearer TOKEN\` (a token from \`vmango gentoken\`). The API takes no cookies.

Bodies are \`application/json\` or \`application/x-www-form-urlencoded\` (what 0.6 took); field names
match without regard to case. Errors are \`{"Error": "…"}\`. A method a path does not serve answers 501,
a path without its trailing slash 404 (as 0.6).`;

export function buildApiDocument(docs: ApiDocumentation): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'vmango API', version: VERSION, description: DESCRIPTION, license: { name: 'MIT', identifier: 'MIT' } },
    security: [{ vmangoUser: [], vmangoPass: [] }, { bearerToken: [] }],
    tags: [...new Set(docs.operations().map((op) => op.tag))].map((name) => ({ name })),
    paths: docs.paths(),
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        vmangoUser: {
          type: 'apiKey',
          in: 'header',
          name: HEADER_NAME(USER_HEADER),
          description: 'The user name (with X-Vmango-Pass).',
        },
        vmangoPass: { type: 'apiKey', in: 'header', name: HEADER_NAME(PASSWORD_HEADER), description: "The user's password." },
        bearerToken: { type: 'http', scheme: 'bearer', description: 'An API token (README "API tokens").' },
      },
    },
  };
}

let documented: { docs: ApiDocumentation; document: Record<string, unknown> } | undefined;

/** The API's documentation and document, made once: the API and the reference page serve the same object. */
export function apiDocumentation(): { docs: ApiDocumentation; document: Record<string, unknown> } {
  if (!documented) {
    const docs = new ApiDocumentation();
    for (const group of ROUTE_GROUPS) docs.add(...group);
    // Plain JSON: the schema builder's symbols dropped, so what is served is what is validated.
    documented = { docs, document: JSON.parse(JSON.stringify(buildApiDocument(docs))) as Record<string, unknown> };
  }
  return documented;
}
