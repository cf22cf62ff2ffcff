/**
 * The reviewed tables behind the handle face: libvirt's object types, where each one's
 * collection lives, and the few C functions whose home or result the rules below cannot
 * derive. Everything else comes from the API XML and the protocol (see handles.ts).
 */

export interface HandleType {
  /** The class users hold: `Domain`. */
  className: string;
  /** The C type of its pointer: `virDomainPtr`. */
  cType: string;
  /** The prefix of its C functions: `virDomain`. */
  prefix: string;
  /** Its wire form in the protocol: `remote_nonnull_domain`. */
  wire: string;
  /**
   * Where its collection lives (`conn.domains`, `dom.snapshots`): the owner's class
   * (`Connection` for the connection) and the property name.
   */
  collections: { owner: string; property: string; className: string }[];
  /** Words its functions use for it after another type's prefix (`virConnectListAllDomains`). */
  words: string[];
  /** The identity fields two handles of one object share (compared by `equals`). */
  key: string[];
  /** The hand-written base class in src/handles/bases.ts (events, file transfers). */
  base: string;
  /** libvirt's error code when the object does not exist. */
  notFound: string;
  /** The variable examples use for it. */
  example: string;
  /** Its XML document's kind in libvirt-rpc/xml (`Domain` → DomainXML), for `describe()`. */
  xml: string;
}

export const CONNECTION = 'Connection';
/** The class of `conn.host`: host-wide calls (virConnect* and virNode* that name no object). */
export const HOST = 'Host';

