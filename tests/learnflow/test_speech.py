"""learnflow.speech on the real espeak-ng (installed by `learnflow bootstrap`)."""

from __future__ import annotations

import io
import shutil
import wave
from pathlib import Path

import pytest

from learnflow.errors import InvalidInput, Unavailable
from learnflow.speech import Speaker, is_wav


def _seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        return w.getnframes() / w.getframerate()


@pytest.fixture
def speaker(tmp_path: Path) -> Speaker:
    assert shutil.which("espeak-ng"), "espeak-ng missing: `learnflow bootstrap` installs it"
    return Speaker(engine="espeak-ng", cache_dir=tmp_path / "speech", timeout_s=20)


async def test_speaks_a_valid_wav(speaker: Speaker) -> None:
    data = await speaker.speak("Question one. Right. A list keeps its order.")
    assert is_wav(data)
    assert 1.0 < _seconds(data) < 20.0
    assert speaker.runs == 1


async def test_second_request_is_served_from_the_cache(speaker: Speaker) -> None:
    text = "Revisit the lesson on loops."
    first = await speaker.speak(text, voice="en-gb", speed_wpm=140)
    path = speaker.cache_path(text, "en-gb", 140)
    assert path.read_bytes() == first and speaker.runs == 1
    again = await speaker.speak(text, voice="en-gb", speed_wpm=140)
    assert again == first and speaker.runs == 1
    # the engine gone: the cached text is still served, anything else needs the engine
    speaker.engine = "no-such-espeak-ng"
    assert await speaker.speak(text, voice="en-gb", speed_wpm=140) == first
    with pytest.raises(Unavailable) as caught:
        await speaker.speak(text, voice="en-gb", speed_wpm=150)  # other speed: other key
    assert caught.value.status_code == 503 and "not installed" in caught.value.message
    assert speaker.runs == 1


async def test_hostile_text_is_spoken_never_run_or_parsed(speaker: Speaker, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for text in (
        f"$(touch {marker})",
        f"`touch {marker}`; touch {marker} && rm -rf /",
        "--help",
        "-v xx --version",
        "<speak>not markup</speak>",
    ):
        data = await speaker.speak(text)
        assert is_wav(data), text  # --help/--version would print text, not a WAV
        assert _seconds(data) > 0.5, text  # it was read aloud
    assert not marker.exists()
    assert speaker.runs == 5


async def test_bad_input_is_refused_before_the_engine_runs(speaker: Speaker) -> None:
    for kwargs, fragment in (
        ({"voice": "en-us; rm -rf /"}, "voice must be one of"),
        ({"speed_wpm": 5}, "words per minute"),
    ):
        with pytest.raises(InvalidInput) as caught:
            await speaker.speak("hello", **kwargs)  # type: ignore[arg-type]
        assert fragment in caught.value.message
    with pytest.raises(InvalidInput, match="no text"):
        await speaker.speak(" \x00 \n")
    with pytest.raises(InvalidInput, match="too long"):
        await speaker.speak("a" * (speaker.max_chars + 1))
    assert speaker.runs == 0


async def test_a_failing_engine_is_a_503_and_nothing_is_cached(
    speaker: Speaker, tmp_path: Path
) -> None:
    speaker.engine = "false"  # exits 1 with no output
    with pytest.raises(Unavailable, match="espeak-ng failed"):
        await speaker.speak("hello")
    slow = tmp_path / "slow-espeak"
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    slow.chmod(0o755)
    speaker.engine, speaker.timeout_s = str(slow), 0.3
    with pytest.raises(Unavailable, match=r"did not finish within 0\.3 s"):
        await speaker.speak("hello")
    assert not list(speaker.cache_dir.glob("*.wav"))


async def test_the_cache_is_bounded(speaker: Speaker) -> None:
    first = await speaker.speak("one")
    speaker.cache_max_bytes = len(first) + 10
    await speaker.speak("two two two")
    assert len(list(speaker.cache_dir.glob("*.wav"))) == 1
