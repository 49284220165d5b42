import { describe, expect, it } from "vitest";
import { compilePolicy, guardUrl, type GuardPolicy } from "../../../../actors/tools/web/index.ts";
import { resolverOf } from "./web.helpers.ts";

const names = resolverOf({
  "example.com": "93.184.216.34",
  "v6.example": "2606:4700::1111",
  "intranet.corp": "10.0.0.7",
  "home.lan": "192.168.1.20",
  "rebind.example": ["93.184.216.34", "127.0.0.1"],
  "mapped.example": "::ffff:127.0.0.1",
  "metadata.example": "169.254.169.254",
  "zone.example": "fe80::1%eth0",
  "garbage.example": "not-an-address",
  "nas.home.lan": "192.168.1.30",
  "printer.lan": "192.168.1.40",
});

const guard = (url: string, p: GuardPolicy = {}) => guardUrl(url, compilePolicy(p), names);
const refusal = async (url: string, p: GuardPolicy = {}) => {
  const r = await guard(url, p);
  if (r.ok) throw new Error(`${url} was allowed (pinned to ${r.target.address})`);
  return r.error;
};

describe("SSRF guard: literal hosts in every spelling", () => {
  const refused: [string, string][] = [
    ["http://127.0.0.1/", "loopback"],
    ["http://2130706433/", "loopback"], // decimal
    ["http://0177.0.0.1/", "loopback"], // octal
    ["http://0x7f.1/", "loopback"], // hex, short
    ["http://0x7f000001/", "loopback"],
    ["http://127.1/", "loopback"], // short
    ["http://127.0.0.1./", "loopback"], // trailing dot
    ["http://0/", "unspecified"],
    ["http://0.0.0.0:8080/", "unspecified"],
    ["http://[::1]/", "loopback"],
    ["http://[::]/", "unspecified"],
    ["http://[0:0:0:0:0:0:0:1]/", "loopback"],
    ["http://[::ffff:127.0.0.1]/", "loopback"], // IPv4-mapped, dotted
    ["http://[::ffff:7f00:1]/", "loopback"], // IPv4-mapped, hex
    ["http://[::127.0.0.1]/", "loopback"], // IPv4-compatible
    ["http://[64:ff9b::7f00:1]/", "loopback"], // NAT64
    ["http://[2002:7f00:1::]/", "loopback"], // 6to4
    ["http://[fe80::1]/", "link_local"],
    ["http://[fc00::1]/", "ula"],
    ["http://[fd00:ec2::254]/", "metadata"],
    ["http://169.254.169.254/latest/meta-data/", "metadata"],
    ["http://0xa9.0xfe.0xa9.0xfe/", "metadata"],
    ["http://2852039166/", "metadata"], // 169.254.169.254 as one number
    ["http://10.0.0.1/", "private"],
    ["http://012.0.0.1/", "private"], // octal 10.0.0.1
    ["http://192.168.0.1/", "private"],
    ["http://172.16.5.4/", "private"],
    ["http://100.64.0.1/", "cgnat"],
    ["http://198.18.0.1/", "benchmark"],
    ["http://224.0.0.1/", "multicast"],
    ["http://255.255.255.255/", "broadcast"],
    ["https://[::ffff:10.0.0.1]:8443/x", "private"],
  ];
  it.each(refused)("%s is refused (%s)", async (url, range) => {
    expect((await refusal(url)).toWire()).toMatchObject({ code: "bad_request", details: { reason: "private_address", range } });
  });

  it("refuses zone ids and malformed hosts as invalid URLs", async () => {
    for (const url of ["http://[fe80::1%25eth0]/", "http://[fe80::1%eth0]/", "http://1.2.3.4.5/", "http://0x100000000/", "not a url"]) {
      expect((await refusal(url)).details).toMatchObject({ reason: "invalid_url" });
    }
  });

  it("refuses other schemes and URLs carrying credentials", async () => {
    for (const url of ["file:///etc/passwd", "ftp://example.com/", "gopher://127.0.0.1:25/", "data:text/html,hi", "javascript:alert(1)"]) {
      expect((await refusal(url)).details).toMatchObject({ reason: "scheme" });
    }
    expect((await refusal("http://user:pw@example.com/")).details).toMatchObject({ reason: "credentials" });
  });

  it("lets public addresses through, pinned to the literal", async () => {
    for (const [url, address] of [
      ["http://93.184.216.34/", "93.184.216.34"],
      ["https://[2606:4700::1111]/", "2606:4700::1111"],
      ["http://[::ffff:93.184.216.34]/", "::ffff:5db8:d822"],
    ]) {
      const r = await guard(url);
      expect(r.ok && r.target.address).toBe(address);
    }
  });
});