export const HANDLE_TYPES: HandleType[] = [
  { className: 'Domain', cType: 'virDomainPtr', prefix: 'virDomain', wire: 'remote_nonnull_domain', collections: [{ owner: CONNECTION, property: 'domains', className: 'Domains' }], words: ['Domains', 'Domain'], key: ['uuid'], base: 'DomainBase', notFound: 'VIR_ERR_NO_DOMAIN', xml: 'Domain', example: 'dom' },
  { className: 'DomainSnapshot', cType: 'virDomainSnapshotPtr', prefix: 'virDomainSnapshot', wire: 'remote_nonnull_domain_snapshot', collections: [{ owner: 'Domain', property: 'snapshots', className: 'DomainSnapshots' }], words: ['Snapshots', 'Snapshot'], key: ['dom', 'name'], base: 'HandleBase', notFound: 'VIR_ERR_NO_DOMAIN_SNAPSHOT', xml: 'DomainSnapshot', example: 'snap' },
  { className: 'DomainCheckpoint', cType: 'virDomainCheckpointPtr', prefix: 'virDomainCheckpoint', wire: 'remote_nonnull_domain_checkpoint', collections: [{ owner: 'Domain', property: 'checkpoints', className: 'DomainCheckpoints' }], words: ['Checkpoints', 'Checkpoint'], key: ['dom', 'name'], base: 'HandleBase', notFound: 'VIR_ERR_NO_DOMAIN_CHECKPOINT', xml: 'DomainCheckpoint', example: 'cp' },
  { className: 'Network', cType: 'virNetworkPtr', prefix: 'virNetwork', wire: 'remote_nonnull_network', collections: [{ owner: CONNECTION, property: 'networks', className: 'Networks' }], words: ['Networks', 'Network'], key: ['uuid'], base: 'NetworkBase', notFound: 'VIR_ERR_NO_NETWORK', xml: 'Network', example: 'net' },
  { className: 'NetworkPort', cType: 'virNetworkPortPtr', prefix: 'virNetworkPort', wire: 'remote_nonnull_network_port', collections: [{ owner: 'Network', property: 'ports', className: 'NetworkPorts' }], words: ['Ports', 'Port'], key: ['uuid'], base: 'HandleBase', notFound: 'VIR_ERR_NO_NETWORK_PORT', xml: 'NetworkPort', example: 'port' },
  { className: 'StoragePool', cType: 'virStoragePoolPtr', prefix: 'virStoragePool', wire: 'remote_nonnull_storage_pool', collections: [{ owner: CONNECTION, property: 'storagePools', className: 'StoragePools' }], words: ['StoragePools', 'StoragePool'], key: ['uuid'], base: 'StoragePoolBase', notFound: 'VIR_ERR_NO_STORAGE_POOL', xml: 'StoragePool', example: 'pool' },
  {
    className: 'StorageVolume', cType: 'virStorageVolPtr', prefix: 'virStorageVol', wire: 'remote_nonnull_storage_vol',
    // A volume is listed and made in its pool; by key or path it is found from the connection.
    collections: [{ owner: 'StoragePool', property: 'volumes', className: 'StorageVolumes' }, { owner: CONNECTION, property: 'storageVolumes', className: 'AnyStorageVolumes' }],
    words: ['Volumes', 'Volume', 'StorageVols', 'StorageVol'], key: ['key'], base: 'StorageVolumeBase', notFound: 'VIR_ERR_NO_STORAGE_VOL', example: 'vol', xml: 'StorageVolume',
  },
  { className: 'NodeDevice', cType: 'virNodeDevicePtr', prefix: 'virNodeDevice', wire: 'remote_nonnull_node_device', collections: [{ owner: CONNECTION, property: 'nodeDevices', className: 'NodeDevices' }], words: ['NodeDevices', 'NodeDevice', 'Devices'], key: ['name'], base: 'NodeDeviceBase', notFound: 'VIR_ERR_NO_NODE_DEVICE', xml: 'NodeDevice', example: 'dev' },
  { className: 'Interface', cType: 'virInterfacePtr', prefix: 'virInterface', wire: 'remote_nonnull_interface', collections: [{ owner: CONNECTION, property: 'interfaces', className: 'Interfaces' }], words: ['Interfaces', 'Interface'], key: ['name'], base: 'HandleBase', notFound: 'VIR_ERR_NO_INTERFACE', xml: 'Interface', example: 'iface' },
  { className: 'Secret', cType: 'virSecretPtr', prefix: 'virSecret', wire: 'remote_nonnull_secret', collections: [{ owner: CONNECTION, property: 'secrets', className: 'Secrets' }], words: ['Secrets', 'Secret'], key: ['uuid'], base: 'SecretBase', notFound: 'VIR_ERR_NO_SECRET', xml: 'Secret', example: 'secret' },
  { className: 'NWFilterBinding', cType: 'virNWFilterBindingPtr', prefix: 'virNWFilterBinding', wire: 'remote_nonnull_nwfilter_binding', collections: [{ owner: CONNECTION, property: 'nwfilterBindings', className: 'NWFilterBindings' }], words: ['NWFilterBindings', 'NWFilterBinding'], key: ['portdev'], base: 'HandleBase', notFound: 'VIR_ERR_NO_NWFILTER_BINDING', xml: 'NWFilterBinding', example: 'binding' },
  { className: 'NWFilter', cType: 'virNWFilterPtr', prefix: 'virNWFilter', wire: 'remote_nonnull_nwfilter', collections: [{ owner: CONNECTION, property: 'nwfilters', className: 'NWFilters' }], words: ['NWFilters', 'NWFilter'], key: ['uuid'], base: 'HandleBase', notFound: 'VIR_ERR_NO_NWFILTER', xml: 'NWFilter', example: 'filter' },
];

/** Prefixes of host-wide functions: on `conn.host` unless they name an object type. */
export const HOST_PREFIXES = ['virConnect', 'virNode'];

/**
 * C functions whose home is written by hand, and where. The generated coverage test holds
 * these to the same rule (one home each) as the generated ones.
 */
export const HAND_WRITTEN_HOMES: Record<string, string> = {
  virStorageVolDownload: 'StorageVolume.download',
  virStorageVolUpload: 'StorageVolume.upload',
  virDomainScreenshot: 'Domain.screenshot',
  virConnectOpen: 'connect()',
  virConnectOpenAuth: 'connect()',
  virConnectOpenReadOnly: 'connect()',
  virConnectClose: 'Connection.close',
};

/** Names the rules would give badly (the function names another object type than its home). */
export const NAME_OVERRIDES: Record<string, string> = {
  virStoragePoolLookupByVolume: 'lookupPool',
  virDomainRevertToSnapshot: 'revert',
};

