/**
 * A parse or execution error, with the message formatted exactly as Go's
 * text/template formats it:
 *   parse: `template: NAME:LINE: message`
 *   exec:  `template: NAME:LINE:COL: executing "NAME" at <node>: message`
 */
export class TemplateError extends Error {
  readonly templateName: string;
  readonly line: number;
  readonly col?: number;

  constructor(message: string, templateName: string, line: number, col?: number) {
    super(message);
    this.name = 'TemplateError';
    this.templateName = templateName;
    this.line = line;
    if (col !== undefined) this.col = col;
  }
}

/** Thrown inside the parser and caught by parseTemplate, which knows the template name and line. */
export class ParseFailure extends Error {}
