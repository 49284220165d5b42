import { describe, expect, test } from "vitest";
import { methodScopes, paramScope } from "../../schemas/index.ts";

describe("a cron job's own sandbox or approval mode needs admin", () => {
  test("cron.add / cron.update that set or clear a sandbox or approval mode need operator.admin; others, write", () => {
    expect(methodScopes["cron.update"]).toBe("operator.write");
    expect(paramScope("cron.add", { name: "j", schedule: { kind: "every", everyMs: 1000 }, prompt: "p" })).toBeUndefined();
    expect(paramScope("cron.update", { name: "j", prompt: "p" })).toBeUndefined();
    // Clearing one (back to the configured) can loosen it too.
    expect(paramScope("cron.update", { name: "j", approvalMode: null })).toBe("operator.admin");
    expect(paramScope("cron.add", { name: "j", sandbox: "none" })).toBe("operator.admin");
    expect(paramScope("cron.update", { name: "j", approvalMode: "always" })).toBe("operator.admin");
    expect(paramScope("chat.send", { sandbox: "none" })).toBeUndefined();
  });
});
