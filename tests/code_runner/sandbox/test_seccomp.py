"""The seccomp filter as bytes (its effect is checked in test_abuse on the real sandbox)."""

from __future__ import annotations

import struct

import pytest

from code_runner.sandbox import seccomp


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_filter_is_a_valid_forward_only_program(machine: str) -> None:
    program = seccomp.build_filter(machine)
    assert len(program) % 8 == 0
    records = [struct.unpack("=HBBI", program[i : i + 8]) for i in range(0, len(program), 8)]
    assert len(records) < 4096  # BPF_MAXINSNS
    for index, (code, jt, jf, _k) in enumerate(records):
        if code & 0x07 == 0x05:  # jumps land inside the program
            assert index + 1 + max(jt, jf) < len(records)
    returns = {k for code, _jt, _jf, k in records if code == 0x06}
    # allow, EPERM, ENOSYS, ENOMEM, kill
    assert returns == {0x7FFF0000, 0x00050001, 0x00050026, 0x0005000C, 0x80000000}


def test_unknown_architectures_are_refused() -> None:
    assert not seccomp.supported("riscv64")
    with pytest.raises(ValueError, match="no seccomp syscall table"):
        seccomp.build_filter("riscv64")
