import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// docs/architecture.md names, for every state of the state machine, its function folder and its
// logic files. This test keeps that table true: it reads the ASL and serverless.yml, and every
// file the table names must exist and be part of that function's bundle (reached by its imports).

const REPO_ROOT = resolve(import.meta.dirname, '..');
const DOC = 'docs/architecture.md';
const NONE = '—';

interface AslState {
  Type: string;
  Resource?: unknown;
  Parameters?: { FunctionName?: unknown };
  Branches?: Array<{ States: Record<string, AslState> }>;
  Iterator?: { States: Record<string, AslState> };
  ItemProcessor?: { States: Record<string, AslState> };
}

interface StateFact {
  name: string;
  type: string;
  /** The serverless.yml function a Task state invokes. */
  functionName?: string;
}

interface Repo {
  states: StateFact[];
  /** serverless.yml function name → its folder (functions/<step>/). */
  folderOf: (functionName: string) => string | undefined;
  functionFolders: string[];
  exists: (path: string) => boolean;
  /** The repo files a function's bundle holds: everything its handler.ts reaches by relative imports. */
  bundleOf: (folder: string) => Set<string>;
  /** The files app.ts imports itself. */
  directImportsOf: (file: string) => Set<string>;
}

interface TableRow {
  cells: string[];
  /** The backquoted repo paths of the last cell. */
  files: string[];
}

function getAttTarget(value: unknown): string | undefined {
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
  return Array.isArray(getAtt) ? getAtt[0] : undefined;
}

/** Every state, nested ones (Parallel, Map) included. */
function statesOf(states: Record<string, AslState>): StateFact[] {
  return Object.entries(states).flatMap(([name, state]) => {
    const functionName = state.Type === 'Task' ? (getAttTarget(state.Resource) ?? getAttTarget(state.Parameters?.FunctionName)) : undefined;
    const nested = [...(state.Branches ?? []), ...(state.Iterator ? [state.Iterator] : []), ...(state.ItemProcessor ? [state.ItemProcessor] : [])];
    return [{ name, type: state.Type, ...(functionName ? { functionName } : {}) }, ...nested.flatMap((branch) => statesOf(branch.States))];
  });
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"\n]+)\1/g;

function importsOf(file: string): Set<string> {
  const source = readFileSync(join(REPO_ROOT, file), 'utf8');
  return new Set([...source.matchAll(SPECIFIER)].map((match) => normalize(join(dirname(file), match[2]!))));
}

function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file) || !existsSync(join(REPO_ROOT, file))) continue;
    seen.add(file);
    pending.push(...importsOf(file));
  }
  return seen;
}

function theRepo(): Repo {
  const definition = JSON.parse(readFileSync(join(REPO_ROOT, 'statemachines/export.asl.json'), 'utf8')) as { States: Record<string, AslState> };
  const serverless = readFileSync(join(REPO_ROOT, 'serverless.yml'), 'utf8');
  return {
    states: statesOf(definition.States),
    folderOf: (functionName) => new RegExp(`^  ${functionName}:\\n    handler: (functions/[a-z0-9-]+)/handler\\.handler$`, 'm').exec(serverless)?.[1]?.concat('/'),
    functionFolders: readdirSync(join(REPO_ROOT, 'functions')).map((name) => `functions/${name}/`),
    exists: (path) => existsSync(join(REPO_ROOT, path)),
    bundleOf: (folder) => reachable(`${folder}handler.ts`),
    directImportsOf: importsOf,
  };
}

/** The rows of the table whose header row starts with `| <firstHeader> |`. */
function tableAfter(markdown: string, firstHeader: string): TableRow[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`| ${firstHeader} |`));
  if (start < 0) return [];
  const rows: TableRow[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
    const files = [...(cells.at(-1) ?? '').matchAll(/`([^`]+\.ts)`/g)].map((match) => match[1]!);
    rows.push({ cells: cells.map((cell) => cell.replace(/^`([^`]*)`$/, '$1')), files });
  }
  return rows;
}

/** What the logic cell names must hold: files that exist, the first one called by app.ts, all in the function's bundle. */
function logicProblems(where: string, folder: string, files: string[], repo: Repo): string[] {
  if (files.length === 0) return [`${where}: names no logic file`];
  const problems = files.filter((file) => !repo.exists(file)).map((file) => `${where}: ${file} does not exist`);
  if (problems.length > 0) return problems;
  const bundle = repo.bundleOf(folder);
  problems.push(...files.filter((file) => !bundle.has(file)).map((file) => `${where}: ${file} is not imported by ${folder} (directly or not)`));
  if (!repo.directImportsOf(`${folder}app.ts`).has(files[0]!)) problems.push(`${where}: ${folder}app.ts does not import ${files[0]} (the first file is the step's logic)`);
  return problems;
}

