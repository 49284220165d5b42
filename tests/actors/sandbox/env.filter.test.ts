import { describe, expect, it } from "vitest";
import { classifyEnvName, filterEnv } from "../../../actors/sandbox/index.ts";

describe("environment filtering", () => {
  it.each([
    ["PATH", "host", "allowed"],
    ["LANG", "host", "allowed"],
    ["LC_ALL", "host", "allowed"],
    ["LC_CTYPE", "host", "allowed"],
    ["TERM", "host", "allowed"],
    ["TZ", "host", "allowed"],
    ["USER", "host", "allowed"],
    ["EDITOR", "host", "not_allowlisted"],
    ["NODE_OPTIONS", "host", "not_allowlisted"],
    ["OPENAI_API_KEY", "host", "secret"],
    ["ANTHROPIC_API_KEY", "request", "secret"],
    ["GITHUB_TOKEN", "request", "secret"],
    ["MY_SERVICE_TOKEN", "request", "secret"],
    ["DB_PASSWORD", "request", "secret"],
    ["PGPASSWORD", "request", "secret"],
    ["MYSQL_PWD_PASSWORD_FILE", "request", "secret"],
    ["CLIENT_SECRET", "request", "secret"],
    ["AWS_REGION", "request", "secret"],
    ["AWS_ACCESS_KEY_ID", "host", "secret"],
    ["CAIRN_NATS_CREDS", "host", "secret"],
    ["CAIRN_ANYTHING", "request", "secret"],
    ["OPENAI_BASE_URL", "request", "secret"],
    ["SSH_AUTH_SOCK", "host", "secret"],
    ["GOOGLE_APPLICATION_CREDENTIALS", "request", "secret"],
    ["api_key", "request", "secret"],
    ["LD_PRELOAD", "request", "hijack"],
    ["LD_LIBRARY_PATH", "host", "hijack"],
    ["DYLD_INSERT_LIBRARIES", "request", "hijack"],
    ["BASH_ENV", "request", "hijack"],
    ["ENV", "request", "hijack"],
    ["BASH_FUNC_ls%%", "request", "invalid"],
    ["IFS", "request", "hijack"],
    ["BAD-NAME", "request", "invalid"],
    ["A=B", "request", "invalid"],
    ["MY_VAR", "request", "allowed"],
    ["GIT_AUTHOR_NAME", "request", "allowed"],
    ["NODE_ENV", "request", "allowed"],
  ] as const)("%s from %s is %s", (name, origin, verdict) => {
    expect(classifyEnvName(name, origin)).toBe(verdict);
  });

  it("forces HOME to the workspace, replaces PATH when asked, and reports request drops", () => {
    const { env, dropped } = filterEnv({
      host: { PATH: "/host/bin", HOME: "/root", OPENAI_API_KEY: "sk-x", LANG: "C.UTF-8", LD_PRELOAD: "/evil.so" },
      request: { HOME: "/elsewhere", FOO: "bar", LD_PRELOAD: "/evil.so", GITHUB_TOKEN: "ghp" },
      home: "/ws",
      path: "/usr/bin:/bin",
    });
    expect(env).toEqual({ PATH: "/usr/bin:/bin", LANG: "C.UTF-8", FOO: "bar", HOME: "/ws" });
    expect(dropped.map((d) => [d.name, d.reason])).toEqual([
      ["HOME", "hijack"],
      ["LD_PRELOAD", "hijack"],
      ["GITHUB_TOKEN", "secret"],
    ]);
  });
});
