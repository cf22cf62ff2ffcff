/**
 * The libvirt protocol files the generator reads, where each lands in protocol/, and how
 * each program names its procedures. Paths are relative to a libvirt source tree.
 */
export interface ProgramInput {
  /** Module name in protocol/ (`remote` → `protocol/remote.ts`). */
  module: string;
  /** Path of the .x file inside the libvirt source tree. */
  xFile: string;
  /** The `*-structs` file libvirt checks its own XDR against. */
  structsFile: string;
  /** The API XML whose functions document this program's procedures. */
  apiXml: string | null;
  program: {
    /** Short name used in traces (`REMOTE`). */
    name: string;
    numberConst: string;
    versionConst: string;
    procedureEnum: string;
    /** Prefix of the enum members (`REMOTE_PROC_`). */
    procPrefix: string;
    /** Prefix of args/ret/msg structs (`remote_`). */
    structPrefix: string;
    /** The word the C function names add for this program (`virDomainQemuMonitorCommand`). */
    cWord: string;
    /** Every procedure of this program travels as a MESSAGE (keepalive). */
    allMessages: boolean;
    /**
     * The generated call methods: their class (or interface, for `mixin`), how examples name
     * their object, and the prefix of the one-function-per-procedure names when there are any.
     */
    methods?: { className: string; label: string; style: 'class' | 'mixin'; callsPrefix?: string };
  } | null;
}

export const PROGRAMS: ProgramInput[] = [
  {
    module: 'virnet',
    xFile: 'src/rpc/virnetprotocol.x',
    structsFile: 'src/virnetprotocol-structs',
    apiXml: null,
    program: null,
  },
  {
    module: 'keepalive',
    xFile: 'src/rpc/virkeepaliveprotocol.x',
    structsFile: 'src/virkeepaliveprotocol-structs',
    apiXml: null,
    program: {
      name: 'KEEPALIVE',
      numberConst: 'KEEPALIVE_PROGRAM',
      versionConst: 'KEEPALIVE_PROTOCOL_VERSION',
      procedureEnum: 'keepalive_procedure',
      procPrefix: 'KEEPALIVE_PROC_',
      structPrefix: 'keepalive_',
      cWord: '',
      allMessages: true,
    },
  },
  {
    module: 'remote',
    xFile: 'src/remote/remote_protocol.x',
    structsFile: 'src/remote_protocol-structs',
    apiXml: 'libvirt-api.xml',
    program: {
      name: 'REMOTE',
      methods: { className: 'RemoteMethods', label: 'conn', style: 'mixin', callsPrefix: '' },
      numberConst: 'REMOTE_PROGRAM',
      versionConst: 'REMOTE_PROTOCOL_VERSION',
      procedureEnum: 'remote_procedure',
      procPrefix: 'REMOTE_PROC_',
      structPrefix: 'remote_',
      cWord: '',
      allMessages: false,
    },
  },
  {
    module: 'qemu',
    xFile: 'src/remote/qemu_protocol.x',
    structsFile: 'src/qemu_protocol-structs',
    apiXml: 'libvirt-qemu-api.xml',
    program: {
      name: 'QEMU',
      methods: { className: 'QemuMethods', label: 'conn.qemu', style: 'class', callsPrefix: 'qemu' },
      numberConst: 'QEMU_PROGRAM',
      versionConst: 'QEMU_PROTOCOL_VERSION',
      procedureEnum: 'qemu_procedure',
      procPrefix: 'QEMU_PROC_',
      structPrefix: 'qemu_',
      cWord: 'Qemu',
      allMessages: false,
    },
  },
  {
    module: 'lxc',
    xFile: 'src/remote/lxc_protocol.x',
    structsFile: 'src/lxc_protocol-structs',
    apiXml: 'libvirt-lxc-api.xml',
    program: {
      name: 'LXC',
      methods: { className: 'LxcMethods', label: 'conn.lxc', style: 'class', callsPrefix: 'lxc' },
      numberConst: 'LXC_PROGRAM',
      versionConst: 'LXC_PROTOCOL_VERSION',
      procedureEnum: 'lxc_procedure',
      procPrefix: 'LXC_PROC_',
      structPrefix: 'lxc_',
      cWord: 'Lxc',
      allMessages: false,
    },
  },
  {
    module: 'admin',
    xFile: 'src/admin/admin_protocol.x',
    structsFile: 'src/admin_protocol-structs',
    apiXml: 'libvirt-admin-api.xml',
    program: {
      name: 'ADMIN',
      methods: { className: 'AdminMethods', label: 'admin', style: 'class' },
      numberConst: 'ADMIN_PROGRAM',
      versionConst: 'ADMIN_PROTOCOL_VERSION',
      procedureEnum: 'admin_procedure',
      procPrefix: 'ADMIN_PROC_',
      structPrefix: 'admin_',
      cWord: 'Adm',
      allMessages: false,
    },
  },
];

/** The API XML files read for constants, in this order. */
export const API_XML_FILES = ['libvirt-api.xml', 'libvirt-qemu-api.xml', 'libvirt-lxc-api.xml', 'libvirt-admin-api.xml'];

/**
 * Procedures that pass file descriptors (CALL_WITH_FDS / REPLY_WITH_FDS). JavaScript runtimes
 * cannot send or receive descriptors over a socket, so these fail with a clear error.
 */
export const FD_PROCEDURES = new Set([
  'REMOTE_PROC_DOMAIN_OPEN_GRAPHICS',
  'REMOTE_PROC_DOMAIN_OPEN_GRAPHICS_FD',
  'REMOTE_PROC_DOMAIN_CREATE_XML_WITH_FILES',
  'REMOTE_PROC_DOMAIN_CREATE_WITH_FILES',
  'REMOTE_PROC_DOMAIN_FD_ASSOCIATE',
  'QEMU_PROC_DOMAIN_MONITOR_COMMAND_WITH_FILES',
  'LXC_PROC_DOMAIN_OPEN_NAMESPACE',
]);
