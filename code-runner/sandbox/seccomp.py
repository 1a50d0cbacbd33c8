"""A seccomp-BPF filter for the bwrap backend (`bwrap --seccomp FD`), built without libseccomp.

It denies (EPERM) what learner code never needs and what kernel exploits like to reach: ptrace,
pidfd_getfd, namespaces and mounts, kernel keyrings, bpf, perf, userfaultfd, io_uring, module
loading, memfd_create; every socket family except AF_UNIX (a second wall behind the empty network
namespace); clone() with any namespace flag. Shared memory (SysV shmget, MAP_SHARED|MAP_ANONYMOUS
mmaps) is refused with ENOMEM: RLIMIT_DATA, the memory limit, does not count it. clone3 answers
ENOSYS so the C library falls back to clone(), whose flags a filter can see (Docker's default
profile does the same). Other architectures are killed.
Numbers come from the kernel's unistd tables (x86_64: asm/unistd_64.h, aarch64: asm-generic).
"""

from __future__ import annotations

import errno
import platform
import struct

_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06

_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_RET_KILL_PROCESS = 0x80000000

_OFFSET_NR = 0
_OFFSET_ARCH = 4
_OFFSET_ARG0 = 16  # low 32 bits of args[0] on little-endian machines
_OFFSET_ARG3 = 40  # low 32 bits of args[3] (mmap's flags)
_MAP_SHARED = 0x01  # also set in MAP_SHARED_VALIDATE (0x03)
_MAP_ANONYMOUS = 0x20

_AF_UNIX = 1
_CLONE_NAMESPACE_FLAGS = 0x7E020000  # NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
_X32_SYSCALL_BIT = 0x40000000

# name, x86_64 number, aarch64 number; the first group is denied outright.
_SYSCALL_TABLE = """
ptrace              101  117
process_vm_readv    310  270
process_vm_writev   311  271
kexec_load          246  104
kexec_file_load     320  294
bpf                 321  280
perf_event_open     298  241
userfaultfd         323  282
io_uring_setup      425  425
io_uring_enter      426  426
io_uring_register   427  427
keyctl              250  219
add_key             248  217
request_key         249  218
mount               165   40
umount2             166   39
pivot_root          155   41
unshare             272   97
setns               308  268
swapon              167  224
swapoff             168  225
reboot              169  142
init_module         175  105
finit_module        313  273
delete_module       176  106
acct                163   89
personality         135   92
name_to_handle_at   303  264
open_by_handle_at   304  265
fanotify_init       300  262
lookup_dcookie      212   18
move_mount          429  429
open_tree           428  428
fsopen              430  430
fsconfig            431  431
fsmount             432  432
fspick              433  433
mount_setattr       442  442
pidfd_getfd         438  438
memfd_create        319  279
clone3              435  435
clone                56  220
socket               41  198
mmap                  9  222
shmget               29  194
"""
_ROWS = [line.split() for line in _SYSCALL_TABLE.strip().splitlines()]
_SPECIAL = ("clone3", "clone", "socket", "mmap", "shmget")
_DENIED = [row[0] for row in _ROWS if row[0] not in _SPECIAL]
_TABLES: dict[str, tuple[int, dict[str, int]]] = {
    "x86_64": (0xC000003E, {row[0]: int(row[1]) for row in _ROWS}),
    "aarch64": (0xC00000B7, {row[0]: int(row[2]) for row in _ROWS}),
}


def supported(machine: str | None = None) -> bool:
    return (machine or platform.machine()) in _TABLES


def build_filter(machine: str | None = None) -> bytes:
    """The filter as raw `struct sock_filter` records, the format `bwrap --seccomp` reads."""
    machine = machine or platform.machine()
    if machine not in _TABLES:
        raise ValueError(f"no seccomp syscall table for {machine!r}")
    arch, numbers = _TABLES[machine]
    program: list[tuple[int, str | int, str | int, int]] = []

    def op(code: int, k: int, jt: str | int = 0, jf: str | int = 0) -> None:
        program.append((code, jt, jf, k))

    op(_LD_W_ABS, _OFFSET_ARCH)
    op(_JEQ_K, arch, 0, "kill")
    op(_LD_W_ABS, _OFFSET_NR)
    if machine == "x86_64":
        op(_JGE_K, _X32_SYSCALL_BIT, "eperm", 0)
    for name in _DENIED:
        op(_JEQ_K, numbers[name], "eperm", 0)
    op(_JEQ_K, numbers["clone3"], "enosys", 0)
    op(_JEQ_K, numbers["clone"], "clone", 0)
    op(_JEQ_K, numbers["socket"], "socket", 0)
    op(_JEQ_K, numbers["mmap"], "mmap", 0)
    op(_JEQ_K, numbers["shmget"], "enomem", 0)
    op(_RET_K, _RET_ALLOW)
    labels: dict[str, int] = {"mmap": len(program)}
    # shared anonymous memory is not counted by RLIMIT_DATA (the memory limit): refuse it the
    # way the limit would
    op(_LD_W_ABS, _OFFSET_ARG3)
    op(_JSET_K, _MAP_ANONYMOUS, 0, "allow")
    op(_JSET_K, _MAP_SHARED, "enomem", "allow")
    labels["clone"] = len(program)
    op(_LD_W_ABS, _OFFSET_ARG0)
    op(_JSET_K, _CLONE_NAMESPACE_FLAGS, "eperm", "allow")
    labels["socket"] = len(program)
    op(_LD_W_ABS, _OFFSET_ARG0)
    op(_JEQ_K, _AF_UNIX, "allow", "eperm")
    labels["allow"] = len(program)
    op(_RET_K, _RET_ALLOW)
    labels["eperm"] = len(program)
    op(_RET_K, _RET_ERRNO | errno.EPERM)
    labels["enosys"] = len(program)
    op(_RET_K, _RET_ERRNO | errno.ENOSYS)
    labels["enomem"] = len(program)
    op(_RET_K, _RET_ERRNO | errno.ENOMEM)
    labels["kill"] = len(program)
    op(_RET_K, _RET_KILL_PROCESS)

    out = bytearray()
    for index, (code, jt, jf, k) in enumerate(program):
        jumps = []
        for target in (jt, jf):
            offset = target if isinstance(target, int) else labels[target] - index - 1
            if not 0 <= offset <= 255:  # BPF jumps only forward, at most 255 instructions
                raise ValueError(f"seccomp jump out of range at {index}")
            jumps.append(offset)
        out += struct.pack("=HBBI", code, jumps[0], jumps[1], k)
    return bytes(out)