describe("SSRF guard: names", () => {
  it("refuses names whose answer is private, in any form", async () => {
    expect((await refusal("http://intranet.corp/")).details).toMatchObject({
      reason: "private_address",
      range: "private",
      address: "10.0.0.7",
    });
    expect((await refusal("http://mapped.example/")).details).toMatchObject({ range: "loopback", embedded: "127.0.0.1" });
    expect((await refusal("http://metadata.example/")).details).toMatchObject({ range: "metadata" });
    expect((await refusal("http://zone.example/")).details).toMatchObject({ range: "link_local" });
    expect((await refusal("http://garbage.example/")).details).toMatchObject({ range: "invalid" });
  });

  it("refuses a name with one public and one private answer", async () => {
    expect((await refusal("http://rebind.example/")).details).toMatchObject({ reason: "private_address", address: "127.0.0.1" });
  });

  it("refuses metadata service names before any lookup", async () => {
    for (const url of ["http://metadata.google.internal/computeMetadata/v1/", "http://METADATA.google.internal./", "http://metadata/"]) {
      expect((await refusal(url)).details).toMatchObject({ reason: "private_address", range: "metadata" });
    }
  });

  it("pins public names to the answer it checked", async () => {
    const r = await guard("https://example.com/page");
    expect(r.ok && r.target).toMatchObject({ host: "example.com", address: "93.184.216.34", family: 4 });
    const r6 = await guard("https://v6.example/");
    expect(r6.ok && r6.target).toMatchObject({ address: "2606:4700::1111", family: 6 });
  });

  it("reports a name that does not resolve as unavailable", async () => {
    expect((await refusal("http://nowhere.invalid/")).toWire()).toMatchObject({ code: "unavailable", details: { reason: "dns" } });
  });
});

describe("SSRF guard: the user's policy", () => {
  it("allowlist: only listed hosts, exact or by wildcard", async () => {
    const p = { allowlist: ["example.com", "*.docs.test", "93.184.216.34"] };
    expect((await guard("https://example.com/", p)).ok).toBe(true);
    expect((await guard("https://EXAMPLE.com./", p)).ok).toBe(true);
    expect((await guard("http://93.184.216.34/", p)).ok).toBe(true);
    expect((await refusal("https://www.example.com/", p)).details).toMatchObject({ reason: "not_allowed" });
    expect((await refusal("https://docs.test/", p)).details).toMatchObject({ reason: "not_allowed" });
    expect((await refusal("https://v6.example/", p)).details).toMatchObject({ reason: "not_allowed" });
    // Being on the allowlist does not make a private address fetchable.
    expect((await refusal("http://intranet.corp/", { allowlist: ["intranet.corp"] })).details).toMatchObject({ reason: "private_address" });
  });

  it("allowPrivate trusts the listed hosts and networks, nothing more", async () => {
    const p = { allowPrivate: ["home.lan", "*.home.lan", "10.0.0.0/24"] };
    expect(await guard("http://home.lan:8123/", p)).toMatchObject({ ok: true, target: { address: "192.168.1.20" } });
    expect(await guard("http://nas.home.lan/", p)).toMatchObject({ ok: true, target: { address: "192.168.1.30" } });
    expect(await guard("http://intranet.corp/", p)).toMatchObject({ ok: true, target: { address: "10.0.0.7" } });
    expect(await guard("http://10.0.0.200/", p)).toMatchObject({ ok: true });
    expect((await refusal("http://printer.lan/", p)).details).toMatchObject({ reason: "private_address" });
    expect((await refusal("http://10.0.1.1/", p)).details).toMatchObject({ reason: "private_address" });
    expect((await refusal("http://127.0.0.1/", p)).details).toMatchObject({ reason: "private_address" });
    // A trusted network matches its addresses in IPv4-mapped form too.
    expect((await guard("http://[::ffff:10.0.0.9]/", p)).ok).toBe(true);
  });

  it("metadata addresses need the exact address, not a network that holds them", async () => {
    expect((await refusal("http://169.254.169.254/", { allowPrivate: ["169.254.0.0/16"] })).details).toMatchObject({ range: "metadata" });
    expect((await guard("http://169.254.10.10/", { allowPrivate: ["169.254.0.0/16"] })).ok).toBe(true);
    expect((await guard("http://169.254.169.254/", { allowPrivate: ["169.254.169.254"] })).ok).toBe(true);
  });

  it("rejects malformed policy entries when the tool is built", () => {
    expect(() => compilePolicy({ allowPrivate: ["10.0.0.0/33"] })).toThrow(/allowPrivate/);
    expect(() => compilePolicy({ allowlist: ["*."] })).toThrow(/allowlist/);
  });
});
