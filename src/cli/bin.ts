#!/usr/bin/env node
/** Entry point of the `libvirt-rpc` command. */
import { runCli } from './main.js';

const code = await runCli(process.argv.slice(2), {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  env: process.env,
  isTTY: !!process.stderr.isTTY,
  stdoutStream: process.stdout,
});
process.exitCode = code;
