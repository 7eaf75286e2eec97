#!/usr/bin/env python3
"""Writes the seed corpus of the parse_packet fuzz target: one file per PROTOCOL.md item that
concerns parsing (A1-C26, E43-E44, H69) plus a valid packet of each type.

Usage: scripts/gen_parse_corpus.py [OUTPUT_DIR]   (default: fuzz/corpus/parse_packet)
Existing files of the same name are overwritten; nothing else in the directory is touched.
"""
import pathlib
import struct
import sys

RRQ, WRQ, DATA, ACK, ERROR, OACK = 1, 2, 3, 4, 5, 6


def op(code: int) -> bytes:
    return struct.pack("!H", code)


def cstr(*fields: str) -> bytes:
    return b"".join(f.encode("latin-1") + b"\0" for f in fields)


def request(name: str = "pxelinux.0", mode: str = "octet", *options: str, code: int = RRQ) -> bytes:
    return op(code) + cstr(name, mode, *options)


def junk(count: int) -> bytes:
    return bytes((i * 37 + 11) % 256 for i in range(count))


def seeds() -> dict:
    vmlinux = request("vmlinux")
    sixty_pairs = request("f", "octet", *[s for i in range(60) for s in (f"o{100 + i}", "1")])
    return {
        # Valid packets of each type.
        "valid_rrq": request("pxelinux.0", "octet", "blksize", "1428", "tsize", "0"),
        "valid_wrq": request("upload.bin", "netascii", "tsize", "1234", code=WRQ),
        "valid_data": op(DATA) + struct.pack("!H", 1) + b"hello\r\n\0world",
        "valid_data_empty": op(DATA) + struct.pack("!H", 65535),
        "valid_ack": op(ACK) + struct.pack("!H", 0),
        "valid_error": op(ERROR) + struct.pack("!H", 1) + cstr("File not found"),
        "valid_oack": op(OACK) + cstr("blksize", "1024", "tsize", "5368709120"),
        "valid_oack_empty": op(OACK),
        # A. Framing.
        "a01_empty": b"",
        "a02_one_byte": b"\x01",
        "a02_two_bytes": b"\x00\x01",
        "a02_three_bytes": b"\x00\x01\x02",
        "a03_opcode_0": op(0) + cstr("foo.txt", "octet"),
        "a03_opcode_7": op(7) + cstr("foo.txt", "octet"),
        "a04_ack_to_port_69": op(ACK) + struct.pack("!H", 1),
        "a05_error_to_port_69": op(ERROR) + struct.pack("!H", 0) + cstr("x"),
        "a06_request_517_bytes": op(RRQ) + b"f" * (517 - 2 - 7) + b"\0octet\0",
        # B. Request syntax.
        "b07_name_unterminated": op(RRQ) + b"foo",
        "b08_mode_missing": op(RRQ) + b"foo\0",
        "b09_mode_unterminated": op(RRQ) + b"foo\0octet",
        "b10_empty_name": op(RRQ) + b"\0octet\0",
        "b11_mode_mixed_case": request("a", "NetAscii"),
        "b12_mode_mail": request("a", "mail"),
        "b12_mode_netascXX": request("a", "netascXX"),
        "b13_fixed_516_junk": vmlinux + junk(516 - len(vmlinux)),
        "b14_option_without_value": request("f", "octet") + b"blksize\0",
        "b15_value_unterminated": request("f", "octet") + b"blksize\0" + b"1428",
        # C. Options (parse side: values are kept verbatim for negotiation to judge).
        "c16_blksize_huge": request("f", "octet", "blksize", "99999999999999999999"),
        "c17_blksize_not_decimal": request("f", "octet", "blksize", "-1", "timeout", "0x200"),
        "c18_three_options": request("f", "octet", "blksize", "8", "timeout", "3", "tsize", "0"),
        "c19_timeout_256": request("f", "octet", "timeout", "256"),
        "c20_unknown_options": request("f", "octet", "utimeout", "255000000", "foo", "1"),
        "c21_lookalike_names": request("f", "octet", "blksizeX", "1428", "BLKSIZE", "1428"),
        "c22_duplicate_blksize": request("f", "octet", "blksize", "512", "blksize", "1024"),
        "c23_windowsize_65536": request("f", "octet", "windowsize", "65536"),
        "c24_tsize_in_rrq": request("f", "netascii", "tsize", "123"),
        "c25_wrq_tsize_huge": request("f", "octet", "tsize", "99999999999", code=WRQ),
        "c26_sixty_pairs": sixty_pairs,
        # E. Peer errors.
        "e43_error_empty_body": op(ERROR),
        "e43_error_one_byte_body": op(ERROR) + b"\0",
        "e44_error_long_unterminated": op(ERROR) + struct.pack("!H", 0) + b"\x1b[31m" + b"m" * 600,
        # H. Client-side inputs.
        "h69_oack_trailing_junk": op(OACK) + cstr("blksize", "1024") + b"junk",
        "h69_oack_value_unterminated": op(OACK) + b"blksize\0" + b"1024",
        "h71_data_1468": op(DATA) + struct.pack("!H", 7) + b"x" * 1468,
    }


def main() -> int:
    root = pathlib.Path(__file__).resolve().parent.parent
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root / "fuzz/corpus/parse_packet"
    out.mkdir(parents=True, exist_ok=True)
    for name, payload in seeds().items():
        (out / name).write_bytes(payload)
    assert len(seeds()["c26_sixty_pairs"]) <= 512
    print(f"wrote {len(seeds())} seeds to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
