/**
 * virsh's shell built-ins in their one-shot form (pwd, cd, exit, quit, connect) and
 * qemu-attach, compared with virsh on the same daemon.
 */
import { join } from 'node:path';
import { ours, theirs } from '../helpers/cli.js';
import { type ThrowawayDaemon, sharedDaemon } from '../helpers/libvirtd.js';

let daemon: ThrowawayDaemon;
beforeAll(async () => {
  daemon = await sharedDaemon();
});

describe("virsh's built-ins", () => {
  it.each([[['pwd']], [['cd', '/']], [['exit']], [['quit']], [['connect']], [['connect', '--readonly']], [['qemu-attach', '1']], [['qemu-attach', 'x']]])('%j', async (args) => {
    expect(await ours(daemon.testUri, args)).toEqual(await theirs(daemon, daemon.testUri, args));
  });

  it('connect to a daemon that is not there: the same two-line error form and exit status', async () => {
    const missing = `test+unix:///default?socket=${join(daemon.dir, 'absent.sock')}`;
    const [mine, virsh] = await Promise.all([ours(daemon.testUri, ['connect', missing]), theirs(daemon, daemon.testUri, ['connect', missing])]);
    expect({ ...mine, err: mine.err.split('\n')[0] }).toEqual({ ...virsh, err: virsh.err.split('\n')[0] });
    expect(mine.err).toMatch(/^error: failed to connect to the hypervisor\nerror: .*absent\.sock/);
  });
});
