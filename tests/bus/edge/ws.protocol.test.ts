import { describe, expect, test } from "vitest";
import { decodeFrame, encodeError, encodeOk } from "../../../bus/edge/ws.protocol.ts";
import { MAX_FRAME_BYTES } from "../../../schemas/index.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const frame = (v: unknown) => decodeFrame(bytes(JSON.stringify(v)), false);

describe("decodeFrame", () => {
  test("a valid req", () => {
    expect(frame({ type: "req", id: "1", method: "status", params: {} })).toEqual({
      ok: true,
      req: { type: "req", id: "1", method: "status", params: {} },
    });
    expect(frame({ type: "req", id: "2", method: "status" })).toMatchObject({ ok: true, req: { id: "2" } });
  });
  test("non-JSON is bad_frame with an empty id", () => {
    expect(decodeFrame(bytes("{nope"), false)).toMatchObject({ ok: false, id: "", error: { code: "bad_frame" } });
  });
  test("invalid UTF-8 is bad_frame", () => {
    expect(decodeFrame(new Uint8Array([0x22, 0xff, 0x22]), false)).toMatchObject({ ok: false, error: { code: "bad_frame" } });
  });
  test("binary frames are bad_frame", () => {
    expect(decodeFrame(bytes('{"type":"req","id":"1","method":"status"}'), true)).toMatchObject({
      ok: false,
      id: "",
      error: { code: "bad_frame" },
    });
  });
  test("frames that are not a req keep the id when one is readable", () => {
    expect(frame({ type: "res", id: "x1" })).toMatchObject({ ok: false, id: "x1", error: { code: "bad_frame" } });
    expect(frame([1, 2])).toMatchObject({ ok: false, id: "", error: { code: "bad_frame" } });
    expect(frame("req")).toMatchObject({ ok: false, id: "", error: { code: "bad_frame" } });
    expect(frame(null)).toMatchObject({ ok: false, id: "", error: { code: "bad_frame" } });
    expect(frame({ type: "req", id: "y", method: 5 })).toMatchObject({ ok: false, id: "y", error: { code: "bad_frame" } });
    expect(frame({ type: "req", id: "", method: "status" })).toMatchObject({ ok: false, id: "", error: { code: "bad_frame" } });
    expect(frame({ type: "req", id: "z".repeat(65), method: "status" })).toMatchObject({ ok: false, id: "" });
  });
  test("unknown methods, including prototype keys", () => {
    for (const method of ["nope", "toString", "__proto__", "constructor"]) {
      expect(frame({ type: "req", id: "m", method })).toMatchObject({ ok: false, id: "m", error: { code: "unknown_method" } });
    }
  });
  test("oversize frames are refused without parsing", () => {
    const big = new Uint8Array(MAX_FRAME_BYTES + 1).fill(0x20);
    expect(decodeFrame(big, false)).toMatchObject({ ok: false, id: "", error: { code: "frame_too_large" } });
    const fits = JSON.stringify({ type: "req", id: "ok", method: "status", params: {} });
    const padded = fits + " ".repeat(MAX_FRAME_BYTES - fits.length);
    expect(decodeFrame(bytes(padded), false)).toMatchObject({ ok: true });
  });
});

test("encoders", () => {
  expect(JSON.parse(encodeOk("1", { a: 1 }))).toEqual({ type: "res", id: "1", ok: true, payload: { a: 1 } });
  expect(JSON.parse(encodeOk("1", undefined))).toEqual({ type: "res", id: "1", ok: true, payload: null });
  expect(JSON.parse(encodeError("2", { code: "bad_request", message: "m" }))).toEqual({
    type: "res",
    id: "2",
    ok: false,
    error: { code: "bad_request", message: "m" },
  });
});
