import { z } from "zod";

/** The engine's placeholder for a value that is not known yet (preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** external_ids key (and docker label) that marks objects pulumi-ovs created; defined in shared/ownership.ts. */
export { OWNER_KEY } from "../shared/ownership";

/** Fields every resource takes besides its own. */
export const baseInputs = {
  connection: z.unknown(),
  /** Stable identity of the declaring resource (project/stack/type/name); set by the SDK. */
  owner: z.string().min(1).max(512).regex(/^[\x20-\x7e]+$/, "must be printable ASCII"),
  adopt: z.boolean().optional(),
};

