import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '../../codegen/generate.js';
import { parseXdr } from '../../codegen/parser.js';
import { PROGRAMS } from '../../codegen/programs.js';
import * as protocol from '../../protocol/index.js';
import type { ProcedureInfo, ProgramInfo } from '../../src/xdr/index.js';
import { LIBVIRT_SRC, describeWithLibvirtSrc } from '../harness/libvirt-inputs.js';
import { REPO } from '../harness/repo.js';

const programs: [string, ProgramInfo, number, string][] = [
  ['REMOTE', protocol.remoteProgram, 453, 'REMOTE_PROC_'],
  ['QEMU', protocol.qemuProgram, 7, 'QEMU_PROC_'],
  ['LXC', protocol.lxcProgram, 1, 'LXC_PROC_'],
  ['ADMIN', protocol.adminProgram, 20, 'ADMIN_PROC_'],
  ['KEEPALIVE', protocol.keepaliveProgram, 2, 'KEEPALIVE_PROC_'],
];

describe('procedure tables', () => {
  it.each(programs)('%s has every procedure, each numbered as its enum member', (_name, program, count, prefix) => {
    const procs = Object.values(program.procedures);
    expect(procs).toHaveLength(count);
    expect(program.byNumber.size).toBe(count);
    const exported = protocol as unknown as Record<string, number>;
    for (const p of procs) {
      expect(p.name.startsWith(prefix)).toBe(true);
      expect({ name: p.name, number: p.number }).toEqual({ name: p.name, number: exported[p.name] });
      expect(program.byNumber.get(p.number)).toBe(p);
      expect(p.program).toBe(program.number);
    }
  });

  it('knows program numbers and versions', () => {
    expect(protocol.remoteProgram.number).toBe(0x20008086);
    expect(protocol.qemuProgram.number).toBe(0x20008087);
    expect(protocol.lxcProgram.number).toBe(0x00068000);
    expect(protocol.adminProgram.number).toBe(0x06900690);
    expect(protocol.keepaliveProgram.number).toBe(0x6b656570);
  });

  it('names methods after the C functions, finds args/ret structs and keeps annotations', () => {
    const r = protocol.remoteProcedures;
    expect(r.domainLookupByName.args).toBe(protocol.RemoteDomainLookupByNameArgsCodec);
    expect(r.domainLookupByName.ret).toBe(protocol.RemoteDomainLookupByNameRetCodec);
    expect(r.domainLookupByName.cFunction).toBe('virDomainLookupByName');
    expect(r.domainLookupByName.docUrl).toBe('https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainLookupByName');
    expect(r.domainGetXMLDesc.name).toBe('REMOTE_PROC_DOMAIN_GET_XML_DESC');
    expect(r.connectClose.args).toBeNull();
    expect(r.connectClose.ret).toBeNull();
    expect(r.connectOpen.priority).toBe('high');
    expect(r.domainCreate.priority).toBe('low');
    expect(r.domainDefineXML.acl).toEqual(['domain:write', 'domain:save']);
    expect(r.connectListAllDomains.aclFilter).toEqual(['domain:getattr']);
    expect(r.storageVolDownload.stream).toEqual({ direction: 'read', argIndex: 1 });
    expect(r.storageVolDownload.sparseFlag).toEqual({ name: 'VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM', value: 1 });
    expect(r.storageVolUpload.stream).toEqual({ direction: 'write', argIndex: 1 });
    expect(r.domainScreenshot.stream).toEqual({ direction: 'read', argIndex: 1 });
    expect(r.domainOpenConsole.stream).toEqual({ direction: 'read', argIndex: 2 });
    expect(r.domainEventCallbackLifecycle.message).toBe(true);
    expect(r.domainEventCallbackLifecycle.msg).toBe(protocol.RemoteDomainEventCallbackLifecycleMsgCodec);
    expect(r.domainLookupByName.message).toBe(false);
    expect(protocol.qemuProcedures.domainMonitorCommand.args).toBe(protocol.QemuDomainMonitorCommandArgsCodec);
    expect(protocol.qemuProcedures.domainMonitorCommand.cFunction).toBe('virDomainQemuMonitorCommand');
    expect(protocol.adminProcedures.connectListServers.cFunction).toBe('virAdmConnectListServers');
    expect(protocol.keepaliveProcedures.ping.message).toBe(true);
    const streams = Object.values(r).filter((p) => p.stream).map((p) => p.method);
    expect(streams.sort()).toEqual(
      ['domainMigratePrepareTunnel', 'domainMigratePrepareTunnel3', 'domainOpenChannel', 'domainOpenConsole',
        'domainScreenshot', 'storageVolDownload', 'storageVolUpload'].sort(),
    );
  });

  it('exports every constant of the API XML with its C name', () => {
    expect(protocol.VIR_DOMAIN_RUNNING).toBe(1);
    expect(protocol.VIR_ERR_NO_DOMAIN).toBe(42);
    expect(protocol.VIR_CONNECT_LIST_DOMAINS_ACTIVE).toBe(1);
    expect(protocol.VIR_DOMAIN_AFFECT_CONFIG).toBe(2);
    expect(protocol.VIR_DOMAIN_QEMU_AGENT_COMMAND_BLOCK).toBe(-2);
    expect(protocol.VIR_UUID_BUFLEN).toBe(16);
    expect(protocol.VIR_SECURITY_LABEL_BUFLEN).toBe(4097);
    expect(protocol.virDomainState.VIR_DOMAIN_PAUSED).toBe(3);
    expect(protocol.VIR_NET_MESSAGE_MAX).toBe(33554432);
    expect(protocol.REMOTE_STRING_MAX).toBe(4194304);
  });
});

