/**
 * How long reading 1000 domain XMLs into Machines takes (no hypervisor needed).
 * Run alone with `npx tsx bench/domain-xml.ts`; scripts/bench.sh runs it with the others.
 */
import { readFileSync } from 'node:fs';
import { machineFromDomain, parseDomainXml } from '../server/services/machines/domain-xml.js';

const xmls = ['domain-one.xml', 'domain-two.xml'].map((name) =>
  readFileSync(new URL(`../test/services/machines/fixtures/${name}`, import.meta.url), 'utf8'),
);
const readAll = (): void => {
  for (let i = 0; i < 1000; i++) machineFromDomain(parseDomainXml(xmls[i % 2]!), { provider: 'bench' });
};
for (let i = 0; i < 3; i++) readAll(); // warm up the JIT
const runs: number[] = [];
for (let r = 0; r < 9; r++) {
  const start = performance.now();
  readAll();
  runs.push(performance.now() - start);
}
runs.sort((a, b) => a - b);
const kib = (xmls[0]!.length + xmls[1]!.length) / 2 / 1024;
console.log(
  `1000 domain XMLs (${kib.toFixed(1)} KiB each) parsed into Machines: best ${runs[0]!.toFixed(1)} ms, median ${runs[4]!.toFixed(1)} ms`,
);
