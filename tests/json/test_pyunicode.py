"""The generated Python code point tables (src/json/pyunicode_table.c) against
the running Python, over every code point: str.isprintable(), str.isspace()
and unicodedata.decimal(). Run as: test_pyunicode.py PATH/TO/pyunicode_dump"""
import subprocess
import sys
import unicodedata


def main():
    out = subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout
    bad = []
    n = 0
    for line in out.splitlines():
        cp, printable, space, dec = line.split()
        c = chr(int(cp, 16))
        want = (c.isprintable(), c.isspace(), unicodedata.decimal(c, -1))
        got = (printable == "1", space == "1", int(dec))
        n += 1
        if got != want:
            bad.append("U+%04X: table %s, Python %s" % (int(cp, 16), got, want))
    if n != 0x110000 - 0x800:
        sys.exit("expected %d code points, got %d" % (0x110000 - 0x800, n))
    if bad:
        sys.exit("%d differences (Unicode %s here):\n%s" % (len(bad), unicodedata.unidata_version,
                                                          "\n".join(bad[:40])))
    print("%d code points agree (Unicode %s)" % (n, unicodedata.unidata_version))


if __name__ == "__main__":
    main()
