import { redact, registerSecret } from "../../provider/transport/redact";
import { Semaphore } from "../../provider/transport/semaphore";

describe("redact", () => {
  test("a registered secret never leaves in a message, nor a line of a registered private key", () => {
    const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\nAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----";
    registerSecret("hunter2-password");
    registerSecret(key);
    expect(redact("auth failed for hunter2-password at host")).toBe("auth failed for [secret] at host");
    expect(redact("bad line: b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ")).toBe("bad line: [secret]");
    expect(redact(`key:\n${key}`)).not.toContain("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ");
  });

  test("short values, the PEM armour lines and undefined are not registered (they would blank ordinary text)", () => {
    registerSecret("abc");
    registerSecret(undefined);
    registerSecret("-----BEGIN OPENSSH PRIVATE KEY-----\nshort\n-----END OPENSSH PRIVATE KEY-----x");
    expect(redact("abc short -----BEGIN OPENSSH PRIVATE KEY-----")).toBe("abc short -----BEGIN OPENSSH PRIVATE KEY-----");
  });
});

describe("Semaphore", () => {
  test("at most `limit` holders; waiters are served in FIFO order; a double release frees one slot only", async () => {
    const sem = new Semaphore(2);
    const order: string[] = [];
    const r1 = await sem.acquire();
    const r2 = await sem.acquire();
    const w3 = sem.acquire().then((r) => (order.push("3"), r));
    const w4 = sem.acquire().then((r) => (order.push("4"), r));
    await Promise.resolve();
    expect(order).toEqual([]);
    r1();
    r1(); // no effect: the slot was handed to 3 already
    const r3 = await w3;
    await Promise.resolve();
    expect(order).toEqual(["3"]);
    r2();
    const r4 = await w4;
    expect(order).toEqual(["3", "4"]);
    r3();
    r4();
    // Both slots free again: two acquire at once without waiting.
    const [a, b] = await Promise.all([sem.acquire(), sem.acquire()]);
    a();
    b();
  });
});
