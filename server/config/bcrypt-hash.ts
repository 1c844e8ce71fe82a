// $2a$/$2b$/$2y$, a two-digit cost 04-31, then 22 characters of salt and 31 of hash in bcrypt's base64 alphabet.
const BCRYPT_HASH = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

export function isBcryptHash(text: string): boolean {
  return BCRYPT_HASH.test(text);
}

export const BCRYPT_HASH_RULE =
  'a bcrypt hash: "$2a$", "$2b$" or "$2y$", a cost from 04 to 31, "$", then 53 characters of [./A-Za-z0-9] ' +
  '(60 characters in all); generate one with `vmango genpw`';
