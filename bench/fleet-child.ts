import '../local/polyfills.ts';
import '../local/log-level.ts';
import { parseScenario, runScenario } from '../local/scenario.ts';

// One fleet in a process of its own, so that its runtime and peak RSS are its own: prints the
// scenario's result with `seconds` (wall), `cpuSeconds` (user + system: the wall time of an idle
// machine) and `maxRssMb`, as one JSON line.

const scenario = parseScenario(JSON.parse(process.argv[2] ?? '{}'));
const started = performance.now();
const { exports: _exports, notifications: _notifications, ...result } = await runScenario(scenario);
const cpu = process.cpuUsage();
console.log(JSON.stringify({ ...result, seconds: (performance.now() - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
