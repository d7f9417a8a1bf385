"""Reads three `attune build --emit=asm` outputs of one model: as built, built wholly top-down
(--misched-topdown) and built wholly with LLVM's default scheduling (--misched-topdown=false),
and prints for each function of the first whose scheduling its code is: "NAME: top-down",
"NAME: default", "NAME: either" (both builds give that code) or "NAME: neither". Functions
are compared by their instructions, labels (jump tables included) and directives left out."""
import re
import sys


def functions(path):
    found, name = {}, None
    for line in open(path).read().split('\n'):
        label = re.match(r'^([A-Za-z_][A-Za-z0-9_]*):$', line)
        if label:
            name = label.group(1)
            found[name] = []
        elif name is not None and line.startswith('\t') and not line.startswith('\t.'):
            found[name].append(re.sub(r'\.(LBB|LCPI|LJTI|Ltmp)\d+_?\d*', 'L', line.strip()))
    return found


built, top_down, default = (functions(path) for path in sys.argv[1:4])
for name, code in built.items():
    as_top_down, as_default = code == top_down.get(name), code == default.get(name)
    kind = {(True, True): 'either', (True, False): 'top-down', (False, True): 'default',
            (False, False): 'neither'}[(as_top_down, as_default)]
    print(f'{name}: {kind}')