/** Everything the document says that the repository contradicts (empty: the document is true). */
function documentProblems(markdown: string, repo: Repo): string[] {
  const problems: string[] = [];
  const stateRows = tableAfter(markdown, 'ASL state');
  const functionRows = tableAfter(markdown, 'Function folder');
  if (stateRows.length === 0) problems.push('no table of the ASL states');
  if (functionRows.length === 0) problems.push('no table of the functions no state invokes');
  const documented = new Map(stateRows.map((row) => [row.cells[0]!, row]));
  for (const state of repo.states) {
    const row = documented.get(state.name);
    if (!row) {
      problems.push(`state ${state.name} (${state.type}) is not in the table`);
      continue;
    }
    const [, type, folderCell] = row.cells;
    if (!type?.startsWith(state.type)) problems.push(`${state.name}: the table says ${type}, the ASL ${state.type}`);
    if (state.functionName === undefined) {
      if (folderCell !== NONE) problems.push(`${state.name}: invokes no function, the table says ${folderCell}`);
      problems.push(...row.files.filter((file) => !repo.exists(file)).map((file) => `${state.name}: ${file} does not exist`));
      continue;
    }
    const folder = repo.folderOf(state.functionName);
    if (!folder) problems.push(`${state.name}: serverless.yml has no handler for ${state.functionName}`);
    else if (folderCell !== folder) problems.push(`${state.name}: invokes ${state.functionName} (${folder}), the table says ${folderCell}`);
    else problems.push(...logicProblems(state.name, folder, row.files, repo));
  }
  const stateNames = new Set(repo.states.map((state) => state.name));
  problems.push(...[...documented.keys()].filter((name) => !stateNames.has(name)).map((name) => `the table names ${name}, which the ASL no longer has`));
  const invoked = new Set(repo.states.flatMap((state) => (state.functionName ? [repo.folderOf(state.functionName)] : [])));
  const listedApart = new Map(functionRows.map((row) => [row.cells[0]!, row]));
  for (const folder of repo.functionFolders) {
    if (invoked.has(folder)) continue;
    const row = listedApart.get(folder);
    if (!row) problems.push(`${folder} is in neither table`);
    else problems.push(...logicProblems(folder, folder, row.files, repo));
  }
  problems.push(...[...listedApart.keys()].filter((folder) => !repo.functionFolders.includes(folder) || invoked.has(folder)).map((folder) => `the functions table names ${folder}, which is not a function apart from the states`));
  return problems;
}

/** The folder a source file belongs to in the folders diagram: shared/<folder>, or the top-level folder. */
function folderOfFile(file: string): string {
  const parts = file.split('/');
  return parts[0] === 'shared' ? `shared/${parts[1]}` : parts[0]!;
}

/** Which folders import which: "a>b" for every file of a that imports a file of b. */
function folderImports(): Set<string> {
  const files = ['shared', 'functions', 'cli', 'local'].flatMap((top) =>
    (readdirSync(join(REPO_ROOT, top), { recursive: true }) as string[]).filter((name) => name.endsWith('.ts')).map((name) => `${top}/${name}`),
  );
  const edges = new Set<string>();
  for (const file of files) {
    for (const target of importsOf(file)) if (folderOfFile(file) !== folderOfFile(target)) edges.add(`${folderOfFile(file)}>${folderOfFile(target)}`);
  }
  return edges;
}

