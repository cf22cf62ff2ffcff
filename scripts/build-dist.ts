/**
 * `npm run build`: dist/ with tsup, its CommonJS faces and the build record the tests check
 * (test/harness/build.ts).
 *
 *   tsx scripts/build-dist.ts             build
 *   tsx scripts/build-dist.ts --if-stale  build unless dist/ is already built from these sources;
 *                                         print the inputs' hash of the build on stdout
 */
import { build, buildRecordInputs } from '../test/harness/build.js';

try {
  const ifStale = process.argv.includes('--if-stale');
  build({ ifStale, quiet: ifStale });
  if (ifStale) console.log(buildRecordInputs());
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
