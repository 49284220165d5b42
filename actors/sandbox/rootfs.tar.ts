/**
 * A minimal ustar writer for the sandbox image's root filesystem: directories, regular files and
 * symlinks, owned by root, with a fixed mtime so the same inputs give the same bytes. Pure.
 */
export type TarEntry =
  | { readonly type: "dir"; readonly path: string; readonly mode: number }
  | { readonly type: "file"; readonly path: string; readonly mode: number; readonly data: Buffer }
  | { readonly type: "symlink"; readonly path: string; readonly target: string };

const BLOCK = 512;

const octal = (n: number, width: number): string => `${n.toString(8).padStart(width - 1, "0")}\0`;

const header = (e: TarEntry): Buffer => {
  const h = Buffer.alloc(BLOCK);
  const name = e.type === "dir" && !e.path.endsWith("/") ? `${e.path}/` : e.path;
  if (Buffer.byteLength(name) > 100) throw new Error(`tar path too long: ${name}`);
  h.write(name, 0, 100, "utf8");
  h.write(octal(e.type === "symlink" ? 0o777 : e.mode, 8), 100, "ascii");
  h.write(octal(0, 8), 108, "ascii"); // uid
  h.write(octal(0, 8), 116, "ascii"); // gid
  h.write(octal(e.type === "file" ? e.data.length : 0, 12), 124, "ascii");
  h.write(octal(0, 12), 136, "ascii"); // mtime: fixed, for reproducible images
  h.write(e.type === "file" ? "0" : e.type === "symlink" ? "2" : "5", 156, "ascii");
  if (e.type === "symlink") h.write(e.target, 157, 100, "utf8");
  h.write("ustar\0", 257, "ascii");
  h.write("00", 263, "ascii");
  h.write("root", 265, "ascii");
  h.write("root", 297, "ascii");
  // The checksum is computed with its own field read as eight spaces.
  h.fill(" ", 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return h;
};

export const tarArchive = (entries: ReadonlyArray<TarEntry>): Buffer => {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(header(e));
    if (e.type === "file") {
      parts.push(e.data);
      const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
};

/**
 * The sandbox image's tree: busybox and one symlink per applet (`busybox --list-full` paths,
 * e.g. `bin/sh`, `usr/bin/awk`), a passwd/group with root and nobody, and the mount points.
 */
export const busyboxRootfs = (busybox: Buffer, applets: ReadonlyArray<string>): TarEntry[] => {
  const dirs = new Set(["bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "home"]);
  const links = applets.map((a) => a.replace(/^\/+/, "")).filter((a) => a && a !== "bin/busybox");
  for (const l of links) {
    const parts = l.split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  return [
    ...[...dirs].sort().map((path): TarEntry => ({ type: "dir", path, mode: 0o755 })),
    { type: "dir", path: "tmp", mode: 0o1777 },
    { type: "dir", path: "root", mode: 0o700 },
    { type: "file", path: "bin/busybox", mode: 0o755, data: busybox },
    {
      type: "file",
      path: "etc/passwd",
      mode: 0o644,
      data: Buffer.from("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n"),
    },
    { type: "file", path: "etc/group", mode: 0o644, data: Buffer.from("root:x:0:\nnogroup:x:65534:\n") },
    ...[...new Set(links)].sort().map((path): TarEntry => ({ type: "symlink", path, target: "/bin/busybox" })),
  ];
};
