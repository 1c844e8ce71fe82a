import { describe, expect, it } from 'vitest';
import { TemplateError, parseTemplate } from '../../../server/formats/gotemplate/index.js';
import { CORPUS_DIR, GOLDEN_DIR, buildData, corpusFiles, readCases, type CorpusCase, type GoldenCase } from './corpus-data.js';

function render(c: CorpusCase): GoldenCase {
  try {
    return { name: c.name, output: parseTemplate(c.name, c.template).execute(buildData(c.data)) };
  } catch (e) {
    if (e instanceof TemplateError) return { name: c.name, error: e.message };
    throw e;
  }
}

describe('Go text/template goldens', () => {
  for (const file of corpusFiles()) {
    const cases = readCases<CorpusCase>(CORPUS_DIR, file);
    const goldens = readCases<GoldenCase>(GOLDEN_DIR, file);
    it(`${file}: golden file lists the same cases`, () => {
      expect(goldens.map((g) => g.name)).toEqual(cases.map((c) => c.name));
    });
    cases.forEach((c, i) => {
      it(`${file}: ${c.name}`, () => {
        expect(render(c)).toEqual(goldens[i]);
      });
    });
  }
});
