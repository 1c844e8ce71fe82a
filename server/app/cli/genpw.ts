import bcrypt from 'bcryptjs';
import { promptHidden, readFirstLine } from './password-input.js';

export const BCRYPT_COST = 10;
const BCRYPT_MAX_BYTES = 72;

/**
 * A bcrypt hash in the `$2a$` form vmango 0.6 wrote (Go's x/crypto/bcrypt);
 * `$2a$` and `$2b$` compute the same hash for passwords bcrypt accepts.
 */
export function hashPassword(password: string): string {
  checkPassword(password);
  const salt = bcrypt.genSaltSync(BCRYPT_COST).replace(/^\$2b\$/, '$2a$');
  return bcrypt.hashSync(password, salt);
}

function checkPassword(password: string): void {
  if (password.length === 0) throw new Error('the password is empty');
  if (Buffer.byteLength(password) > BCRYPT_MAX_BYTES) {
    throw new Error(`the password is longer than ${BCRYPT_MAX_BYTES} bytes; bcrypt would ignore the rest, so use a shorter one`);
  }
}

export interface GenpwIo {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** `vmango genpw [PASSWORD]`: prints a hash; asks twice on a terminal, reads a line from a pipe. */
export async function runGenpw(args: string[], io: GenpwIo): Promise<number> {
  if (args.length > 1 || args[0] === '-h' || args[0] === '-help' || args[0] === '--help') {
    io.stderr.write('Usage: vmango genpw [PASSWORD]\n  Without PASSWORD it asks twice on a terminal, or reads one line from standard input.\n');
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
