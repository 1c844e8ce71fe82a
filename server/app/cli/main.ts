import { describeUserAccess } from '../../config/describe-access.js';
import { describeAuditLog, describeWebhook } from '../../config/describe-outputs.js';
import { AccessPolicy } from '../../services/access/access-policy.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, UsageError, USAGE, type CliArgs } from './args.js';
import { runGenpw } from './genpw.js';
import { runGentoken } from './gentoken.js';
import { runEventsCommand } from './events.js';
import { VERSION } from '../../core/version.js';
import { ConfigError, loadConfig, releaseHclParser, type Config } from '../../config/index.js';
import { demoConfig, DEMO_USER } from '../demo.js';
import type { RunningPanel } from '../panel.js';
import { keepYoungGenerationSmall } from './young-generation.js';

export interface CliIo {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

const processIo = (): CliIo => ({
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});

/** Runs `vmango …` and resolves to the exit code (the server resolves when it has shut down). */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`vmango: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (args.version) {
    io.stdout.write(`vmango ${VERSION}\n`);
    return 0;
  }
  if (args.command === 'genpw') return runGenpw(args.commandArgs, io);
  if (args.command === 'gentoken') return runGentoken(args.commandArgs, io);
  if (args.command === 'events') return runEventsCommand(args.commandArgs, io);
  if (args.command !== undefined) {
    io.stderr.write(`vmango: unknown command "${args.command}"\n\n${USAGE}`);
    return 2;
  }

  const configPath = resolve(io.cwd, args.config ?? io.env.VMANGO_CONFIG ?? 'vmango.conf');
  const configNamed = Boolean(args.config ?? io.env.VMANGO_CONFIG);
  if (!existsSync(configPath) && !configNamed && !args.check) {
    const demo = demoConfig(io.env.VMANGO_DEMO_LISTEN || undefined);
    io.stderr.write(
      `vmango: no config file (${configPath} does not exist): starting the demo on libvirt's test driver.\n` +
        `vmango: open http://${demo.config.listen.host}:${demo.config.listen.port}/ and log in as ${DEMO_USER} / ${demo.password}\n`,
    );
    return (await startPanelLazily(demo.config, args.logLevel)).closed;
  }
  if (!existsSync(configPath)) {
    const how = args.config ? 'given with -config' : io.env.VMANGO_CONFIG ? 'from $VMANGO_CONFIG' : 'the default, ./vmango.conf';
    io.stderr.write(`vmango: config file ${configPath} (${how}) does not exist; give one with -config FILE or $VMANGO_CONFIG\n`);
    return 1;
  }
  let config: Config;
  let parserReleased: Promise<void>;
  try {
    config = loadConfig(configPath);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr.write(
      `vmango: config validation failed, ${err.problems.length} problem(s) in ${configPath}:\n${formatProblems(err)}`,
    );
    return 1;
  } finally {
    // The config is read once: the HCL parser's worker (about 50 MB) goes now, not when idle.
    parserReleased = releaseHclParser();
  }
  if (args.check) {
    io.stdout.write(
      `config OK: ${configPath} (${config.hypervisors.length} hypervisor(s), ${config.plans.length} plan(s), ` +
        `${config.users.length} user(s), ${config.sshKeys.length} ssh key(s))\n`,
    );
    const policy = new AccessPolicy(config);
    for (const user of config.users) io.stdout.write(`  ${describeUserAccess(user, policy.quotaFor(user.name))}\n`);
    io.stdout.write(`  ${describeAuditLog(config)}\n`);
    for (const hook of config.webhooks) io.stdout.write(`  ${describeWebhook(hook)}\n`);
    return 0;
  }
  // Gone before the panel starts (and gives the memory its thread left back, see startPanel).
  await parserReleased;
  const panel = await startPanelLazily(config, args.logLevel);
  return panel.closed;
}

/**
 * Loads the panel's modules (web server, views, libvirt) only to serve, after the config is read,
 * with V8's young generation kept small first (see young-generation.ts: the config parser's worker
 * thread reset it).
 */
async function startPanelLazily(config: Config, logLevel: CliArgs['logLevel']): Promise<RunningPanel> {
  keepYoungGenerationSmall();
  const { startPanel } = await import('../panel.js');
  return startPanel(config, { logLevel, handleSignals: true, tuneMemory: true });
}

function formatProblems(err: ConfigError): string {
  return err.problems.map((p) => `  * ${p.path}: ${p.message.replace(/\n/g, '\n    ')}\n`).join('');
}
