/* Prints, for every code point outside the surrogates, the classes of
 * src/json/pyunicode_table.c as "<hex> <printable> <space> <decimal>",
 * one line each, for test_pyunicode.py to compare with Python. */
#include <stdio.h>

#include "pyunicode.h"

int main(void)
{
    for (uint32_t cp = 0; cp < 0x110000; cp++) {
        if (cp >= 0xd800 && cp < 0xe000)
            continue;
        printf("%x %d %d %d\n", (unsigned)cp, pt__py_isprintable(cp), pt__py_isspace(cp), pt__py_decimal(cp));
    }
    return 0;
}
