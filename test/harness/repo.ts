/** Where the harness finds the checkout, and the cache dir it keeps its builds in. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Under node_modules: the build record, the packed app, bundle sizes; gone with `npm ci`. */
export const CACHE = join(REPO, 'node_modules', '.cache', 'libvirt-rpc');
