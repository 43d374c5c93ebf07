import { z } from "zod";
import { cidr, ifName, ipAddress, mac, mtu, netnsName } from "./common";
import { baseInputs, UNKNOWN } from "./base";
import { canonicalCidrs, inSubnet, ipFamily } from "../ip/addr";

/** The shared MAC rule (unicast, not all zeros: the kernel refuses the others for a veth), as OvsPort uses it. */
const unicastMac = mac;

/** cidr and ipAddress refuse %scope ids (fe80::1%eth0 would name an interface of the provider's choosing). */
const addresses = z
  .array(cidr)
  .max(256, "at most 256 addresses")
  .optional()
  .transform(canonicalCidrs);

const gateway = ipAddress.optional();

/**
 * VethPair: a veth pair whose ends each live in the host or in a named namespace (NetNamespace.name). Fields
 * without a prefix are the first end's, `peer*` the second's; `mtu` applies to both.
 */
export const vethSchema = z
  .object({
    ...baseInputs,
    name: ifName,
    namespace: netnsName.optional(),
    peerName: ifName,
    peerNamespace: netnsName.optional(),
    mtu: mtu.optional(),
    mac: unicastMac.optional(),
    peerMac: unicastMac.optional(),
    addresses,
    peerAddresses: addresses,
    up: z.boolean().default(true),
    peerUp: z.boolean().default(true),
    gateway,
    peerGateway: gateway,
    txChecksumOffload: z.boolean().optional(),
    peerTxChecksumOffload: z.boolean().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    // Runs even when fields failed: judge only values that are known and well-formed.
    const known = (x: unknown) => x !== UNKNOWN && !(Array.isArray(x) && x.includes(UNKNOWN));
    if (known(v.name) && known(v.peerName) && known(v.namespace) && known(v.peerNamespace) && v.name === v.peerName && v.namespace === v.peerNamespace) {
      ctx.addIssue({ code: "custom", path: ["peerName"], message: "must differ from name when both ends are in the same namespace" });
    }
    for (const [gwKey, nsKey, addrKey, upKey] of [
      ["gateway", "namespace", "addresses", "up"],
      ["peerGateway", "peerNamespace", "peerAddresses", "peerUp"],
    ] as const) {
      const gw = v[gwKey];
      if (gw === undefined || !known(gw) || !ipFamily(gw)) continue;
      if (v[nsKey] === undefined) {
        ctx.addIssue({ code: "custom", path: [gwKey], message: `is only allowed for an end inside a namespace (set ${nsKey}): in the host it would replace the host's default route` });
        continue;
      }
      if (v[upKey] === false) ctx.addIssue({ code: "custom", path: [gwKey], message: `needs the end up (${upKey} must not be false)` });
      const addrs = v[addrKey];
      if (addrs !== undefined && known(addrs) && !addrs.some((a) => inSubnet(gw, a))) {
        ctx.addIssue({ code: "custom", path: [gwKey], message: `must be inside the subnet of one of ${addrKey} (the route goes through this end)` });
      } else if (addrs === undefined) {
        ctx.addIssue({ code: "custom", path: [gwKey], message: `needs ${addrKey} with an address in the gateway's subnet` });
      }
    }
  });

export type VethInputs = z.output<typeof vethSchema>;
export const vethInputKeys = Object.keys(vethSchema.shape);
