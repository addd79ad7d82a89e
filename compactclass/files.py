"""Files the build writes: atomic installs, temporary names that say who owns them, sweeping
what killed builds left behind, and a cheap check that a compiled module's file is whole.

Every output reaches its final name through ``os.replace`` of a complete temporary file in the
same folder, so a reader (an import, a concurrent build) sees the old file or the new one, never
a prefix of one; a process that has the old module mapped keeps its old inode. Temporary names
carry the owning pid (``.compactclass-<pid>-XXXX.tmp`` beside outputs,
``compactclass-build-<pid>-XXXX`` folders in the temporary directory) so that a later build can
remove what a killed one left, once that pid is gone.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import stat
import struct
import sys
import tempfile
from typing import Optional

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; liveness of the pid alone decides
    fcntl = None  # type: ignore[assignment]  # mypy types the name as the module only

__all__ = ["TEMP_FILE_PREFIX", "BUILD_DIR_PREFIX", "TEXT_MODE", "EXECUTABLE_MODE",
           "pending_file", "atomic_write", "atomic_copy", "same_content", "creation_mode",
           "fix_private_mode", "build_folder", "sweep_temp_files", "sweep_build_folders",
           "pid_alive", "damaged_extension"]

TEMP_FILE_PREFIX = ".compactclass-"     # + "<pid>-<random>.tmp", beside the outputs
BUILD_DIR_PREFIX = "compactclass-build-"  # + "<pid>-<random>", in the temporary directory

_TEMP_FILE = re.compile(r"\.compactclass-(\d+)-[0-9a-z]+\.tmp\Z")
_BUILD_DIR = re.compile(r"compactclass-build-(\d+)-[0-9A-Za-z_]+\Z")

# the modes a plain open() and a linker give their outputs, before the umask
TEXT_MODE = 0o666
EXECUTABLE_MODE = 0o777


# --------------------------------------------------------------------------- atomic writes

def _open_temp(folder: str, mode: int):
    """A new file ``.compactclass-<pid>-<random>.tmp`` in folder, created with ``mode`` under
    the umask (as open() would create it; mkstemp would give 0600): (fd, path)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        path = os.path.join(folder, f"{TEMP_FILE_PREFIX}{os.getpid()}-"
                                    f"{secrets.token_hex(4)}.tmp")
        try:
            return os.open(path, flags, mode), path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", folder)


@contextlib.contextmanager
def pending_file(path: str, mode: int = TEXT_MODE):
    """Yield (file object, temporary path) for a file that will replace ``path``; the caller
    replaces it. On an exception the temporary file is removed."""
    fd, tmp = _open_temp(os.path.dirname(os.path.abspath(path)), mode)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out, tmp
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write(path: str, data: bytes, mode: int = TEXT_MODE) -> None:
    """Write data to path through a temporary file in its folder and os.replace."""
    with pending_file(path, mode) as (out, tmp):
        out.write(data)
    _replace(tmp, path)


