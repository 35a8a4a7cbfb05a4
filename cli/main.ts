/**
 * The operator CLI: `npx export-orchestrator <command>` (bin/export-orchestrator.js loads this file
 * with tsx), or `npx tsx cli/main.ts <command>`. Everything it does is in cli/run.ts.
 */
import { run } from './run.ts';

// The SDK warns on every run that its releases after January 2027 need Node 22: not the operator's
// concern on each command, and it would break "one line on stderr" for errors.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `export-orchestrator list | head`: the reader went away; that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
});
