/** What the OpenAPI tests share: the document, and matching a request path to a documented route. */
export { apiDocumentation } from '../../../server/http/api/openapi/index.js';

/** Whether `requestPath` (query ignored) is a path of the route `expressPath` (e.g. /api/machines/:provider/:id/). */
export function openApiPathOf(requestPath: string, expressPath: string): boolean {
  const pattern = expressPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]\w*/g, '[^/]+');
  return new RegExp(`^${pattern}$`).test(requestPath.split('?')[0]!);
}
