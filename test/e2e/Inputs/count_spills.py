"""Reads `attune build --emit=asm` on stdin and prints, per matmul kernel function, whether its
register tile stays in registers: "NAME: tile in registers", or "NAME: spills" when it reloads
8 or more vectors from the stack (a spilled 12 x 2 tile reloads 24 in its inner loop; an
epilogue's polynomial may reload one or two)."""
import re
import sys

lines = sys.stdin.read().split('\n')
starts = [(i, l[:-1]) for i, l in enumerate(lines) if re.match(r'^attune_matmul\w*:$', l)]
for n, (i, name) in enumerate(starts):
    end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
    reloads = sum(1 for l in lines[i:end] if re.search(r'vmov[au]ps\s+-?\d*\(%rsp\), %zmm', l))
    print(f"{name}: {'spills' if reloads >= 8 else 'tile in registers'}")
