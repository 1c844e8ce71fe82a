import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

/*
 * hcl2-parser is HCL v2 compiled from Go with GopherJS. Three problems with using it as is:
 *  1. Its errors come back as `{}`: GopherJS turns a Go error value into a JS object of the
 *     struct's exported fields, and the error (a *errors.errorString) has none. We patch the
 *     runtime's conversion of Go interface values so a Go `error` crosses over as
 *     `{ goErrorMessage: err.Error() }`; the message carries HCL's positioned diagnostics.
 *  2. A bug in compiled Go code could loop forever and freeze the process, so every parse has a
 *     hard time limit.
 *  3. It is big: about 50 MB of memory once loaded (4 MB of source, its compiled code, the Go
 *     runtime's heap), which a panel that reads its config once at startup should not keep.
 * So the parser runs on a worker thread (in its own vm context there, as a browser script, so it
 * sees no `require`/`process`). The caller blocks on the answer (Atomics.wait), which keeps this
 * API synchronous; a parse past its time limit terminates the worker. Terminating the worker
 * (releaseHclParser, or when it was idle a while) frees all of its memory at once, which letting
 * go of an in-process sandbox did not: that waited for a full garbage collection, and left the
 * panel's own heap grown by loading it.
 */

export const PARSE_TIME_LIMIT_MS = 3000;
/** Starting the worker and compiling the parser; only a broken installation takes this long. */
const LOAD_TIME_LIMIT_MS = 60_000;

export type RawParseResult = { ok: true; json: string } | { ok: false; errorMessage: string };

/** The parse ran past its time limit. */
export class ParserTimeout extends Error {}
/** The compiled Go code threw (a Go panic) instead of returning a result or an error. */
export class ParserPanic extends Error {}

const EXTERNALIZE_INTERFACE = 'case $kindInterface:return e===$ifaceNil?null:';
const EXTERNALIZE_INTERFACE_PATCHED =
  'case $kindInterface:if(n===$error&&e!==$ifaceNil&&typeof e.Error==="function")' +
  'return {goErrorMessage:e.Error()};return e===$ifaceNil?null:';

/** What the worker answers: after loading, and for each parse. */
type WorkerAnswer =
  | { kind: 'ready' }
  | { kind: 'load-failed'; message: string }
  | { kind: 'result'; json: unknown; errorMessage: unknown; hasError: boolean }
  | { kind: 'unexpected' }
  | { kind: 'panic'; message: string };

/**
 * The worker's program (CommonJS, run with `eval: true`, so it needs no file of its own and runs the
 * same from dist/ and from the TypeScript sources under test). It stores 1 in the shared cell and
 * wakes the caller after posting each answer.
 */
const WORKER_SOURCE = `
'use strict';
const { readFileSync } = require('node:fs');
const vm = require('node:vm');
const { workerData } = require('node:worker_threads');
const { file, pattern, replacement, signal, port } = workerData;
const cell = new Int32Array(signal);
function answer(message) {
  port.postMessage(message);
  Atomics.store(cell, 0, 1);
  Atomics.notify(cell, 0);
}
let parse;
try {
  const source = readFileSync(file, 'utf8');
  if (source.split(pattern).length !== 2) {
    throw new Error('cannot read syntax errors from ' + file + ': the GopherJS runtime code this loader patches was not found ' +
      '(hcl2-parser was upgraded?); server/config/hcl-sandbox.ts must be updated');
  }
  const module = { exports: {} };
  const context = vm.createContext({ module, exports: module.exports });
  vm.runInContext(source.replace(pattern, replacement), context, { filename: 'hcl2-parser/dist/index.js' });
  if (typeof module.exports.parseToString !== 'function') throw new Error('hcl2-parser did not export parseToString');
  parse = module.exports.parseToString;
} catch (err) {
  answer({ kind: 'load-failed', message: err && typeof err.message === 'string' ? err.message : String(err) });
}
if (parse) {
  port.on('message', (text) => {
    let result;
    try {
      result = parse(text);
    } catch (err) {
      // Errors thrown inside the context are of its realm, so instanceof Error does not apply.
      const message = err !== null && typeof err === 'object' && typeof err.message === 'string' ? err.message : String(err);
      answer({ kind: 'panic', message });
      return;
    }
    if (!Array.isArray(result) || result.length !== 2) {
      answer({ kind: 'unexpected' });
      return;
    }
    const [json, error] = result;
    const hasError = error !== null && error !== undefined;
    const errorMessage = hasError && typeof error === 'object' ? error.goErrorMessage : undefined;
    answer({ kind: 'result', json: typeof json === 'string' ? json : undefined, errorMessage, hasError });
  });
  answer({ kind: 'ready' });
}
`;

