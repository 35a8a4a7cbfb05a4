#!/usr/bin/env node
// `npx export-orchestrator <command>`: runs cli/main.ts with tsx's loader, in this process (no child
// to forward signals and exit codes to, no build step), the way `npm start` runs local/run.ts.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
