import { BlockList } from "node:net";
import { describe, expect, it } from "vitest";
import { SPECIAL_RANGES, checkAddress, formatIp, parseCidr, parseIp } from "../../../../actors/tools/web/index.ts";
import { specialRange } from "../../../../actors/tools/web/ip.ranges.ts";

describe("checkAddress", () => {
  // [address, expected reason or "ok", embedded IPv4 when the verdict comes from it]
  const table: [string, string, string?][] = [
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["10.0.0.1", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.0.5", "link_local"],
    ["169.254.169.254", "metadata"],
    ["169.254.170.2", "metadata"],
    ["100.64.0.1", "cgnat"],
    ["100.127.255.254", "cgnat"],
    ["100.100.100.200", "cgnat"],
    ["198.18.0.1", "benchmark"],
    ["198.19.255.255", "benchmark"],
    ["192.0.2.1", "documentation"],
    ["203.0.113.9", "documentation"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["192.0.0.192", "reserved"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "link_local"],
    ["fe80::1%eth0", "link_local"],
    ["febf:ffff::1", "link_local"],
    ["fc00::1", "ula"],
    ["fd12:3456::1", "ula"],
    ["fd00:ec2::254", "metadata"],
    ["ff02::1", "multicast"],
    ["fec0::1", "reserved"],
    ["2001:db8::1", "documentation"],
    ["::ffff:127.0.0.1", "loopback", "127.0.0.1"],
    ["::ffff:7f00:1", "loopback", "127.0.0.1"],
    ["::ffff:10.1.2.3", "private", "10.1.2.3"],
    ["::ffff:169.254.169.254", "metadata", "169.254.169.254"],
    ["::127.0.0.1", "loopback", "127.0.0.1"],
    ["::a00:1", "private", "10.0.0.1"],
    ["64:ff9b::7f00:1", "loopback", "127.0.0.1"],
    ["64:ff9b::192.168.0.1", "private", "192.168.0.1"],
    ["64:ff9b:1::a9fe:a9fe", "metadata", "169.254.169.254"],
    ["2002:7f00:1::", "loopback", "127.0.0.1"],
    ["2002:c0a8:101::1", "private", "192.168.1.1"],
    ["2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback", "127.0.0.1"], // Teredo client 127.0.0.1, inverted
    ["::8.8.8.8", "reserved"], // IPv4-compatible is deprecated whatever it embeds
    ["100::1", "reserved"],
    ["4000::1", "reserved"],
    ["93.184.216.34", "ok"],
    ["8.8.8.8", "ok"],
    ["1.1.1.1", "ok"],
    ["172.32.0.1", "ok"],
    ["100.128.0.1", "ok"],
    ["2606:4700::1111", "ok"],
    ["2a00:1450:4001:81d::200e", "ok"],
    ["::ffff:93.184.216.34", "ok"],
    ["64:ff9b::808:808", "ok"],
    ["2002:5db8:d822::1", "ok"], // 6to4 of a public address
    ["not-an-ip", "invalid"],
    ["1.2.3", "invalid"],
    ["1.2.3.256", "invalid"],
    ["1:2:3:4:5:6:7:8:9", "invalid"],
  ];

  it.each(table)("%s → %s", (address, verdict, embedded) => {
    const r = checkAddress(address);
    if (verdict === "ok") expect(r).toMatchObject({ ok: true });
    else {
      expect(r).toMatchObject({ ok: false, reason: verdict });
      if (!r.ok) expect(r.embedded).toBe(embedded);
    }
  });

  it("canonicalises the address it reports", () => {
    expect(checkAddress("::FFFF:127.0.0.1")).toMatchObject({ address: "::ffff:7f00:1", embedded: "127.0.0.1" });
    expect(checkAddress("2606:4700:0:0:0:0:0:1111")).toEqual({ ok: true, address: "2606:4700::1111" });
  });
});

describe("the range table agrees with node:net BlockList", () => {
  const v4 = new BlockList();
  const v6 = new BlockList();
  for (const r of SPECIAL_RANGES) {
    const [net, bits] = r.cidr.split("/");
    (r.family === 4 ? v4 : v6).addSubnet(net, Number(bits), r.family === 4 ? "ipv4" : "ipv6");
  }

  // A fixed pseudo-random walk (deterministic), plus every range's first and last address and
  // the addresses right outside each range: where a hand-written mask would go wrong.
  const samples = (): { text: string; family: 4 | 6 }[] => {
    const out: { text: string; family: 4 | 6 }[] = [];
    let x = 0x2545f4914f6cdd1dn;
    const next = (bits: number) => {
      x ^= (x << 13n) & ((1n << 64n) - 1n);
      x ^= x >> 7n;
      x ^= (x << 17n) & ((1n << 64n) - 1n);
      return bits === 32 ? x & 0xffffffffn : ((x << 64n) | (x * 0x9e3779b97f4a7c15n)) & ((1n << 128n) - 1n);
    };
    for (let i = 0; i < 2000; i++) {
      out.push({ text: formatIp({ family: 4, value: next(32) }), family: 4 });
      out.push({ text: formatIp({ family: 6, value: next(128) }), family: 6 });
    }
    for (const r of SPECIAL_RANGES) {
      const c = parseCidr(r.cidr)!;
      const bits = r.family === 4 ? 32 : 128;
      const last = c.base | ((1n << BigInt(bits - c.prefix)) - 1n);
      const max = (1n << BigInt(bits)) - 1n;
      for (const v of [c.base, last, c.base - 1n, last + 1n]) {
        if (v >= 0n && v <= max) out.push({ text: formatIp({ family: r.family, value: v }), family: r.family });
      }
    }
    return out;
  };

  it("on thousands of addresses, range edges included", () => {
    let checked = 0;
    for (const s of samples()) {
      const ip = parseIp(s.text)!;
      const mine = specialRange(ip) !== undefined;
      const node = s.family === 4 ? v4.check(s.text, "ipv4") : v6.check(s.text, "ipv6");
      expect({ address: s.text, listed: mine }).toEqual({ address: s.text, listed: node });
      checked++;
    }
    expect(checked).toBeGreaterThan(4000);
  });
});

describe("parseIp / formatIp", () => {
  it("round-trips canonical forms (RFC 5952 for IPv6)", () => {
    for (const [input, canonical] of [
      ["1.2.3.4", "1.2.3.4"],
      ["2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
      ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
      ["::", "::"],
      ["::1", "::1"],
      ["1::", "1::"],
      ["[::ffff:1.2.3.4]", "::ffff:102:304"],
    ]) {
      expect(formatIp(parseIp(input)!)).toBe(canonical);
    }
  });

  it("refuses what is not an address", () => {
    for (const bad of ["", "1.2.3.4.5", "01.2.3.4", "1::2::3", "12345::", "::ffff:1.2.3", "1.2.3.4/8", "g::1"]) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
  });
});
