/**
 * The real panel for tests, built by the composition root (server/app/panel.ts) exactly as the
 * vmango command builds it: listening on a free loopback port, with its log lines kept.
 */
import { buildPanel, startPanel, type Panel, type PanelOptions, type RunningPanel } from '../../server/app/panel.js';
import type { Config } from '../../server/config/index.js';
import { capturedLogger } from './loggers.js';

export interface TestPanel extends RunningPanel {
  /** The panel's log lines, parsed. */
  lines: Record<string, unknown>[];
}

export interface TestPanelOptions extends PanelOptions {
  /** How long to wait for every hypervisor to connect or fail once (default: the manager's open deadline). */
  settleMs?: number;
  logLevel?: PanelOptions['logLevel'];
}

export async function startTestPanel(config: Config, options: TestPanelOptions = {}): Promise<TestPanel> {
  const { logger, lines } = capturedLogger(options.logLevel ?? 'info');
  const panel = await startPanel(config, { logger, listen: { host: '127.0.0.1', port: 0 }, ...options });
  await panel.hypervisors.settled(options.settleMs);
  return { ...panel, lines };
}

export interface TestServices extends Panel {
  lines: Record<string, unknown>[];
  close(): Promise<void>;
}

/** The panel's services and connections without its web server (service-level tests). */
export async function startTestServices(config: Config, options: TestPanelOptions = {}): Promise<TestServices> {
  const { logger, lines } = capturedLogger(options.logLevel ?? 'debug');
  const panel = buildPanel(config, { logger, pages: false, ...options });
  panel.hypervisors.start();
  await panel.hypervisors.settled(options.settleMs);
  return {
    ...panel,
    lines,
    close: () => panel.closeServices(),
  };
}
