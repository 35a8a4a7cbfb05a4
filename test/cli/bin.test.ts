import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const CHILD_TIMEOUT_MS = 90_000;

/** `export-orchestrator` as an operator runs it: the bin shim, a child process, its output and exit status. */
async function exportOrchestrator(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', ['bin/export-orchestrator.js', ...args], { timeout: CHILD_TIMEOUT_MS });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

// Each test is its own child process: they run at once (a child that hangs is killed at 90 s:
// generous, so that a loaded CI machine never fails them; the test's own timeout comes after, so the killed child's output is what fails it).
describe.concurrent('bin/export-orchestrator.js', { timeout: CHILD_TIMEOUT_MS + 10_000 }, () => {
  it('--help prints the usage, exit 0', async () => {
    const { code, stdout } = await exportOrchestrator('--help');

    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: export-orchestrator COMMAND/);
    for (const command of ['list', 'watch', 'start', 'cancel']) expect(stdout).toContain(`export-orchestrator ${command}`);
  });

  it('a bad flag: exactly one line on stderr, exit 2', async () => {
    const { code, stdout, stderr } = await exportOrchestrator('list', '--page-size', '5');

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('export-orchestrator: --page-size 5: rds pages hold 20 to 100 items (see export-orchestrator --help)\n');
  });

  it('start --local runs the workflow on the embedded simulator and prints a COMPLETE result', async () => {
    const { code, stdout, stderr } = await exportOrchestrator('start', '--local', '--json');

    expect(stderr).toBe(''); // nor the SDK's Node-version warning
    expect(code).toBe(0);
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(result).toMatchObject({ status: 'COMPLETE', executionStatus: 'SUCCEEDED', apiCalls: { StartExportTask: 1 } });
    expect(result.notifications.map((n: { status: string }) => n.status)).toEqual(['STARTING', 'IN_PROGRESS', 'COMPLETE']);
  });

  it('start --local, as text', async () => {
    const { code, stdout } = await exportOrchestrator('start', '--local', '--deadline-seconds', '86400');

    expect(code).toBe(0);
    expect(stdout).toMatch(/^Local run \(embedded simulator\): export COMPLETE; execution SUCCEEDED\n/);
  });
});
