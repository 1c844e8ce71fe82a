/**
 * Server-side rendering: handlebars templates from views/, each page inside views/layout.hbs.
 * Templates are compiled once, at start-up. Values are HTML-escaped by handlebars' `{{ }}`.
 */
import Handlebars from 'handlebars';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VERSION } from '../../core/version.js';
import { humanBytes, isoTime, readableTime, timeAgo } from './format.js';

export const VIEWS_DIR = fileURLToPath(new URL('../../../views/', import.meta.url));

export interface LayoutContext {
  title: string;
  /** The logged-in user, when there is one (shows the navigation). */
  user?: string;
  csrf: string;
  /** Which navigation entry is current. */
  section?: 'providers' | 'machines' | 'add' | 'images' | 'plans' | 'keys' | 'activity';
  /** Scripts under /static/js/ the page needs. */
  scripts?: string[];
  /** ES modules under /static/js/ the page needs. */
  modules?: string[];
}

export type ViewRenderer = (view: string, context: LayoutContext & Record<string, unknown>) => string;

export function createViewRenderer(dir = VIEWS_DIR): ViewRenderer {
  const hbs = Handlebars.create();
  registerHelpers(hbs);
  const partialsDir = join(dir, 'partials');
  for (const file of readdirSync(partialsDir).filter((f) => f.endsWith('.hbs'))) {
    hbs.registerPartial(basename(file, '.hbs'), readFileSync(join(partialsDir, file), 'utf8'));
  }
  const templates = new Map<string, Handlebars.TemplateDelegate>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.hbs'))) {
    templates.set(basename(file, '.hbs'), hbs.compile(readFileSync(join(dir, file), 'utf8'), { strict: false }));
  }
  const layout = templates.get('layout');
  if (!layout) throw new Error(`no layout.hbs in ${dir}`);
  return (view, context) => {
    const template = templates.get(view);
    if (!template) throw new Error(`no view ${view}.hbs in ${dir}`);
    const full = { ...context, version: VERSION, [`nav_${context.section ?? 'none'}`]: true };
    return layout({ ...full, body: new hbs.SafeString(template(full)) });
  };
}

function registerHelpers(hbs: typeof Handlebars): void {
  hbs.registerHelper('bytes', (value: unknown) => humanBytes(typeof value === 'number' ? value : undefined));
  hbs.registerHelper('ago', (value: unknown) => (value instanceof Date ? timeAgo(value) : 'unknown'));
  hbs.registerHelper('iso', (value: unknown) => (value instanceof Date ? isoTime(value) : ''));
  hbs.registerHelper('when', (value: unknown) => readableTime(value instanceof Date ? value : undefined));
  hbs.registerHelper('mib', (value: unknown) =>
    typeof value === 'number' && value > 0 ? String(Math.round(value / 1024 ** 2)) : '',
  );
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hbs.registerHelper('or', (a: unknown, b: unknown) => a || b);
  hbs.registerHelper('json', (value: unknown) => JSON.stringify(value));
  hbs.registerHelper('join', (value: unknown, separator: unknown) =>
    Array.isArray(value) ? value.join(typeof separator === 'string' ? separator : ' ') : '',
  );
}
