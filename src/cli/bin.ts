#!/usr/bin/env node
/**
 * Entry point of the `libvirt-rpc` command: from the sources (`tsx src/cli/bin.ts`), and the
 * entry of its one-file build, dist/cli.cjs, which the package's bin (launch.ts) runs.
 */
import { runCli } from './main.js';

void runCli(process.argv.slice(2), {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  env: process.env,
  isTTY: !!process.stderr.isTTY,
  stdoutStream: process.stdout,
}).then((code) => {
  process.exitCode = code;
});
