#!/usr/bin/env python3
# arch/x86_64/tools/kallsyms.py - turn `nm -n quire.elf` (stdin) into an
# assembly file holding the kernel's sorted text symbols, for
# arch_lookup_symbol() (arch/x86_64/symbols.c).
#
# Output (section .kallsyms, read-only):
#   kallsyms_num            u64  number of symbols
#   kallsyms_addr[num]      u64  start address, ascending
#   kallsyms_name_off[num]  u32  offset of the name in kallsyms_names
#   kallsyms_names          NUL-terminated names
import sys

syms = []
end = None
for line in sys.stdin:
    parts = line.split()
    if len(parts) != 3:
        continue
    addr, kind, name = parts
    if name == "_etext":
        end = int(addr, 16)
    if kind not in "tTwW" or name.startswith(".L") or name.startswith("__kallsyms"):
        continue
    syms.append((int(addr, 16), name))
syms.sort()

out = ['\t.section .kallsyms, "a"', '\t.balign 8']
out.append('\t.globl kallsyms_num\nkallsyms_num:\n\t.quad %d' % len(syms))
out.append('\t.globl kallsyms_end\nkallsyms_end:\n\t.quad 0x%x' % (end or 0))
out.append('\t.globl kallsyms_addr\nkallsyms_addr:')
for a, _ in syms:
    out.append('\t.quad 0x%x' % a)
out.append('\t.globl kallsyms_name_off\nkallsyms_name_off:')
off = 0
for _, n in syms:
    out.append('\t.long %d' % off)
    off += len(n) + 1
out.append('\t.globl kallsyms_names\nkallsyms_names:')
for _, n in syms:
    out.append('\t.asciz "%s"' % n)
out.append('\t.section .note.GNU-stack,"",@progbits')
print("\n".join(out))
