import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import vm from 'node:vm';

/*
 * hcl2-parser is HCL v2 compiled from Go with GopherJS. Two problems with using it as is:
 *  1. Its errors come back as `{}`: GopherJS turns a Go error value into a JS object of the
 *     struct's exported fields, and the error (a *errors.errorString) has none. We patch the
 *     runtime's conversion of Go interface values so a Go `error` crosses over as
 *     `{ goErrorMessage: err.Error() }`; the message carries HCL's positioned diagnostics.
 *  2. A bug in compiled Go code could loop forever and freeze the process. The module runs in
 *     its own vm context, so every parse can have a hard time limit.
 */
const EXTERNALIZE_INTERFACE = 'case $kindInterface:return e===$ifaceNil?null:';
const EXTERNALIZE_INTERFACE_PATCHED =
  'case $kindInterface:if(n===$error&&e!==$ifaceNil&&typeof e.Error==="function")' +
  'return {goErrorMessage:e.Error()};return e===$ifaceNil?null:';

export const PARSE_TIME_LIMIT_MS = 3000;

export type RawParseResult = { ok: true; json: string } | { ok: false; errorMessage: string };

/** The parse ran past its time limit. */
export class ParserTimeout extends Error {}
/** The compiled Go code threw (a Go panic) instead of returning a result or an error. */
export class ParserPanic extends Error {}

interface Sandbox {
  context: vm.Context;
}

let patchedSource: string | undefined;
let sandbox: Sandbox | undefined;

// The parser holds ~15 MB of heap; config is read at startup, so let it go once parsing stops.
const IDLE_RELEASE_MS = 5000;
let releaseTimer: NodeJS.Timeout | undefined;

function scheduleRelease(): void {
  clearTimeout(releaseTimer);
  releaseTimer = setTimeout(() => {
    sandbox = undefined;
    patchedSource = undefined;
  }, IDLE_RELEASE_MS);
  releaseTimer.unref();
}

function loadPatchedSource(): string {
  if (patchedSource !== undefined) return patchedSource;
  const require = createRequire(import.meta.url);
  const file = require.resolve('hcl2-parser');
  const source = readFileSync(file, 'utf8');
  if (source.split(EXTERNALIZE_INTERFACE).length !== 2) {
    throw new Error(
      `cannot read syntax errors from ${file}: the GopherJS runtime code this loader patches was not found ` +
        '(hcl2-parser was upgraded?); server/config/hcl-sandbox.ts must be updated',
    );
  }
  patchedSource = source.replace(EXTERNALIZE_INTERFACE, EXTERNALIZE_INTERFACE_PATCHED);
  return patchedSource;
}

function createSandbox(): Sandbox {
  const module = { exports: {} as Record<string, unknown> };
  const context = vm.createContext({ module, exports: module.exports });
  vm.runInContext(loadPatchedSource(), context, { filename: 'hcl2-parser/dist/index.js' });
  if (typeof module.exports['parseToString'] !== 'function') {
    throw new Error('hcl2-parser did not export parseToString');
  }
  context['__parseToString'] = module.exports['parseToString'];
  return { context };
}

/**
 * Converts HCL text to hcl2json's JSON form. Throws (plain Error) only when the parser itself
 * breaks: time limit exceeded, Go panic, or an unexpected result shape. After such a failure
 * the sandbox is thrown away, since the Go runtime inside may be left in a broken state.
 */
export function hclToJson(text: string, timeLimitMs: number = PARSE_TIME_LIMIT_MS): RawParseResult {
  sandbox ??= createSandbox();
  scheduleRelease();
  const { context } = sandbox;
  context['__input'] = text;
  let result: unknown;
  try {
    result = vm.runInContext('__parseToString(__input)', context, { timeout: timeLimitMs });
  } catch (err) {
    sandbox = undefined;
    // Errors thrown inside the context are of its realm, so `instanceof Error` does not apply.
    const { code, message } = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; message?: unknown };
    const reason = typeof message === 'string' ? message : String(err);
    if (code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      throw new ParserTimeout(`the HCL parser did not finish within ${timeLimitMs} ms`);
    }
    throw new ParserPanic(`the HCL parser failed: ${reason}`);
  } finally {
    context['__input'] = undefined;
  }
  if (!Array.isArray(result) || result.length !== 2) {
    sandbox = undefined;
    throw new Error('the HCL parser returned an unexpected result');
  }
  const [json, error] = result as [unknown, unknown];
  if (error !== null && error !== undefined) {
    const message = (error as { goErrorMessage?: unknown }).goErrorMessage;
    return { ok: false, errorMessage: typeof message === 'string' ? message : 'invalid HCL syntax' };
  }
  if (typeof json !== 'string') {
    sandbox = undefined;
    throw new Error('the HCL parser returned an unexpected result');
  }
  return { ok: true, json };
}
