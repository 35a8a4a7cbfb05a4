import { onFirstUse } from '../../runtime/on-first-use.ts';

/**
 * The RDS adapter (rds-provider.ts and the RDS client), imported on its first use, once per process.
 * esbuild's code splitting (serverless.yml custom.esbuild.splitting) puts it in a chunk of its own, so
 * a cold start loads the clients of the export it serves and no other: an RDS export never loads the
 * EC2 client, an EC2 export never the RDS one. Only a function that may not need it imports this
 * module: esbuild emits the chunk of every `import()` in a bundled file, used or not, and each chunk
 * is a file more to load at every cold start. A function that always needs it imports rds-provider.ts
 * itself (shared/slots/adapters.ts SLOT_ADAPTERS_WITH_THE_HANDLER).
 */
export const rdsAdapterOnFirstUse = /* @__PURE__ */ onFirstUse(() => import('./rds-provider.ts'));
