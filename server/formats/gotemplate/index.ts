/** Go text/template (Go 1.19 semantics) for vmango's domain and volume XML templates. */
export { TemplateError } from './errors.js';
export { parseTemplate, type ExecuteOptions, type Template } from './template.js';
export { TrustedXml, GoFloat, GoNumber, GoNamed, GoTime, GoTypedNil, GoFunc, type GoNumericType } from './values.js';
