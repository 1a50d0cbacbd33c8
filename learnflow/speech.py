"""Text to speech with espeak-ng: WAV made on request, cached on disk by (voice, speed, text).

The text reaches espeak-ng on its standard input (`--stdin`), never on its command line: a text
such as `--help` or `$(rm -rf /)` is spoken, not parsed as an option nor run by a shell (there is
no shell: the process is exec'd with an argument list). SSML is off (no `-m`), so `<...>` is read
as text too. Each run has a time limit and the text a length limit; at most `max_parallel` runs
at once per process (the machine's cores are shared with everything else).

The cache is `<cache_dir>/speech/<sha256 of (voice, speed, text)>.wav`, written atomically (a
half-written file is never served); past `cache_max_bytes` the least recently used files go
(a hit refreshes a file's mtime).
`learnflow bootstrap` installs espeak-ng (learnflow.mesh.toolchain.ensure_espeak).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from learnflow.errors import InvalidInput, Unavailable

#: English voices espeak-ng ships (`espeak-ng --voices=en`); anything else is refused (422)
#: rather than handed to the engine.
VOICES = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029")
MIN_SPEED_WPM = 80
MAX_SPEED_WPM = 300
CACHE_FORMAT = "espeak-ng-wav-1"  # part of the cache key: bump when the output changes
MEDIA_TYPE = "audio/wav"


def is_wav(data: bytes) -> bool:
    """A RIFF/WAVE header (what espeak-ng --stdout writes)."""
    return len(data) > 44 and data[:4] == b"RIFF" and data[8:12] == b"WAVE"


def seal_wav(data: bytes) -> bytes:
    """Write the true sizes into the header. espeak-ng cannot seek its stdout, so it writes
    0x7ffff000 as the RIFF and data sizes: players would report a 13-hour duration."""
    out = bytearray(data)
    out[4:8] = (len(out) - 8).to_bytes(4, "little")
    offset = 12
    while offset + 8 <= len(out):
        chunk, size = (
            bytes(out[offset : offset + 4]),
            int.from_bytes(out[offset + 4 : offset + 8], "little"),
        )
        if chunk == b"data":
            out[offset + 4 : offset + 8] = (len(out) - offset - 8).to_bytes(4, "little")
            return bytes(out)
        offset += 8 + size + (size & 1)
    raise ValueError("no data chunk in the WAV")


@dataclass
class Speaker:
    """Makes and caches speech. One per process (the run counter and the limit are per object)."""

    engine: str
    cache_dir: Path
    timeout_s: float = 20.0
    max_chars: int = 6000
    max_parallel: int = 2
    cache_max_bytes: int = 256 * 1024**2
    #: espeak-ng runs so far (a cache hit does not count): what the tests observe
    runs: int = 0
    _slots: asyncio.Semaphore | None = field(default=None, repr=False)

    def cache_path(self, text: str, voice: str, speed_wpm: int) -> Path:
        key = json.dumps([CACHE_FORMAT, voice, speed_wpm, text], ensure_ascii=False)
        return self.cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()}.wav"

    def check(self, text: str, voice: str, speed_wpm: int) -> str:
        """The text as it will be spoken; InvalidInput (422) says what to fix."""
        if voice not in VOICES:
            raise InvalidInput(f"voice must be one of {', '.join(VOICES)} (got {voice!r})")
        if not MIN_SPEED_WPM <= speed_wpm <= MAX_SPEED_WPM:
            raise InvalidInput(
                f"speed must be {MIN_SPEED_WPM} to {MAX_SPEED_WPM} words per minute "
                f"(got {speed_wpm})"
            )
        # NUL and other control characters (but newlines and tabs) are dropped, not spoken
        cleaned = "".join(c for c in text if c in "\n\t" or c.isprintable()).strip()
        if not cleaned:
            raise InvalidInput("there is no text to speak")
        if len(cleaned) > self.max_chars:
            raise InvalidInput(
                f"the text is too long to speak at once ({len(cleaned)} characters, the limit "
                f"is {self.max_chars}); ask for a shorter part"
            )
        return cleaned

    async def speak(self, text: str, *, voice: str = "en-us", speed_wpm: int = 160) -> bytes:
        """WAV bytes for `text`, from the cache when it was spoken before."""
        text = self.check(text, voice, speed_wpm)
        path = self.cache_path(text, voice, speed_wpm)
        cached = _read(path)
        if cached is not None:
            return cached
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_parallel)
        async with self._slots:
            cached = _read(path)  # another request may have made it while this one waited
            if cached is not None:
                return cached
            wav = await self._run(text, voice, speed_wpm)
            self._store(path, wav)
        return wav

    async def _run(self, text: str, voice: str, speed_wpm: int) -> bytes:
        engine = shutil.which(self.engine)
        if engine is None:
            raise Unavailable(
                f"speech is unavailable: {self.engine!r} is not installed on this server "
                "(`learnflow bootstrap` installs espeak-ng)",
                "espeak-ng",
            )
        self.runs += 1
        process = await asyncio.create_subprocess_exec(
            engine,
            "-v",
            voice,
            "-s",
            str(speed_wpm),
            "--stdout",
            "--stdin",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
        )
        try:
            out, err = await asyncio.wait_for(
                process.communicate(text.encode("utf-8")), self.timeout_s
            )
        except TimeoutError as exc:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            raise Unavailable(
                f"speech is unavailable: espeak-ng did not finish within {self.timeout_s:g} s",
                "espeak-ng",
            ) from exc
        if process.returncode != 0 or not is_wav(out):
            detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise Unavailable(
                f"speech is unavailable: espeak-ng failed (exit {process.returncode}: "
                f"{detail[0][:200]})",
                "espeak-ng",
            )
        try:
            return seal_wav(out)
        except ValueError as exc:
            raise Unavailable(
                "speech is unavailable: espeak-ng wrote a WAV without audio", "espeak-ng"
            ) from exc

    def _store(self, path: Path, wav: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.part")
        partial.write_bytes(wav)
        os.replace(partial, path)
        self._evict(keep=path)

    def _evict(self, keep: Path) -> None:
        files = []
        for path in self.cache_dir.glob("*.wav"):
            with contextlib.suppress(FileNotFoundError):  # another process evicted it
                files.append((path.stat(), path))
        total = sum(s.st_size for s, _ in files)
        for stat, path in sorted(files, key=lambda f: f[0].st_mtime):
            if total <= self.cache_max_bytes:
                break
            if path == keep:
                continue
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            total -= stat.st_size


def _read(path: Path) -> bytes | None:
    try:
        data = path.read_bytes()
        os.utime(path)  # recently used: evicted last
    except FileNotFoundError:
        return None
    return data if is_wav(data) else None
