#!/usr/bin/env python3
"""Writes the seed corpus of the transfer_pair fuzz target: a clean transfer of each kind, the
network faults (loss, duplication, reordering, corruption, long silences) and the session-level
items of PROTOCOL.md (E37-E48, E77, F51-F53, F56, H65-H72) injected into either end.

Input layout (fuzz/transfer_pair.cc): 8 header bytes
  flags (1 upload, 2 netascii, 4 fixed window, 8 ask blksize, 16 ask windowsize, 32 ask tsize,
         64 ask rollover, 128 ask timeout), blksize code, window code, size (2 bytes, big endian),
  timeout code, server policy bits, size cap code (0xFF: none)
then events: 0 deliver, 1 drop, 2 duplicate, 3 advance <t>, 4 inject <end> <len> <bytes>,
  5 corrupt <pos> <mask>, 6 move the next datagram to the back, 7 deliver everything in flight.

Usage: fuzz/gen_transfer_pair_corpus.py [OUTPUT_DIR]   (default: fuzz/corpus/transfer_pair)
"""
import pathlib
import struct
import sys

UPLOAD, NETASCII, FIXED_WINDOW, BLKSIZE, WINDOW, TSIZE, ROLLOVER, TIMEOUT = (
    1, 2, 4, 8, 16, 32, 64, 128)
CLIENT, SERVER = 0, 1
DELIVER, DROP, DUP, ADVANCE, INJECT, CORRUPT, ROTATE, ALL = range(8)
BLKSIZE_1428 = 203  # codes >= 200 pick from a table; 203 is 1428
NO_CAP = 0xFF


def header(flags=0, blksize=0, window=0, size=1000, timeout=0, policy=0, cap=NO_CAP) -> bytes:
    return bytes([flags, blksize, window]) + struct.pack("!H", size) + bytes([timeout, policy, cap])


def cstr(*fields: str) -> bytes:
    return b"".join(f.encode("latin-1") + b"\0" for f in fields)


def inject(end: int, datagram: bytes) -> bytes:
    assert len(datagram) < 200
    return bytes([INJECT, end, len(datagram)]) + datagram


def data(block: int, payload: bytes) -> bytes:
    return struct.pack("!HH", 3, block) + payload


def ack(block: int) -> bytes:
    return struct.pack("!HH", 4, block)


def error(code: int, message: str) -> bytes:
    return struct.pack("!HH", 5, code) + cstr(message)


def oack(*pairs: str) -> bytes:
    return struct.pack("!H", 6) + cstr(*pairs)


def all_(times=40) -> bytes:
    return bytes([ALL]) * times


