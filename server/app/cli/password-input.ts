import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/** Asks for a secret on a terminal without echoing what is typed. */
export async function promptHidden(question: string, input: NodeJS.ReadStream, output: NodeJS.WriteStream): Promise<string> {
  output.write(question);
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input, output: muted, terminal: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      rl.once('close', () => reject(new Error('no password given (input closed)')));
      rl.once('SIGINT', () => reject(new Error('interrupted')));
    });
  } finally {
    rl.close();
    output.write('\n');
  }
}

/** Reads the first line of a non-terminal stdin (a pipe or a file). */
export async function readFirstLine(input: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of input) {
    text += chunk.toString();
    if (text.includes('\n')) break;
  }
  return text.split('\n', 1)[0]!.replace(/\r$/, '');
}
