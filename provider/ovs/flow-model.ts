/**
 * The typed OpenFlow flow model (after digitalocean/go-openvswitch ovs/flow.go) and the vocabulary that tells
 * a flow's own fields apart from its match. Parsing, formatting and validation all share these definitions.
 */

/** One match field as OVS prints it: `in_port=1`, or a bare shorthand such as `icmp`. */
export interface MatchField {
  key: string;
  value?: string;
}

export interface Flow {
  cookie: bigint;
  table: number;
  /** OpenFlow's default priority (32768) when the text names none, as OVS does. */
  priority: number;
  match: MatchField[];
  actions: string[];
  /** Seconds; absent means permanent (OVS prints nothing for 0). */
  idleTimeout?: number;
  hardTimeout?: number;
  importance?: number;
  /** Flow-mod flags OVS prints as bare words: send_flow_rem, check_overlap, reset_counts, ... */
  flags: string[];
}

export const DEFAULT_PRIORITY = 32768;

/** Statistics that change on their own: never part of a flow's identity or of drift. */
export const VOLATILE = new Set(["duration", "n_packets", "n_bytes", "idle_age", "hard_age"]);
/** Flow-mod flags: bare words before the match in dump-flows output. */
export const FLOW_FLAGS = new Set(["send_flow_rem", "check_overlap", "reset_counts", "no_packet_counts", "no_byte_counts"]);
/** Keys of the flow entry itself rather than of its match. */
export const FLOW_KEYS = new Set(["cookie", "table", "priority", "idle_timeout", "hard_timeout", "importance", "out_port", "out_group"]);
