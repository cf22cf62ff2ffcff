/**
 * Where the tests find libvirt's reference inputs (the .x files, API XML, rpcgen suite):
 * LIBVIRT_SRC, or the shared folder next to this repository. Tests that need them skip with
 * the reason when they are absent, except under CI, where they must be present.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO } from './repo.js';

export const LIBVIRT_SRC = resolve(process.env.LIBVIRT_SRC ?? join(REPO, '..', 'shared', 'libvirt-11.3.0'));
export const HAVE_LIBVIRT_SRC = existsSync(join(LIBVIRT_SRC, 'src/remote/remote_protocol.x'));
/** libvirt 11.3.0's test XML documents, one folder per schema, with a manifest (shared/xml-corpus). */
export const XML_CORPUS = resolve(process.env.LIBVIRT_XML_CORPUS ?? join(LIBVIRT_SRC, '..', 'xml-corpus'));

/** `describe` when the inputs exist; otherwise a skip that says why (and fails under CI). */
export function describeWithLibvirtSrc(name: string, fn: () => void): void {
  if (HAVE_LIBVIRT_SRC) {
    describe(name, fn);
  } else if (process.env.CI) {
    describe(name, () => {
      it('needs libvirt reference inputs', () => {
        throw new Error(`libvirt reference inputs not found at ${LIBVIRT_SRC}; CI must provide them`);
      });
    });
  } else {
    describe.skip(`${name} (skipped: no libvirt reference inputs at ${LIBVIRT_SRC}; set LIBVIRT_SRC)`, fn);
  }
}
