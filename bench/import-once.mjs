// One cold import, in this fresh process: prints the milliseconds `import()` of the bundle took.
import { pathToFileURL } from 'node:url';

const started = performance.now();
await import(pathToFileURL(process.argv[2]).href);
process.stdout.write(`${(performance.now() - started).toFixed(2)}\n`);
