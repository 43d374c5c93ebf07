import { z } from "zod";
import { baseInputs, OWNER_KEY } from "./base";
import { containerRef } from "./common";
import { canonicalCapability } from "../docker/docker";

/** Image references: [registry/]repo[:tag][@digest] — letters, digits and . _ - / : @ only. */
const imageRef = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._\/:@-]*$/, "must be an image reference like pulumi-ovs/busybox:latest");

const noControl = z.string().max(4096).refine((s) => !/[\x00-\x1f\x7f]/.test(s), "must not contain control characters");
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name");
const labelKey = z.string().min(1).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9._\/-]*$/, "must be a label key like com.example.role");
const capability = z.string().regex(/^(CAP_)?[A-Z_]{2,32}$/, "must be a capability like NET_ADMIN");

export const containerSchema = z
  .object({
    ...baseInputs,
    name: containerRef,
    image: imageRef,
    command: z.array(noControl).optional(),
    env: z.record(envName, noControl).optional(),
    labels: z
      .record(labelKey, noControl)
      .optional()
      .refine((l) => !l || !(OWNER_KEY in l), `must not set ${OWNER_KEY}: pulumi-ovs manages it`),
    restartPolicy: z
      .string()
      .regex(/^(no|always|unless-stopped|on-failure(:\d{1,4})?)$/, "must be no, always, unless-stopped or on-failure[:N]")
      .optional(),
    /** Default "none": pulumi-ovs does the wiring. */
    networkMode: z
      .string()
      .regex(/^(none|host|bridge|container:[A-Za-z0-9][A-Za-z0-9_.-]*)$/, "must be none, host, bridge or container:NAME")
      .default("none"),
    capAdd: z
      .array(capability)
      .optional()
      .transform((c) => (c ? [...new Set(c.map(canonicalCapability))].sort() : c)),
    privileged: z.boolean().optional(),
    hostname: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/, "must be a host name").optional(),
    /** Keep the container running (a stopped container is drift that `pulumi up` repairs with docker start). */
    running: z.boolean().default(true),
  })
  .strict();

export type ContainerInputs = z.output<typeof containerSchema>;
export const containerInputKeys = Object.keys(containerSchema.shape);
