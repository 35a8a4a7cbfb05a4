import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseCircular, parseDependencyTree, type DependencyTree } from 'dpdm';
import { afterAll, describe, expect, it } from 'vitest';

const REPO_ROOT = resolve(import.meta.dirname, '..');
/** The code that is deployed or run: the logic, the handlers, the CLI and the local run. */
const SOURCES = ['shared/**/*.ts', 'functions/**/*.ts', 'cli/**/*.ts', 'local/**/*.ts'];

/** The import graph of `globs` under `root`, type-only imports included (a cycle of types is still a knot to untie). */
async function importGraph(globs: string[], root: string): Promise<DependencyTree> {
  return parseDependencyTree(globs, { cwd: root, context: root, transform: false, skipDynamicImports: false });
}

/** Every import cycle, each as the files it goes through (repo-relative). */
function cyclesOf(graph: DependencyTree, root: string): string[][] {
  return parseCircular(graph).map((cycle) => cycle.map((file) => file.replace(`${root}/`, '')));
}

describe('the import graph', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'architecture-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('has no import cycle in shared/, functions/, cli/ or local/', async () => {
    // Act
    const graph = await importGraph(SOURCES, REPO_ROOT);

    // Assess: the whole tree was read (a glob matching nothing would find no cycle either).
    const files = Object.keys(graph).filter((file) => !file.includes('node_modules'));
    expect(files.length).toBeGreaterThan(100);
    expect(cyclesOf(graph, REPO_ROOT)).toEqual([]);
  });

  it('keeps shared/runtime/ at the bottom: it imports only runtime/ itself, node: built-ins and packages', async () => {
    // Act
    const graph = await importGraph(SOURCES, REPO_ROOT);

    // Assess: every file runtime/ imports is in runtime/, a node: built-in or a package (node_modules).
    const runtime = Object.entries(graph).filter(([file]) => file.replace(`${REPO_ROOT}/`, '').startsWith('shared/runtime/'));
    expect(runtime.length).toBeGreaterThan(5);
    const outside = runtime.flatMap(([file, imports]) =>
      (imports ?? [])
        .map((dependency) => dependency.id)
        .filter((id): id is string => typeof id === 'string' && !id.startsWith('node:') && !id.includes('node_modules') && !id.replace(`${REPO_ROOT}/`, '').startsWith('shared/runtime/'))
        .map((id) => `${file.replace(`${REPO_ROOT}/`, '')} -> ${id.replace(`${REPO_ROOT}/`, '')}`),
    );
    expect(outside).toEqual([]);
  });

  it('reports a cycle when there is one, type-only imports included', async () => {

    // Prepare: a port that imports its adapter's type, the adapter that implements the port.
    writeFileSync(join(scratch, 'port.ts'), "import type { Adapter } from './adapter.ts';\nexport interface Port { adapter?: Adapter }\n");
    writeFileSync(join(scratch, 'adapter.ts'), "import type { Port } from './port.ts';\nexport class Adapter implements Port {}\n");

    // Act
    const cycles = cyclesOf(await importGraph(['*.ts'], scratch), scratch);

    // Assess
    expect(cycles).toHaveLength(1);
    expect([...cycles[0]!].sort()).toEqual(['adapter.ts', 'port.ts']);
  });
});
