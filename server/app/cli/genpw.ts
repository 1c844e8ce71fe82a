import { hashPassword } from '../../services/auth/password-hash.js';
import { promptHidden, readFirstLine } from './password-input.js';

export interface GenpwIo {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** `vmango genpw [PASSWORD]`: prints a hash; asks twice on a terminal, reads a line from a pipe. */
export async function runGenpw(args: string[], io: GenpwIo): Promise<number> {
  if (args.length > 1 || args[0] === '-h' || args[0] === '-help' || args[0] === '--help') {
    io.stderr.write(
      'Usage: vmango genpw [PASSWORD]\n  Without PASSWORD it asks twice on a terminal, or reads one line from standard input.\n',
    );
    return args.length > 1 ? 2 : 0;
  }
  let password: string;
  if (args.length === 1) {
    password = args[0]!;
  } else if (io.stdin.isTTY) {
    password = await promptHidden('Password: ', io.stdin, io.stderr);
    const again = await promptHidden('Repeat password: ', io.stdin, io.stderr);
    if (again !== password) {
      io.stderr.write('vmango genpw: the passwords do not match\n');
      return 1;
    }
  } else {
    password = await readFirstLine(io.stdin);
  }
  try {
    io.stdout.write(`${hashPassword(password)}\n`);
    return 0;
  } catch (err) {
    io.stderr.write(`vmango genpw: ${(err as Error).message}\n`);
    return 1;
  }
}
