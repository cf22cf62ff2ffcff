/** The small interface between the RPC core and whatever carries its bytes. */

/** Callbacks a transport invokes; the RPC core implements them. */
export interface TransportEvents {
  data(chunk: Uint8Array): void;
  /** The transport can take more bytes after `write` returned false. */
  drain(): void;
  /** The transport is gone; `error` when it failed rather than closed. Called once. */
  closed(error?: Error): void;
}

/** An open byte pipe to a libvirt daemon. */
export interface Transport {
  /**
   * Queues bytes; false when the caller should wait for `drain`. `written`, when the
   * transport supports it, is called once it no longer needs `bytes` (so the buffer can be
   * used again); a transport may ignore it.
   */
  write(bytes: Uint8Array, written?: () => void): boolean;
  /**
   * The peer reads one frame per record, so the core hands frames over one at a time, each
   * once the last is written (`written` must be called). libvirtd over TLS needs it.
   */
  readonly oneFramePerWrite?: boolean;
  /** Ends the connection after queued bytes are written. */
  close(): void;
  /** Stops delivering received bytes until `resume` (download backpressure). */
  pause?(): void;
  resume?(): void;
  /** Human-readable peer, for errors and traces (never carries credentials). */
  readonly description: string;
}

/** Opens a transport and wires it to `events`. */
export type Dialer = (events: TransportEvents, signal?: AbortSignal) => Promise<Transport>;
