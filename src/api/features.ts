/**
 * What a connection knows of its daemon's features: `keepalive` from the open, the others
 * asked once per session on first need (libvirt's library asks two of them up front); and the
 * quirks they decide, applied to the calls that need them.
 */
import { REMOTE_PROGRAM } from '../../protocol/remote.js';
import {
  remoteProcDomainBlockStatsFlags,
  remoteProcDomainGetBlkioParameters,
  remoteProcDomainGetBlockIoTune,
  remoteProcDomainGetCPUStats,
  remoteProcDomainGetInterfaceParameters,
  remoteProcDomainGetMemoryParameters,
  remoteProcDomainGetNumaParameters,
  remoteProcDomainGetSchedulerParametersFlags,
  remoteProcNetworkUpdate,
  remoteProcNodeGetMemoryParameters,
} from '../../protocol/remote-procedures.js';
import { VIR_TYPED_PARAM_STRING_OKAY } from '../../protocol/constants.js';
import { LibvirtError } from '../errors.js';
import type { RpcClient } from '../rpc/client.js';
import type { ProcedureInfo } from '../xdr/index.js';
import { DRV_FEATURE, supportsFeature } from './handshake.js';

/**
 * What the daemon said it supports: `keepalive` is asked at open, the others when first
 * needed (or all at once by {@link Connection.probeFeatures}); false until asked.
 */
export interface ServerFeatures {
  keepalive: boolean;
  remoteEventCallback: boolean;
  remoteCloseCallback: boolean;
  networkUpdateHasCorrectOrder: boolean;
  typedParamString: boolean;
}

/** The features asked on first need, with libvirt's numbers for them. */
export const LAZY_FEATURES = {
  remoteEventCallback: DRV_FEATURE.REMOTE_EVENT_CALLBACK,
  remoteCloseCallback: DRV_FEATURE.REMOTE_CLOSE_CALLBACK,
  networkUpdateHasCorrectOrder: DRV_FEATURE.NETWORK_UPDATE_HAS_CORRECT_ORDER,
  typedParamString: DRV_FEATURE.TYPED_PARAM_STRING,
} as const;
export type LazyFeature = keyof typeof LAZY_FEATURES;

/**
 * Getters to which libvirt's C library adds VIR_TYPED_PARAM_STRING_OKAY when the daemon
 * supports string parameters; without it the daemon leaves string parameters out.
 */
const STRING_OKAY_PROCEDURES = new Set(
  [
    remoteProcDomainGetMemoryParameters,
    remoteProcDomainGetNumaParameters,
    remoteProcDomainGetBlkioParameters,
    remoteProcDomainGetSchedulerParametersFlags,
    remoteProcDomainGetBlockIoTune,
    remoteProcDomainGetInterfaceParameters,
    remoteProcDomainBlockStatsFlags,
    remoteProcDomainGetCPUStats,
    remoteProcNodeGetMemoryParameters,
  ].map((p) => p.number),
);

/** One session's answers: asked on first need, a failed question asked again next time. */
export class FeatureProbes {
  private readonly asked = new Map<LazyFeature, Promise<boolean>>();

  constructor(
    private readonly rpc: RpcClient,
    /** Told each answer, to keep a connection's `features` current. */
    private readonly answered: (name: LazyFeature, value: boolean) => void,
  ) {}

  /** Whether the daemon supports `name` (a driver that cannot say rejects with LibvirtError). */
  probe(name: LazyFeature): Promise<boolean> {
    let answer = this.asked.get(name);
    if (!answer) {
      answer = supportsFeature(this.rpc, LAZY_FEATURES[name]).then((v) => (this.answered(name, v), v));
      answer.catch(() => this.asked.delete(name));
      this.asked.set(name, answer);
    }
    return answer;
  }

  /** Every feature asked (those a driver cannot answer count as unsupported). */
  async probeAll(): Promise<void> {
    await Promise.all((Object.keys(LAZY_FEATURES) as LazyFeature[]).map((name) => this.probe(name).catch(ignoreUnsupported)));
  }

  /**
   * The arguments to send for `proc`, as libvirt's library adjusts them for this daemon, or
   * undefined when `proc` needs nothing: string typed parameters asked for where the daemon
   * has them, and network-update's command and section swapped for a daemon from before
   * the fix that put them in order (an error asking that fails the call).
   */
  adjust(proc: ProcedureInfo<any, any, any>, args: any): Promise<any> | undefined {
    if (proc.program === REMOTE_PROGRAM && STRING_OKAY_PROCEDURES.has(proc.number)) {
      return this.probe('typedParamString')
        .catch(ignoreUnsupported)
        .then((ok) => (ok ? { ...args, flags: (args.flags | VIR_TYPED_PARAM_STRING_OKAY) >>> 0 } : args));
    }
    if (proc === remoteProcNetworkUpdate) {
      return this.probe('networkUpdateHasCorrectOrder').then((ok) => (ok ? args : { ...args, command: args.section, section: args.command }));
    }
    return undefined;
  }
}

/** Drivers that do not implement a feature query answer with an error: that means no. */
export function ignoreUnsupported(e: unknown): boolean {
  if (e instanceof LibvirtError) return false;
  throw e;
}