def atomic_copy(source: str, path: str, mode: int = TEXT_MODE, fsync: bool = False) -> None:
    """Copy source to path: a complete temporary copy in path's folder, then os.replace
    (after an fsync if asked: then not even a system crash leaves a cut file at path)."""
    with pending_file(path, mode) as (out, tmp):
        with open(source, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
        if fsync:
            out.flush()
            os.fsync(out.fileno())
    _replace(tmp, path)


def _replace(tmp: str, path: str) -> None:
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def creation_mode(folder: str, mode: int = TEXT_MODE) -> int:
    """The permission bits a new file created with mode gets in folder (the umask applied),
    found by creating one: reading the umask would mean changing it, for every thread."""
    fd, tmp = _open_temp(folder, mode)
    try:
        return stat.S_IMODE(os.fstat(fd).st_mode)
    finally:
        os.close(fd)
        os.unlink(tmp)


def fix_private_mode(path: str, mode: int = TEXT_MODE) -> None:
    """Give an existing output that has mkstemp's 0600 (written by an older compactclass) the
    mode a new file would get, keeping its content and mtime."""
    try:
        if stat.S_IMODE(os.stat(path).st_mode) != 0o600:
            return
        wanted = creation_mode(os.path.dirname(os.path.abspath(path)), mode)
        if wanted != 0o600:
            os.chmod(path, wanted)
    except OSError:
        pass


def same_content(path: str, data: bytes) -> bool:
    try:
        if os.path.getsize(path) != len(data):
            return False
        with open(path, "rb") as existing:
            return existing.read() == data
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return False


# --------------------------------------------------------------------------- build folders

@contextlib.contextmanager
def build_folder():
    """A private folder ``compactclass-build-<pid>-XXXX`` in the temporary directory, removed
    afterwards. While it exists its owner holds an advisory lock on it, so a sweep never
    removes the folder of a live build, even one whose pid means another process here (a
    reused pid, another pid namespace sharing the temporary directory)."""
    sweep_build_folders()
    path = tempfile.mkdtemp(prefix=f"{BUILD_DIR_PREFIX}{os.getpid()}-")
    lock = _lock(path, blocking=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        if lock is not None:
            os.close(lock)


def _lock(path: str, blocking: bool) -> Optional[int]:
    """An fd holding an exclusive flock on folder path, or None where there are no locks.
    Raises BlockingIOError when not blocking and someone else holds it."""
    if fcntl is None:
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BaseException:
        os.close(fd)
        raise
    return fd


# --------------------------------------------------------------------------- sweeping

def pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process there
        import ctypes
        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # QUERY_LIMITED_INFO
        if not handle:
            return False
        ctypes.windll.kernel32.CloseHandle(handle)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, and belongs to someone else
        return True
    except OSError:
        return True  # when in doubt, keep the file
    return True


def _leftovers(folder: str, pattern, want_dir: bool):
    """(path, stat) of the entries of folder matching pattern that belong to the current user,
    are of the wanted kind (never symbolic links) and whose owning pid is gone."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    uid = os.getuid() if hasattr(os, "getuid") else None
    for name in names:
        match = pattern.match(name)
        if match is None or pid_alive(int(match.group(1))):
            continue
        path = os.path.join(folder, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if (stat.S_ISDIR(st.st_mode) if want_dir else stat.S_ISREG(st.st_mode)) and \
                (uid is None or st.st_uid == uid):
            yield path


def sweep_temp_files(folder: str) -> list:
    """Remove ``.compactclass-<pid>-XXXX.tmp`` files in folder whose pid is gone. Returns the
    paths removed."""
    removed = []
    for path in _leftovers(folder, _TEMP_FILE, want_dir=False):
        with contextlib.suppress(OSError):
            os.unlink(path)
            removed.append(path)
    return removed


def sweep_build_folders(parent: Optional[str] = None) -> list:
    """Remove ``compactclass-build-<pid>-XXXX`` folders in the temporary directory (or parent)
    whose pid is gone and whose lock nobody holds. Returns the paths removed."""
    removed = []
    for path in _leftovers(parent or tempfile.gettempdir(), _BUILD_DIR, want_dir=True):
        try:
            lock = _lock(path, blocking=False)
        except OSError:  # held by a live build (BlockingIOError), or gone already
            continue
        try:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        finally:
            if lock is not None:
                os.close(lock)
    return removed


# --------------------------------------------------------------------------- integrity

_ELF_MAGIC = b"\x7fELF"
PN_XNUM = 0xFFFF


def damaged_extension(path: str) -> Optional[str]:
    """Why the compiled module at path cannot be whole, or None when it looks whole (or is
    not an ELF file, which this does not judge).

    dlopen() maps the segments a truncated ELF file's headers promise; touching a page past
    the end of the file is a SIGBUS, so the importer dies instead of getting an ImportError.
    This reads the headers only: the ELF header must parse, and every program header's
    segment and the section header table must lie inside the file."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            return _elf_problem(f, size)
    except OSError as exc:
        return f"it cannot be read: {exc}"


def _elf_problem(f, size: int) -> Optional[str]:
    ident = f.read(16)
    if ident[:4] != _ELF_MAGIC:
        return None  # not ELF (or too short to say): the loader reports that without harm
    if len(ident) < 16 or ident[4] not in (1, 2) or ident[5] not in (1, 2):
        return "its ELF header is cut short or invalid"
    wide = ident[4] == 2
    order = "<" if ident[5] == 1 else ">"
    if wide:
        fmt, ph_fmt, sh_fmt = order + "HHIQQQIHHHHHH", order + "IIQQQQQQ", order + "IIQQQQIIQQ"
    else:
        fmt, ph_fmt, sh_fmt = order + "HHIIIIIHHHHHH", order + "IIIIIIII", order + "IIIIIIIIII"
    rest = f.read(struct.calcsize(fmt))
    if len(rest) < struct.calcsize(fmt):
        return f"its ELF header is cut short (the file has {size} bytes)"
    (_type, _machine, _version, _entry, phoff, shoff, _flags, _ehsize, phentsize, phnum,
     shentsize, shnum, _shstrndx) = struct.unpack(fmt, rest)

    def read_at(offset, length):
        if offset + length > size:
            return None
        f.seek(offset)
        data = f.read(length)
        return data if len(data) == length else None

    # extended numbering: the real counts live in section header 0
    if (phnum == PN_XNUM or (shnum == 0 and shoff)):
        if not shoff or shentsize < struct.calcsize(sh_fmt):
            return "its ELF section header table is invalid"
        first = read_at(shoff, struct.calcsize(sh_fmt))
        if first is None:
            return (f"its section header table starts at byte {shoff}, past the end of the "
                    f"file ({size} bytes)")
        section0 = struct.unpack(sh_fmt, first)
        if shnum == 0:
            shnum = section0[5]   # sh_size
        if phnum == PN_XNUM:
            phnum = section0[7]   # sh_info
    if phnum:
        if phentsize < struct.calcsize(ph_fmt):
            return "its ELF program header table is invalid"
        table = read_at(phoff, phnum * phentsize)
        if table is None:
            return (f"its program header table ends at byte {phoff + phnum * phentsize}, past "
                    f"the end of the file ({size} bytes)")
        for i in range(phnum):
            entry = struct.unpack_from(ph_fmt, table, i * phentsize)
            if wide:
                p_type, _p_flags, p_offset, _vaddr, _paddr, p_filesz = entry[:6]
            else:
                p_type, p_offset, _vaddr, _paddr, p_filesz = entry[:5]
            if p_offset + p_filesz > size:
                return (f"segment {i} ends at byte {p_offset + p_filesz}, past the end of the "
                        f"file ({size} bytes)")
    if shoff:
        end = shoff + shnum * shentsize
        if end > size:
            return (f"its section header table ends at byte {end}, past the end of the file "
                    f"({size} bytes)")
    return None
