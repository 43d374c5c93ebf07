import { restacked, shortStacks } from "../../sdk/internal";

/**
 * Resources register with V8's stack trace limit at 0 (the SDK formats a stack for every promise it makes while
 * registering, for its leak report only), and put the limit back whatever happens; an error thrown meanwhile
 * gets the stack of the place it surfaces.
 */
describe("short stacks while a resource registers", () => {
  const saved = Error.stackTraceLimit;
  const savedEnv = process.env.PULUMI_DEBUG_PROMISE_LEAKS;
  afterEach(() => {
    Error.stackTraceLimit = saved;
    if (savedEnv === undefined) delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
    else process.env.PULUMI_DEBUG_PROMISE_LEAKS = savedEnv;
  });

  test("lowers the limit to 0 and puts the caller's limit back (twice is harmless)", () => {
    Error.stackTraceLimit = 17;
    const restore = shortStacks();
    expect(Error.stackTraceLimit).toBe(0);
    expect(new Error("x").stack).toBe("Error: x");
    restore();
    restore();
    expect(Error.stackTraceLimit).toBe(17);
  });

  test("keeps full stacks when PULUMI_DEBUG_PROMISE_LEAKS is set", () => {
    process.env.PULUMI_DEBUG_PROMISE_LEAKS = "true";
    Error.stackTraceLimit = 12;
    shortStacks();
    expect(Error.stackTraceLimit).toBe(12);
  });

  test("an error made while stacks were short gets the stack of where it surfaces, above the constructor named", () => {
    class Thing {
      constructor() {
        const restore = shortStacks();
        try {
          throw new Error("bad input");
        } catch (e) {
          restore();
          throw restacked(e, new.target);
        }
      }
    }
    function userCode() {
      return new Thing();
    }
    let caught: Error | undefined;
    try {
      userCode();
    } catch (e) {
      caught = e as Error;
    }
    expect(caught?.message).toBe("bad input");
    const frames = caught!.stack!.split("\n").slice(1);
    expect(frames[0]).toMatch(/userCode/);
    expect(caught!.stack).not.toMatch(/new Thing/);
    expect(Error.stackTraceLimit).toBe(saved);
  });

  test("leaves what is not an Error as it is", () => {
    expect(restacked("a string")).toBe("a string");
  });
});
