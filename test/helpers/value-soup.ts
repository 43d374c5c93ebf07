import fc from "fast-check";

/**
 * Arbitrary input values for property tests, grown from a valid value of a property: the value itself,
 * mutations of it, values of the same kind written the ways tools read differently (leading zeros, upper case,
 * scopes, /0, octal-looking prefixes), prototype names, control characters, lone surrogates, huge sizes, and
 * values of other types. Deterministic for a given seed.
 */

const PROTO_NAMES = ["constructor", "toString", "valueOf", "hasOwnProperty", "__proto__", "isPrototypeOf", "__defineGetter__"];
/** Characters with a meaning to a shell, ovs-vsctl, ovs-ofctl, iproute2 or JSON, and the invisible ones. */
const TRICKY = [..."\u0000\u0001\u001b\u007f\u0085\u009f\n\r\t ,;=:/\\'\"`$()[]{}<>|&*?!#%~-+._@", "\ud800", "\udc00", "\u200b", "\u202e", "\uff10", "\u0430"];
const SPECIAL = [
  "", "0", "00", "-1", "default", "0.0.0.0/0", "0.0.0.0/00", "198.18.1.2/010", "198.18.1.2/024", "198.0.0.0/08",
  "2001:DB8:0:0::1/64", "2001:db8::1%eth0", "fe80::1%1", "198.18.1.1%eth0", "::ffff:198.18.1.1", "01:00:5e:00:00:01",
  "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00", "02:00:00:00:00:0A", "tcp:", "tcp:198.18.0.1:99999", "punix:/etc/passwd",
  "unix:/run/openvswitch/x.sock", "ip,action_x=1", "ip,actions=drop", "dl_vlan=4096", "reg0", "reg0=1/0", "ip,ip",
  "tcp,icmp_type=3", "in_port=eth0", "output:1", "drop", "NORMAL", ...PROTO_NAMES,
];

function mutate(v: string): fc.Arbitrary<string> {
  const at = fc.nat(v.length);
  return fc.oneof(
    fc.tuple(at, fc.constantFrom(...TRICKY)).map(([i, c]) => v.slice(0, i) + c + v.slice(i)),
    fc.tuple(at, fc.constantFrom(...TRICKY)).map(([i, c]) => v.slice(0, i) + c + v.slice(i + 1)),
    fc.tuple(at, fc.nat(v.length)).map(([i, j]) => v.slice(0, Math.min(i, j)) + v.slice(Math.max(i, j))),
    fc.constant(v.toUpperCase()),
    fc.constant(v.replace(/(\d+)/g, "0$1")),
    fc.constant(v.replace(/\/(\d+)/, "/0$1")),
    fc.constant(`${v}${v}`),
  );
}

const octet = fc.oneof(fc.integer({ min: 0, max: 255 }).map(String), fc.integer({ min: 0, max: 300 }).map((n) => `0${n}`));
const ipv4ish = fc.tuple(octet, octet, octet, octet).map((o) => o.join("."));
const prefix = fc.oneof(fc.integer({ min: 0, max: 33 }).map(String), fc.integer({ min: 0, max: 40 }).map((n) => `0${n}`));
const cidrish = fc.oneof(
  fc.tuple(ipv4ish, prefix).map(([a, p]) => `${a}/${p}`),
  fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 129 }), fc.boolean()).map(([a, p, up]) => `${up ? a.toUpperCase() : a}/${p}`),
);
const macish = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 }).chain((b) =>
  fc.constantFrom(":", "-").map((sep) => b.map((x) => x.toString(16).padStart(2, "0")).join(sep)),
);
const huge = fc.integer({ min: 200, max: 200_000 }).map((n) => "a".repeat(n));

/** Strings of every kind, starting from a valid one. */
export function stringSoup(valid: string): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constant(valid), weight: 2 },
    { arbitrary: mutate(valid), weight: 6 },
    { arbitrary: fc.constantFrom(...SPECIAL), weight: 4 },
    { arbitrary: fc.oneof(ipv4ish, cidrish, macish, fc.ipV6()), weight: 4 },
    { arbitrary: fc.string({ maxLength: 24 }), weight: 2 },
    { arbitrary: fc.string({ unit: "binary", maxLength: 24 }), weight: 2 },
    { arbitrary: huge, weight: 1 },
  );
}

const otherTypes = fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, NaN, Infinity, 2 ** 32, "x", [], {}, [1], { a: 1 });

function numberSoup(valid: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constant(valid),
    fc.integer({ min: -10, max: 70_000 }),
    fc.integer(),
    fc.double(),
    fc.constantFrom(0, 1, 4094, 4095, 4096, 65535, 65536, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53, -0, 0.5),
    fc.constant(String(valid)),
  );
}

/** Map keys: plain, tool-meaningful, prototype names, empty, huge. */
const keySoup = fc.oneof(fc.constantFrom("k", "a.b", "x-y", "a:b", ...PROTO_NAMES, "", "a=b", "a b"), mutate("key"), fc.string({ maxLength: 12 }), huge);

/** Values of every kind and type, grown from a valid value of any JSON type. */
export function valueSoup(valid: unknown): fc.Arbitrary<unknown> {
  const typed: fc.Arbitrary<unknown> =
    typeof valid === "string" ? stringSoup(valid)
    : typeof valid === "number" ? numberSoup(valid)
    : typeof valid === "boolean" ? fc.boolean()
    : Array.isArray(valid) ? fc.oneof(fc.constant(valid), fc.array(valueSoup(valid[0] ?? "x"), { maxLength: 5 }), fc.array(fc.constant(valid[0]), { minLength: 300, maxLength: 2000 }))
    : valid && typeof valid === "object"
      ? fc.oneof(
          fc.constant(valid),
          // Object.fromEntries defines every key as an own property, "__proto__" included.
          fc.array(fc.tuple(keySoup, stringSoup(String(Object.values(valid)[0] ?? "v"))), { maxLength: 5 }).map((e) => Object.fromEntries(e)),
          fc.integer({ min: 250, max: 400 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v".repeat(60)]))),
        )
      : fc.constant(valid);
  return fc.oneof({ arbitrary: typed, weight: 9 }, { arbitrary: otherTypes, weight: 1 });
}

/** The seed of this run: POVS_PROPERTY_SEED to repeat one, otherwise new each run (fast-check prints it on failure). */
export function propertySeed(): number {
  const s = Number(process.env.POVS_PROPERTY_SEED);
  return Number.isInteger(s) ? s : Date.now() % 2 ** 31;
}
