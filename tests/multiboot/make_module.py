#!/usr/bin/env python3
"""Writes a Multiboot test module: a text file whose first line names it and whose last line
marks its end, so the test kernel can tell the right file was loaded whole at the right place.

usage: make_module.py OUTPUT LINES [NAME]

  emu-multiboot-module NAME      (NAME: OUTPUT's file name unless given: a module that names
                                  another file is how the tests check the kernel notices)
  line 1 of NAME ... line LINES of NAME
  end NAME
"""
import os
import sys


def main() -> int:
    output, lines = sys.argv[1], int(sys.argv[2])
    name = sys.argv[3] if len(sys.argv) > 3 else os.path.basename(output)
    body = "".join(f"line {i} of {name}\n" for i in range(1, lines + 1))
    with open(output, "w", newline="\n") as f:
        f.write(f"emu-multiboot-module {name}\n{body}end {name}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