/** In ENUM_RESULTS: a domain state's reason, named by that state's own reason enum (STATE_REASONS). */
export const STATE_REASON = 'reason of the domain state';

/**
 * Results that are libvirt enums, by method of the flat face and field: the value comes with
 * its symbolic name.
 */
export const ENUM_RESULTS: Record<string, Record<string, string>> = {
  domainGetInfo: { state: 'virDomainState' },
  domainGetState: { state: 'virDomainState', reason: STATE_REASON },
  domainGetControlInfo: { state: 'virDomainControlState', details: 'virDomainControlErrorReason' },
  domainGetJobInfo: { type: 'virDomainJobType' },
  domainGetJobStats: { type: 'virDomainJobType' },
  domainGetBlockJobInfo: { type: 'virDomainBlockJobType' },
  storagePoolGetInfo: { state: 'virStoragePoolState' },
  storageVolGetInfo: { type: 'virStorageVolType' },
  storageVolGetInfoFlags: { type: 'virStorageVolType' },
};

/** The reason enum of each virDomainState value. */
export const STATE_REASONS: Record<string, string> = {
  VIR_DOMAIN_NOSTATE: 'virDomainNostateReason',
  VIR_DOMAIN_RUNNING: 'virDomainRunningReason',
  VIR_DOMAIN_BLOCKED: 'virDomainBlockedReason',
  VIR_DOMAIN_PAUSED: 'virDomainPausedReason',
  VIR_DOMAIN_SHUTDOWN: 'virDomainShutdownReason',
  VIR_DOMAIN_SHUTOFF: 'virDomainShutoffReason',
  VIR_DOMAIN_CRASHED: 'virDomainCrashedReason',
  VIR_DOMAIN_PMSUSPENDED: 'virDomainPMSuspendedReason',
};

/** Tag/value lists that become one object keyed by the tag's name. */
export const KEYED_RESULTS: Record<string, { tag: string; value: string; enum?: string }> = {
  domainMemoryStats: { tag: 'tag', value: 'val', enum: 'virDomainMemoryStatTags' },
  nodeGetCPUStats: { tag: 'field', value: 'value' },
  nodeGetMemoryStats: { tag: 'field', value: 'value' },
};

/** Arguments the handle face fills in itself: `need_results` asks for the list, not a count. */
export const FILLED_ARGUMENTS: Record<string, string> = { need_results: '1' };

/** Arguments that only size the reply's list (C's array capacity): filled with the protocol's bound. */
export const SIZED_ARGUMENTS = new Set(['maxnames', 'maxids', 'maxuuids', 'maxStats', 'maxerrors']);

/** C functions whose XML argument may also be a typed document of libvirt-rpc/xml, and its kind. */
export const XML_ARGUMENTS: Record<string, string> = {
  virDomainCreateXML: 'Domain',
  virDomainDefineXML: 'Domain',
  virDomainDefineXMLFlags: 'Domain',
  virDomainSnapshotCreateXML: 'DomainSnapshot',
  virDomainCheckpointCreateXML: 'DomainCheckpoint',
  virDomainBackupBegin: 'DomainBackup',
  virNetworkCreateXML: 'Network',
  virNetworkCreateXMLFlags: 'Network',
  virNetworkDefineXML: 'Network',
  virNetworkDefineXMLFlags: 'Network',
  virNetworkPortCreateXML: 'NetworkPort',
  virStoragePoolCreateXML: 'StoragePool',
  virStoragePoolDefineXML: 'StoragePool',
  virStorageVolCreateXML: 'StorageVolume',
  virStorageVolCreateXMLFrom: 'StorageVolume',
  virNodeDeviceCreateXML: 'NodeDevice',
  virNodeDeviceDefineXML: 'NodeDevice',
  virInterfaceDefineXML: 'Interface',
  virSecretDefineXML: 'Secret',
  virNWFilterDefineXML: 'NWFilter',
  virNWFilterDefineXMLFlags: 'NWFilter',
  virNWFilterBindingCreateXML: 'NWFilterBinding',
};
