/**
 * The API reference for a logged-in user: Swagger UI (served by the panel, no CDN) rendering the
 * same OpenAPI document the API serves at /api/openapi.json. The API takes no cookies, so the
 * page reads the document here, under the session.
 */
import { Router } from 'express';
import { apiDocumentation } from '../api/openapi/index.js';
import { vendorUrl } from '../vendor-assets.js';
import { sendPage } from './render.js';
import type { ViewRenderer } from './views.js';

export const API_DOCS_PATH = '/api-docs/';

export function apiDocsRoutes({ render }: { render: ViewRenderer }): Router {
  const router = Router({ strict: true, caseSensitive: true });
  router.get(API_DOCS_PATH, (req, res) => {
    sendPage(render, req, res, 'api-docs', {
      title: 'API reference',
      scripts: ['api-docs.js'],
      spec: `${API_DOCS_PATH}openapi.json`,
      vendor: { bundle: vendorUrl('swagger-ui', 'swagger-ui-bundle.js'), css: vendorUrl('swagger-ui', 'swagger-ui.css') },
    });
  });
  router.get(`${API_DOCS_PATH}openapi.json`, (_req, res) => {
    res.set('Cache-Control', 'no-store').json(apiDocumentation().document);
  });
  return router;
}