SEEDS = {
    "clean_get": header() + all_(),
    "clean_put": header(UPLOAD) + all_(),
    "clean_get_options": header(BLKSIZE | WINDOW | TSIZE, BLKSIZE_1428, 15, 20000) + all_(),
    "clean_put_options": header(UPLOAD | BLKSIZE | WINDOW | TSIZE, BLKSIZE_1428, 15, 20000)
    + all_(),
    "clean_get_small_blocks": header(BLKSIZE | WINDOW, 0, 7, 3000) + all_(200),
    "clean_get_netascii": header(NETASCII | BLKSIZE | TSIZE, 0, 0, 2000) + all_(300),
    "clean_put_netascii": header(UPLOAD | NETASCII | BLKSIZE, 0, 0, 2000) + all_(300),
    "clean_get_timeout_rollover": header(TIMEOUT | ROLLOVER | BLKSIZE, 100, 0x80, 1500, 2, 8)
    + all_(),
    "clean_get_fixed_window": header(FIXED_WINDOW | WINDOW, 0, 31, 40000) + all_(),
    "policy_all_off": header(BLKSIZE | WINDOW | TSIZE, BLKSIZE_1428, 15, 5000, 0, 0x17) + all_(),
    "E48_exact_multiple": header(size=1024) + all_(),
    "E48_empty_file": header(size=0) + all_(),
    "E48_empty_upload": header(UPLOAD, size=0) + all_(),
    "loss_alternate": header(WINDOW, 0, 7, 6000) + bytes([DELIVER, DROP]) * 80,
    "loss_with_timers": header(WINDOW, 0, 7, 6000)
    + (bytes([DELIVER, DELIVER, DROP, ADVANCE, 40])) * 60,
    "E37_duplicates": header(UPLOAD | WINDOW, 0, 3, 6000) + bytes([DUP]) * 150,
    "reorder": header(WINDOW, 0, 7, 8000) + bytes([ROTATE, DELIVER, DELIVER]) * 80,
    "corrupt": header(BLKSIZE, 20, 0, 800) + bytes([DELIVER, CORRUPT, 3, 0x40]) * 30,
    "silence_get": header() + bytes([DELIVER, DELIVER, ADVANCE, 255, ADVANCE, 255]) * 10,
    "silence_put": header(UPLOAD) + bytes([DELIVER, DELIVER, ADVANCE, 255, ADVANCE, 255]) * 10,
    "E77_final_ack_lost": header(size=100) + bytes([DELIVER, DELIVER, DELIVER, DROP])
    + bytes([ADVANCE, 200]) * 3 + all_(),
    "E38_ack_never_sent": header(WINDOW, 0, 3, 4000) + bytes([DELIVER, DELIVER])
    + inject(SERVER, ack(9)) + all_(),
    "E42_abort_after_oack": header(TSIZE) + bytes([DELIVER]) + inject(SERVER, error(0, "TFTP Aborted"))
    + all_(),
    "E43_short_error": header() + bytes([DELIVER, DELIVER]) + inject(SERVER, b"\x00\x05") + all_(),
    "E44_long_error": header(UPLOAD) + bytes([DELIVER]) + inject(CLIENT, error(1, "x" * 190))
    + all_(),
    "F51_oversize_data": header(UPLOAD, size=2000) + bytes([DELIVER, DELIVER])
    + bytes([INJECT, SERVER, 210]) + data(1, b"A" * 636) + all_(),
    "F52_duplicate_data": header(UPLOAD, size=2000) + bytes([DELIVER, DELIVER, DUP, DUP]) + all_(),
    "F53_data_block_0": header(UPLOAD | WINDOW, 0, 3, 2000) + bytes([DELIVER, DELIVER])
    + inject(SERVER, data(0, b"zz")) + inject(SERVER, data(60, b"zz")) + all_(),
    "F56_upload_over_cap": header(UPLOAD | BLKSIZE, BLKSIZE_1428, 0, 30000, cap=3) + all_(),
    "F56_upload_tsize_over_cap": header(UPLOAD | TSIZE, 0, 0, 30000, cap=3) + all_(),
    "H65_oack_blksize_larger": header(BLKSIZE, 0, 0, 1000) + bytes([DROP])
    + inject(CLIENT, oack("blksize", "1468")) + all_(),
    "H66_oack_unrequested": header(BLKSIZE, 100) + bytes([DROP])
    + inject(CLIENT, oack("windowsize", "16", "foo", "1")) + all_(),
    "H67_oack_without_blksize": header(BLKSIZE | TSIZE, 100) + bytes([DROP])
    + inject(CLIENT, oack("tsize", "1000")) + all_(),
    "H68_oack_tsize_negative": header(TSIZE) + bytes([DROP]) + inject(CLIENT, oack("tsize", "-5"))
    + all_(),
    "H70_data_block_0": header() + bytes([DELIVER]) + inject(CLIENT, data(0, b"x" * 100)) + all_(),
    "H71_oversize_data": header() + bytes([DELIVER])
    + bytes([INJECT, CLIENT, 210]) + data(1, b"B" * 636) + all_(),
    "H72_download_over_cap": header(TSIZE, size=5000, cap=3) + all_(),
    "H72_download_over_cap_no_tsize": header(size=5000, cap=3) + all_(),
    "forged_wrq_to_client": header() + inject(CLIENT, struct.pack("!H", 2) + cstr("x", "octet"))
    + all_(),
}


def main() -> None:
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus/transfer_pair")
    out.mkdir(parents=True, exist_ok=True)
    for name, content in SEEDS.items():
        (out / name).write_bytes(content)
    print(f"wrote {len(SEEDS)} seeds to {out}")


if __name__ == "__main__":
    main()
