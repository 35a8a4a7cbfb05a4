// Imported before the handlers: Powertools reads its level when the logger is made, and resets to
// it on every invocation, so the local run must choose it first. The Lambdas' JSON logs would
// drown the run's own output; --verbose brings them back.
process.env.POWERTOOLS_LOG_LEVEL ??= process.argv.includes('--verbose') ? 'INFO' : 'SILENT';
// The same for the metrics' EMF lines, which only CloudWatch reads.
process.env.POWERTOOLS_METRICS_DISABLED ??= process.argv.includes('--verbose') ? 'false' : 'true';
export {};
