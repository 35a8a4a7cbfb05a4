/**
 * Test files that must run in a fresh worker of their own, as vitest does by default: each stubs an
 * SDK client class (aws-sdk-client-mock's `mockClient(RDSClient)` patches the class's prototype), the
 * environment (vi.stubEnv, process.env), or a module (vi.mock). Every other file shares its worker's
 * modules with the files run before it (vitest.config.ts, project `shared`): the AWS SDK, the handlers
 * and the engine are imported once per worker, not once per file.
 *
 * test/unit/isolation.test.ts fails when a file that does any of this is missing here.
 */
export const ISOLATED = [
  'test/cli/aws-cli-habits.test.ts',
  'test/cli/moto.wire.test.ts',
  'test/handlers/cancel-export.test.ts',
  'test/handlers/member-accounts.test.ts',
  'test/handlers/metrics.test.ts',
  'test/handlers/notify.test.ts',
  'test/handlers/plan-exports.test.ts',
  'test/handlers/poll-export.test.ts',
  'test/handlers/reconcile-snapshots.test.ts',
  'test/handlers/slack-notify.test.ts',
  'test/handlers/snapshot-trigger.test.ts',
  'test/handlers/start-export.test.ts',
  'test/handlers/verify-export.test.ts',
  'test/unit/config.test.ts',
  'test/unit/ec2-image-provider.test.ts',
];

/**
 * What makes a file belong in ISOLATED: a client class stubbed (an instance, `mockClient(client)`,
 * stubs only that object), the environment changed or stubbed, a module mocked.
 */
export const NEEDS_ISOLATION: ReadonlyArray<{ what: string; pattern: RegExp }> = [
  { what: 'stubs an SDK client class (mockClient(SomeClient))', pattern: /\bmockClient\(\s*[A-Z]\w*\s*[,)]/ },
  { what: 'stubs the environment (vi.stubEnv)', pattern: /\bvi\.stubEnv\(/ },
  { what: 'changes process.env', pattern: /\bprocess\.env(?:\.\w+|\[[^\]]+\])\s*(?:=(?!=)|\?\?=|\|\|=)|\bdelete\s+process\.env\b|Object\.assign\(\s*process\.env\b/ },
  { what: 'mocks a module (vi.mock)', pattern: /\bvi\.(?:do)?[mM]ock\(/ },
];
