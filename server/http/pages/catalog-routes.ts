/** The providers overview (the index page), images, plans and SSH keys. */
import { Router } from 'express';
import type { Config } from '../../config/index.js';
import type { ProviderSummary, UsageFigures } from '../../core/provider.js';
import { servicesOf } from '../scoped-services.js';
import { sshKeyFingerprint } from '../../formats/ssh-fingerprint.js';
import { humanBytes } from './format.js';
import { sendPage } from './render.js';
import type { ViewRenderer } from './views.js';

export interface CatalogRouteDeps {
  render: ViewRenderer;
  config: Config;
}

/** A usage bar: its width, and a warning colour from 80 % (as 0.6's bars). */
function usageBar(figures: UsageFigures | undefined): Record<string, unknown> | undefined {
  if (!figures || figures.totalBytes <= 0) return undefined;
  const percent = Math.min(100, Math.max(0, Math.round(figures.usagePercent)));
  return { percent, high: percent >= 80, used: humanBytes(figures.usedBytes), total: humanBytes(figures.totalBytes) };
}

function providerCard(summary: ProviderSummary): Record<string, unknown> {
  return {
    ...summary,
    connected: summary.state === 'connected',
    memoryBar: usageBar(summary.memory),
    storageBar: usageBar(summary.storage),
  };
}

export function catalogRoutes({ render, config }: CatalogRouteDeps): Router {
  const router = Router({ strict: true, caseSensitive: true });

  router.get('/', async (req, res) => {
    const providers = await servicesOf(res).machines.providers();
    sendPage(render, req, res, 'providers', {
      title: 'Providers',
      section: 'providers',
      scripts: ['live.js'],
      providers: providers.map(providerCard),
    });
  });

  router.get('/images/', async (req, res) => {
    const { images, providers } = await servicesOf(res).machines.listImages();
    const groups = [...images].map(([provider, list]) => ({
      provider,
      availability: providers.find((p) => p.name === provider),
      images: list.map((image) => ({
        ...image,
        modifiedAt: image.modified ? new Date(image.modified.seconds * 1000) : undefined,
      })),
    }));
    sendPage(render, req, res, 'images', { title: 'Images', section: 'images', scripts: ['live.js'], groups });
  });

  router.get('/plans/', (req, res) => {
    sendPage(render, req, res, 'plans', { title: 'Plans', section: 'plans', plans: config.plans });
  });

  router.get('/keys/', (req, res) => {
    const keys = config.sshKeys.map((key) => ({
      ...key,
      type: key.public.trim().split(/\s+/)[0] ?? 'unknown',
      comment: key.public.trim().split(/\s+/).slice(2).join(' '),
      fingerprint: sshKeyFingerprint(key.public) ?? 'unknown',
    }));
    sendPage(render, req, res, 'keys', { title: 'SSH keys', section: 'keys', keys });
  });

  return router;
}
