/** Making the bcrypt hashes the config's `user` blocks hold (`vmango genpw`, the demo). */
import bcrypt from 'bcryptjs';

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