describeWithLibvirtSrc('generator inputs', () => {
  it('parses all six protocol files', () => {
    for (const p of PROGRAMS) {
      const ast = parseXdr(readFileSync(join(LIBVIRT_SRC, p.xFile), 'utf8'), p.xFile);
      expect(ast.definitions.length).toBeGreaterThan(0);
    }
  });

  it('API XML constants: every enum of the four files is exported', () => {
    const xml = readFileSync(join(LIBVIRT_SRC, 'api/libvirt-api.xml'), 'utf8');
    const names = [...xml.matchAll(/<enum name='(\w+)'/g)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(1000);
    const exported = protocol as unknown as Record<string, unknown>;
    expect(names.filter((n) => typeof exported[n] !== 'number')).toEqual([]);
  });

  it('committed protocol/ is exactly what the generator writes', () => {
    const committed = readFileSync(join(REPO, 'protocol/remote.ts'), 'utf8');
    const command = committed.match(/^\/\/ Regenerate with: (.*)$/m)![1]!;
    const { files } = generate({ libvirtSrc: LIBVIRT_SRC, command });
    for (const [name, text] of files) {
      expect({ name, same: readFileSync(join(REPO, 'protocol', name), 'utf8') === text }).toEqual({ name, same: true });
    }
  });
});

describe('the generated files, for the tools that open them', () => {
  const files = readdirSync(join(REPO, 'protocol')).filter((f) => f.endsWith('.ts'));

  it('are each under 1 MB, with every import line at most 120 characters', () => {
    const problems: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(REPO, 'protocol', f), 'utf8');
      if (Buffer.byteLength(text) >= 1_000_000) problems.push(`${f}: ${Buffer.byteLength(text)} bytes`);
      for (const line of text.split('\n')) if (line.startsWith('import ') && line.length > 120) problems.push(`${f}: an import line of ${line.length} characters`);
    }
    expect(problems).toEqual([]);
  });

  it('classify the procedures: a function for each plain or streaming call, none for events, registrations or file descriptors', async () => {
    const calls = (await import('../../protocol/remote-calls.js')) as Record<string, unknown>;
    for (const p of Object.values(protocol.remoteProcedures) as ProcedureInfo[]) {
      const callable = !p.message && !p.registersEvents && !p.fds;
      expect({ method: p.method, callable: typeof calls[p.method] === 'function' }).toEqual({ method: p.method, callable });
    }
    const registrations = (Object.values(protocol.remoteProcedures) as ProcedureInfo[]).filter((p) => p.registersEvents).map((p) => p.method);
    expect(registrations).toContain('connectDomainEventCallbackRegisterAny');
    expect(registrations).toContain('connectUnregisterCloseCallback');
    expect(registrations).not.toContain('connectGetLibVersion');
  });
});
