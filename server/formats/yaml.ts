import { quoteString, type QuotingRules } from './quoted-string.js';

/** Everything outside YAML 1.1's printable set, and its line breaks, as \u escapes. */
const YAML_RULES: QuotingRules = {
  escapes: (code) =>
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0xfeff ||
    code === 0xfffe ||
    code === 0xffff,
  loneSurrogate: '\\ufffd',
};

/** A double-quoted scalar that YAML 1.1 (PyYAML, which cloud-init uses) and JSON both read back as `value`. */
export function yamlSafeString(value: string): string {
  return quoteString(value, YAML_RULES);
}
