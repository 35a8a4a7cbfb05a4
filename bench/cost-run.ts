// A child process of `npm run bench`: runs one scenario with the Lambdas logging at the level they
// are deployed with (Powertools' default, INFO: serverless.yml sets none), and prints as one JSON
// line what the run measured plus the bytes and lines the Lambdas logged. A short first run warms
// the process up (the Lambdas are counted warm: cold starts are the cold-start table's business).
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
const { parseScenario, runScenario } = await import('../local/scenario.ts');
await import('../local/polyfills.ts');

const scenario = parseScenario(JSON.parse(process.argv[2] ?? '{}'));
const write = process.stdout.write.bind(process.stdout);
const logs = { bytes: 0, lines: 0 };
let counting = false;
process.stdout.write = ((chunk: string | Uint8Array) => {
  if (counting) {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    logs.bytes += Buffer.byteLength(text);
    logs.lines += text.split('\n').filter((line) => line.trim() !== '').length;
  }
  return true;
}) as typeof process.stdout.write;

await runScenario(parseScenario({ exportSeconds: 600 }));
counting = true;
const result = await runScenario(scenario);
counting = false;
write(`${JSON.stringify({ ...result, exports: undefined, logs })}\n`);
