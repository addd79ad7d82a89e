"""A deliberate use-after-free of a compiled record, for .ci/asan: it must be reported.

Builds a one-record declaration, frees a record, then makes a (ctypes-forged) reference to the
dead object and reads a field. The read happens in the generated module's own compiled code
(its tp_getattro looks at the object's type first), so AddressSanitizer must stop the process
with a heap-use-after-free report. If this script prints "NOT CAUGHT" and exits 0, the
sanitizer build is not doing its job.
"""
import ctypes
import os
import sys
import tempfile

from compactclass import build, is_compiled

SOURCE = """\
from compactclass import compact, i64

@compact
class Victim:
    a: i64 = 0
    b: i64 = 0
"""

folder = tempfile.mkdtemp(prefix="compactclass-canary-")
path = os.path.join(folder, "canary_decl.py")
with open(path, "w") as out:
    out.write(SOURCE)
sys.path.insert(0, folder)
build.build_inplace([path])
sys.modules.pop("canary_decl", None)         # generating imported it in pure mode
import canary_decl  # noqa: E402

assert is_compiled(canary_decl.Victim)
victim = canary_decl.Victim(1, 2)
address = id(victim)
del victim                                   # the record's block is freed (per-block mode)
ghost = ctypes.cast(address, ctypes.py_object).value
print("reading a field of a freed record...", flush=True)
print(ghost.a)                               # must not get here
print("NOT CAUGHT")
