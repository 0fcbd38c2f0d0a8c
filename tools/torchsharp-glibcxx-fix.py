#!/usr/bin/env python3
# Provenance: copied unchanged (apart from this comment) from the team's shared development tools
# (shared/tools/torchsharp-glibcxx-fix.py) so that a clone of this repository builds the benchmark on
# its own; bench/Dendrite.Bench/Dendrite.Bench.csproj runs it after Build and Publish.
"""Make TorchSharp 0.107.0's libLibTorchSharp.so loadable on Debian 12 (libstdc++ from GCC 12).

Problem: libLibTorchSharp.so (built with GCC >= 13) carries a version requirement
GLIBCXX_3.4.32 on libstdc++.so.6. Debian 12 ships GLIBCXX up to 3.4.30, so dlopen fails:
    libstdc++.so.6: version `GLIBCXX_3.4.32' not found (required by libLibTorchSharp.so)

The ONLY symbol using that version is std::ios_base_library_init(), which GCC 13's <iostream>
emits as a bare `.globl` reference (no relocation uses it; it exists only to pin the libstdc++
version). The dynamic loader therefore never needs to resolve it; only the up-front version check
fails. This script marks that single Vernaux entry VER_FLG_WEAK, which turns the fatal check into
a silent no-op. No code or data is changed.

Usage: patch_glibcxx.py path/to/libLibTorchSharp.so   (idempotent; refuses anything unexpected)
"""
import os
import struct
import sys

VER_FLG_WEAK = 0x2
TARGET = b"GLIBCXX_3.4.32"


def main(path: str) -> int:
    data = bytearray(open(path, "rb").read())
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        print(f"{path}: not a little-endian ELF64 file", file=sys.stderr)
        return 1
    e_shoff, = struct.unpack_from("<Q", data, 0x28)
    e_shentsize, e_shnum, e_shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def sh(i):
        # name, type, flags, addr, offset, size, link, info, addralign, entsize
        return struct.unpack_from("<IIQQQQIIQQ", data, e_shoff + i * e_shentsize)

    SHT_GNU_verneed = 0x6FFFFFFE
    verneed = [sh(i) for i in range(e_shnum) if sh(i)[1] == SHT_GNU_verneed]
    if len(verneed) != 1:
        print(f"{path}: expected one .gnu.version_r section, found {len(verneed)}", file=sys.stderr)
        return 1
    _, _, _, _, vr_off, vr_size, vr_link, vr_info, _, _ = verneed[0]
    strtab_off = sh(vr_link)[4]

    def cstr(off):
        end = data.index(b"\0", strtab_off + off)
        return bytes(data[strtab_off + off:end])

    patched = already = 0
    off = vr_off
    for _ in range(vr_info):  # sh_info = number of Verneed entries
        vn_version, vn_cnt, vn_file, vn_aux, vn_next = struct.unpack_from("<HHIII", data, off)
        lib = cstr(vn_file)
        aoff = off + vn_aux
        for _ in range(vn_cnt):
            vna_hash, vna_flags, vna_other, vna_name, vna_next = struct.unpack_from("<IHHII", data, aoff)
            if lib == b"libstdc++.so.6" and cstr(vna_name) == TARGET:
                if vna_flags & VER_FLG_WEAK:
                    already += 1
                else:
                    struct.pack_into("<H", data, aoff + 4, vna_flags | VER_FLG_WEAK)
                    patched += 1
            aoff += vna_next
            if vna_next == 0:
                break
        off += vn_next
        if vn_next == 0:
            break

    if patched == 0 and already == 0:
        print(f"{path}: no {TARGET.decode()} requirement found; nothing to do")
        return 0
    if patched:
        tmp = path + ".patching"
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, os.stat(path).st_mode)
        os.replace(tmp, path)  # new inode: never writes through a hard link into the NuGet cache
        print(f"{path}: marked {TARGET.decode()} requirement weak")
    else:
        print(f"{path}: already patched")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
