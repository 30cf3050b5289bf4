#!/usr/bin/env python3
"""Writes a JSON file as MessagePack (smallest forms, map order kept): how
input.msgpack and input_200_lines.msgpack were made from their .json, with
nothing but the standard library.

    python3 json_to_msgpack.py input.json input.msgpack
"""
import json
import struct
import sys


def pack(value, out):
    if value is None:
        out.append(0xc0)
    elif value is True or value is False:
        out.append(0xc3 if value else 0xc2)
    elif isinstance(value, int):
        if 0 <= value <= 0x7f or -32 <= value < 0:
            out += struct.pack(">b" if value < 0 else ">B", value)
        elif value >= 0:
            out += struct.pack(">BQ", 0xcf, value)
        else:
            out += struct.pack(">Bq", 0xd3, value)
    elif isinstance(value, float):
        out += struct.pack(">Bd", 0xcb, value)
    elif isinstance(value, str):
        data = value.encode("utf-8")
        header(len(data), 0xa0, 31, 0xd9, out, one_byte=True)
        out += data
    elif isinstance(value, list):
        header(len(value), 0x90, 15, 0xdc, out)
        for item in value:
            pack(item, out)
    elif isinstance(value, dict):
        header(len(value), 0x80, 15, 0xde, out)
        for key, item in value.items():
            pack(key, out)
            pack(item, out)
    else:
        raise TypeError(type(value))


def header(n, fix, fix_max, lead, out, one_byte=False):
    """fixstr/fixarray/fixmap, then (str8,) 16- and 32-bit lengths."""
    if n <= fix_max:
        out.append(fix | n)
    elif one_byte and n <= 0xff:
        out += struct.pack(">BB", lead, n)
    elif n <= 0xffff:
        out += struct.pack(">BH", lead + (1 if one_byte else 0), n)
    else:
        out += struct.pack(">BI", lead + (2 if one_byte else 1), n)


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        document = json.load(f)
    packed = bytearray()
    pack(document, packed)
    with open(sys.argv[2], "wb") as f:
        f.write(packed)
