/**
 * A way for the test process to reach a throwaway daemon's admin socket. libvirtd admits on
 * that socket only clients with its own uid (it compares the peer's credentials with its
 * euid), and as root the daemon runs as an unprivileged user: the test process, root, would be
 * refused. So a relay runs as the daemon's user, connects to the admin socket for each client
 * and copies bytes both ways; the client under test runs in the test process, as in every
 * other integration test, and the daemon sees the connection come from its own user.
 *
 * The relay is a few lines of Python for the system interpreter, passed on its command line:
 * the daemon's user reads nothing from the checkout, which may sit in a directory only its
 * owner can enter (a clone in root's home, or in a `mktemp -d` dir).
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { ThrowawayDaemon } from '../harness/daemon.js';
import { SYSTEM_PYTHON } from '../harness/packages.js';

const RELAY = `
import os, socket, sys, threading
target, path = sys.argv[1], sys.argv[2]
os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(16)

def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass

def serve(client):
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(target)
    except OSError as e:
        print('relay: cannot connect to %s: %s' % (target, e), file=sys.stderr, flush=True)
        client.close()
        return
    back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
    back.start()
    pump(client, upstream)
    back.join()
    client.close()
    upstream.close()

def accept():
    while True:
        client, _ = server.accept()
        threading.Thread(target=serve, args=(client,), daemon=True).start()

threading.Thread(target=accept, daemon=True).start()
print('ready', flush=True)
sys.stdin.read()  # runs until the test closes stdin, or dies
`;

export interface AdminRelay {
  /**
   * An XDG_RUNTIME_DIR whose `libvirt/libvirt-admin-sock` is the relay: `libvirtd:///session`
   * with this in the environment reaches the daemon's admin program.
   */
  runtimeDir: string;
  stop(): Promise<void>;
}

/** The daemon's user and group, for running a command as it (only when the tests run as root). */
export function daemonIdentity(daemon: ThrowawayDaemon): { uid: number; gid: number } | undefined {
  // The daemon's temp root belongs to its user and group (chowned when it was made).
  return process.getuid?.() === 0 ? { uid: daemon.uid, gid: statSync(daemon.dir).gid } : undefined;
}

export function startAdminRelay(daemon: ThrowawayDaemon): Promise<AdminRelay> {
  const runtimeDir = join(daemon.dir, 'admin-relay');
  const child = spawn(SYSTEM_PYTHON, ['-c', RELAY, daemon.adminSocket, join(runtimeDir, 'libvirt', 'libvirt-admin-sock')], {
    ...daemonIdentity(daemon),
    cwd: daemon.dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b) => (stderr += b));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stop = async () => {
    child.stdin.end();
    await exited;
  };
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
      if (out.includes('ready\n')) resolve({ runtimeDir, stop });
    });
    child.once('error', reject);
    child.once('close', (code) => reject(new Error(`the admin relay exited (${code}) before it was ready: ${stderr}`)));
  });
}
