// Fails when the modules of src/ and webview/ import each other in a ring, `import type` included
// (DESIGN.md: shared types live in leaf modules, so no two files import each other). ESLint's
// import/no-cycle would do this, but its plugin is not a dependency; TypeScript's own module
// resolution is, so the graph here is exactly the one the compiler sees.
//
//   node scripts/check-cycles.mjs [dir…]    default: src webview
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function compilerOptions() {
  const configPath = join(REPO_ROOT, 'tsconfig.json');
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
  return ts.parseJsonConfigFileContent(config, ts.sys, REPO_ROOT).options;
}

/** file → the files of the checked set it imports (static, dynamic and type-only imports, and re-exports). */
export function importGraph(files, options = compilerOptions()) {
  const inSet = new Set(files);
  const graph = new Map();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = new Set();
    for (const { fileName } of importedFiles) {
      const resolved = ts.resolveModuleName(fileName, file, options, ts.sys).resolvedModule?.resolvedFileName;
      if (resolved && inSet.has(resolve(resolved))) targets.add(resolve(resolved));
    }
    graph.set(file, [...targets]);
  }
  return graph;
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function cycles(graph) {
  let counter = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (node) => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node), low.get(next)));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node), index.get(next)));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const dirs = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['src', 'webview'];
  const files = dirs.flatMap((dir) => sourceFiles(resolve(REPO_ROOT, dir)));
  const rings = cycles(importGraph(files));
  for (const ring of rings) {
    console.error(`import cycle (${ring.length} files, type-only imports count): ${ring.map((f) => relative(REPO_ROOT, f)).join(' ↔ ')}`);
  }
  if (rings.length > 0) {
    console.error(`${rings.length} import cycle(s): move the shared types or functions into a leaf module.`);
    process.exitCode = 1;
  } else {
    console.log(`no import cycles among ${files.length} files in ${dirs.join(', ')}`);
  }
}
