// Import cycles among our files, type-only imports included (eslint import-x/no-cycle skips those): part of `npm run lint`.
import fs from 'node:fs';
import path from 'node:path';
const walk = (d) =>
  fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(d, e.name);
    return e.isDirectory() ? walk(p) : /\.(ts|svelte)$/.test(e.name) ? [p] : [];
  });
const files = walk('src');
const graph = new Map();
for (const f of files) {
  const text = fs.readFileSync(f, 'utf8');
  const deps = [...text.matchAll(/(?:import|export)\s[^'";]*?from\s+['"](\.[^'"]+)['"]/g)].map((m) =>
    path.normalize(path.join(path.dirname(f), m[1])),
  );
  graph.set(
    f,
    deps.filter((d) => graph.has(d) || files.includes(d)),
  );
}
let index = 0;
const stack = [];
const on = new Set();
const idx = new Map();
const low = new Map();
const sccs = [];
const strong = (v) => {
  idx.set(v, index);
  low.set(v, index);
  index++;
  stack.push(v);
  on.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!idx.has(w)) {
      strong(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const c = [];
    let w;
    do {
      w = stack.pop();
      on.delete(w);
      c.push(w);
    } while (w !== v);
    if (c.length > 1) sccs.push(c);
  }
};
for (const f of files) if (!idx.has(f)) strong(f);
console.log(`${files.length} files, ${sccs.length} import cycle(s) (type-only imports included)`);
for (const c of sccs) console.log('  ' + c.join(' <-> '));
process.exitCode = sccs.length ? 1 : 0;