interface ParserWorker {
  worker: Worker;
  port: MessagePort;
  cell: Int32Array;
}

let current: ParserWorker | undefined;

// Config is read at startup; a parser left idle this long is let go (the panel lets go at once).
const IDLE_RELEASE_MS = 5000;
let releaseTimer: NodeJS.Timeout | undefined;

function scheduleRelease(): void {
  clearTimeout(releaseTimer);
  releaseTimer = setTimeout(() => void releaseHclParser(), IDLE_RELEASE_MS);
  releaseTimer.unref();
}

/**
 * Stops the parser's worker, freeing its memory; the next parse starts a new one. Resolves once
 * the worker's thread has ended.
 */
export async function releaseHclParser(): Promise<void> {
  clearTimeout(releaseTimer);
  releaseTimer = undefined;
  const parser = current;
  current = undefined;
  if (parser) {
    parser.port.close();
    await parser.worker.terminate();
  }
}

/** Blocks until the worker answers or `limitMs` passes (undefined then). */
function awaitAnswer(parser: ParserWorker, limitMs: number): WorkerAnswer | undefined {
  if (Atomics.wait(parser.cell, 0, 0, limitMs) === 'timed-out') return undefined;
  Atomics.store(parser.cell, 0, 0);
  return receiveMessageOnPort(parser.port)?.message as WorkerAnswer | undefined;
}

function startWorker(): ParserWorker {
  const file = createRequire(import.meta.url).resolve('hcl2-parser');
  const signal = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, pattern: EXTERNALIZE_INTERFACE, replacement: EXTERNALIZE_INTERFACE_PATCHED, signal, port: port2 },
    transferList: [port2],
    stdout: false,
    stderr: false,
    // Loading the parser allocates much that survives; a young generation left to grow to V8's
    // 32 MB would add most of that to the process's peak memory at startup.
    resourceLimits: { maxYoungGenerationSizeMb: 4 },
  });
  worker.unref();
  // A worker that dies is noticed by its missing answer; this keeps its error from being unhandled.
  worker.on('error', () => undefined);
  const parser: ParserWorker = { worker, port: port1, cell: new Int32Array(signal) };
  const answer = awaitAnswer(parser, LOAD_TIME_LIMIT_MS);
  if (answer?.kind !== 'ready') {
    port1.close();
    void worker.terminate();
    throw new Error(
      answer?.kind === 'load-failed' ? answer.message : `the HCL parser did not load within ${LOAD_TIME_LIMIT_MS} ms`,
    );
  }
  return parser;
}

/**
 * Converts HCL text to hcl2json's JSON form. Throws (plain Error) only when the parser itself
 * breaks: time limit exceeded, Go panic, or an unexpected result shape. After such a failure
 * the worker is thrown away, since the Go runtime inside may be left in a broken state.
 */
export function hclToJson(text: string, timeLimitMs: number = PARSE_TIME_LIMIT_MS): RawParseResult {
  current ??= startWorker();
  scheduleRelease();
  const parser = current;
  parser.port.postMessage(text);
  const answer = awaitAnswer(parser, timeLimitMs);
  if (answer === undefined) {
    void releaseHclParser();
    throw new ParserTimeout(`the HCL parser did not finish within ${timeLimitMs} ms`);
  }
  if (answer.kind === 'panic') {
    void releaseHclParser();
    throw new ParserPanic(`the HCL parser failed: ${answer.message}`);
  }
  if (answer.kind !== 'result') {
    void releaseHclParser();
    throw new Error('the HCL parser returned an unexpected result');
  }
  if (answer.hasError) {
    const message = answer.errorMessage;
    return { ok: false, errorMessage: typeof message === 'string' ? message : 'invalid HCL syntax' };
  }
  if (typeof answer.json !== 'string') {
    void releaseHclParser();
    throw new Error('the HCL parser returned an unexpected result');
  }
  return { ok: true, json: answer.json };
}
