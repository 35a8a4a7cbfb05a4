'use strict';

/**
 * Refuses a deploy whose parameters a function would refuse at its cold start. Without this,
 * `--param="minPollSeconds=abc"` deploys, and every execution then fails in its first step with a
 * ConfigurationError. The reading is the functions' own (config/param-problems.ts, bundled here by
 * esbuild, which the build already uses), so the two cannot drift apart.
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { buildSync } = require('esbuild');

const SERVERLESS_YML = join(__dirname, '..', 'serverless.yml');

/** Each `NAME: ${param:name}` of serverless.yml: the functions' variables set from a parameter as it is. */
function variablesFromParams(yaml = readFileSync(SERVERLESS_YML, 'utf8')) {
  const pairs = new Map();
  for (const [, variable, param] of yaml.matchAll(/^\s+([A-Z][A-Z0-9_]*): \$\{param:(\w+)\}\s*$/gm)) pairs.set(variable, param);
  return [...pairs].map(([variable, param]) => ({ variable, param }));
}

let loaded;
/** config/param-problems.ts as a CommonJS module (its packages stay external: they resolve from node_modules). */
function paramReading() {
  if (!loaded) {
    const [bundle] = buildSync({ entryPoints: [join(__dirname, 'param-problems.ts')], bundle: true, platform: 'node', format: 'cjs', packages: 'external', write: false, logLevel: 'silent' }).outputFiles;
    const module = { exports: {} };
    new Function('module', 'exports', 'require', bundle.text)(module, module.exports, require);
    loaded = module.exports;
  }
  return loaded;
}

/** custom.paramsChecked: resolving it checks every parameter a function reads, and names every problem. */
async function checkParams({ resolveVariable }) {
  const { paramProblems, isReadByAFunction } = paramReading();
  const values = [];
  for (const { variable, param } of variablesFromParams()) {
    if (!isReadByAFunction(variable)) continue;
    const value = await resolveVariable(`param:${param}`);
    // A parameter without a value is not handed to the function (serverless.yml gives each a default).
    if (value != null) values.push({ param, variable, value: String(value) });
  }
  const problems = paramProblems(values);
  if (problems.length > 0) {
    throw new Error(`Parameters the functions would refuse at their cold start: ${problems.join('; ')}. Set them with --param="name=value" or in serverless.yml's params (their meaning is in the comment above params).`);
  }
  return `${values.length} parameters checked`;
}

module.exports = { checkParams, variablesFromParams };