/** Every arrow of the first diagram under "## The folders" that no import of the repository backs. */
function diagramProblems(markdown: string, imports: Set<string>): string[] {
  const section = markdown.slice(markdown.indexOf('## The folders'));
  const diagram = /```mermaid\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  // A node is `id["folder/<br>what it holds"]`; its folder is the label's first words.
  const folders = new Map(
    [...diagram.matchAll(/^\s*(\w+)\["([^"<]+)/gm)].map(([, id, label]) => {
      const folder = label!.trim().replace(/&lt;.*$/, '').replace(/\/$/, '');
      return [id!, ['functions', 'cli', 'local'].includes(folder) ? folder : `shared/${folder}`];
    }),
  );
  const problems: string[] = [];
  const arrows = diagram.split('\n').filter((line) => line.includes('-->'));
  if (folders.size < 8 || arrows.length < 5) problems.push(`the folders diagram was not read (${folders.size} nodes, ${arrows.length} arrows)`);
  for (const line of arrows) {
    const [from, to] = line.split('-->').map((side) => side.split('&').map((id) => id.trim()));
    for (const a of from!) {
      for (const b of to!) {
        const [folderA, folderB] = [folders.get(a), folders.get(b)];
        if (!folderA || !folderB) problems.push(`the arrow ${a} --> ${b} names a node the diagram does not define`);
        else if (!imports.has(`${folderA}>${folderB}`)) problems.push(`the diagram draws ${folderA} --> ${folderB}, but no file of ${folderA} imports one of ${folderB}`);
      }
    }
  }
  return problems;
}

/** Every file path the document mentions (in a table, a diagram or the text) that does not exist; shared/ may be left out. */
function missingPaths(markdown: string, exists: (path: string) => boolean): string[] {
  const paths = new Set([...markdown.matchAll(/(?<![\w./-])((?:[\w-]+\/)+[\w.-]+\.(?:ts|json|yml|md|cjs))\b/g)].map((match) => match[1]!));
  return [...paths].filter((path) => !exists(path) && !exists(`shared/${path}`) && !exists(`docs/${path}`)).map((path) => `${path} does not exist`);
}

describe('docs/architecture.md', () => {
  const markdown = readFileSync(join(REPO_ROOT, DOC), 'utf8');

  it('names every state of the ASL with its function folder and logic files, as they are', () => {
    // Prepare
    const repo = theRepo();

    // Act
    const problems = documentProblems(markdown, repo);

    // Assess: the whole definition was read (a state machine of a handful of states would be a misread).
    expect(repo.states.length).toBeGreaterThan(15);
    expect(repo.states.filter((state) => state.functionName).length).toBeGreaterThan(8);
    expect(problems).toEqual([]);
  });

  it('tells a renamed state, a renamed function, a moved file and a new function apart', () => {
    // Prepare: the repository as it would be after each change, the document left as it is.
    const repo = theRepo();
    const renamedState: Repo = { ...repo, states: repo.states.map((state) => (state.name === 'AdmitExport' ? { ...state, name: 'QueueForSlot' } : state)) };
    const renamedFunction: Repo = { ...repo, folderOf: (name) => (name === 'admitExport' ? 'functions/admit/' : repo.folderOf(name)) };
    const movedFile: Repo = { ...repo, exists: (path) => path !== 'shared/workflow/start-export.ts' && repo.exists(path) };
    const newFunction: Repo = { ...repo, functionFolders: [...repo.functionFolders, 'functions/archive-export/'] };

    // Act + Assess
    expect(documentProblems(markdown, renamedState)).toEqual(['state QueueForSlot (Task) is not in the table', 'the table names AdmitExport, which the ASL no longer has']);
    expect(documentProblems(markdown, renamedFunction)).toContain('AdmitExport: invokes admitExport (functions/admit/), the table says functions/admit-export/');
    expect(documentProblems(markdown, movedFile)).toEqual(['StartExport: shared/workflow/start-export.ts does not exist']);
    expect(documentProblems(markdown, newFunction)).toEqual(['functions/archive-export/ is in neither table']);
  });

  it('refuses a logic file the function does not use', () => {
    // Prepare: StartExport's row naming the dispatcher's scheduled metrics, which start-export never loads.
    const repo = theRepo();
    const wrong = markdown.replace('| `StartExport` | Task | `functions/start-export/` | `shared/workflow/start-export.ts`', '| `StartExport` | Task | `functions/start-export/` | `shared/workflow/start-export.ts`, `shared/slots/queue-metrics.ts`');

    // Act
    const problems = documentProblems(wrong, repo);

    // Assess
    expect(wrong).not.toEqual(markdown);
    expect(problems).toEqual(['StartExport: shared/slots/queue-metrics.ts is not imported by functions/start-export/ (directly or not)']);
  });
  it('draws only the imports there are between the folders', () => {
    // Act
    const problems = diagramProblems(markdown, folderImports());

    // Assess
    expect(problems).toEqual([]);
  });

  it('refuses an arrow between folders that no import backs', () => {
    // Prepare: runtime/ drawn as importing the workflow, which it must never do.
    const wrong = markdown.replace('  cli --> kinds & slots & workflow', '  cli --> kinds & slots & workflow\n  runtime --> workflow');

    // Act
    const problems = diagramProblems(wrong, folderImports());

    // Assess
    expect(wrong).not.toEqual(markdown);
    expect(problems).toEqual(['the diagram draws shared/runtime --> shared/workflow, but no file of shared/runtime imports one of shared/workflow']);
  });
  it('names only files that exist, in the diagrams and the text too', () => {
    // Prepare
    const repo = theRepo();

    // Act + Assess: the document's paths, and one that is not there.
    expect(missingPaths(markdown, repo.exists)).toEqual([]);
    expect(missingPaths(`${markdown}\nsee workflow/admission.ts`, repo.exists)).toEqual(['workflow/admission.ts does not exist']);
  });
});
