"""Retrieve-then-write: the agent's offline policy makes every tool call, a real model writes.

A small local model (SmolLM2-135M behind llama.cpp's server) cannot drive tools, but it can
rephrase a lesson for a beginner. `GroundedModel` is the Agents SDK `Model` for that split
(`Settings.llm_tool_calls` off): each step is the offline model's (`OfflineModel`, composed, not
copied), so tool calls are exactly the offline ones; when the policy answers, a `WritingPolicy`
says what the writer model should write instead (`learnflow.llm.writing.Writing`), and the answer
is what the writer wrote plus the policy's `tail` (sources, check question), which never depends
on the model. A policy without `writing()`, or one that returns `None`, answers with its draft.

The writer can fail in every way a small model on a shared machine does: refuse the connection,
take too long, stall mid-answer, write nothing or loop on one word. None of those reaches the
learner as an error: every wait on the writer is bounded (`answer_timeout_s` for the whole
answer, `stall_s` between two tokens once it has started), and a failure gives the offline
draft with one line saying why — or, once part of a streamed answer has been shown, a notice and
the draft after it, so the final output is always exactly the text that was streamed. A written
answer cut off by `max_tokens` is closed (`closing`) before the tail, so an open code block does
not swallow the sources; one that starts repeating a sentence, or saying its request back, is
stopped there (`repeated_sentence`: a whole answer before it, a stream right after it).

The writer is always asked for a streamed answer, even for a whole one (`get_response` collects
it): a stream given up on closes its connection, which is what makes a model server stop
generating for a learner who will never read the rest.

Who wrote the answer is marked on it, because the learner is told (`learnflow.llm.authorship`):
the final response of an answer the writer wrote — its text, cut or closed, plus the tail — has
a `response_id` starting with `WRITTEN_ID_PREFIX` (`model_wrote`); drafts, fallbacks and an
answer broken mid-stream (its notice and the draft after it) have none. The mark is the
response's id, not the message's, because a streamed message's id is sent with its first token,
before the answer's fate is known; the SDK keeps the id of the `response.completed` event's
response in `RunResult.raw_responses`, as it keeps a whole answer's `ModelResponse`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2
import openai
from agents import Model, ModelResponse, ModelSettings, ModelTracing, Tool, Usage
from agents.agent_output import AgentOutputSchemaBase
from agents.handoffs import Handoff
from agents.items import TResponseInputItem, TResponseStreamEvent
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)

from learnflow.llm.offline import Answer, CallTool, OfflineModel, OfflinePolicy, read_transcript
from learnflow.llm.writing import Writing, WritingPolicy

__all__ = [
    "WRITTEN_ID_PREFIX",
    "GroundedModel",
    "closing",
    "model_wrote",
    "repeated_sentence",
    "unusable",
]

log = logging.getLogger(__name__)

GROUNDED_MODEL_NAME = "learnflow-grounded"
#: Low, not zero: a tiny model at temperature 0 falls into loops more easily.
TEMPERATURE = 0.2

NOTE_TIMEOUT = "_The AI model did not answer in time; this is the offline tutor's answer._"
NOTE_ERROR = "_The AI model could not answer (an error); this is the offline tutor's answer._"
NOTE_UNUSABLE = "_The AI model's answer was not usable; this is the offline tutor's answer._"
STOPPED_MID_ANSWER = (
    "\n\n_(The AI model stopped mid-answer.) Here is the offline tutor's answer:_\n\n"
)
UNUSABLE_AFTER = (
    "\n\n_(The AI model's answer was not usable.) Here is the offline tutor's answer:_\n\n"
)

#: `unusable`: from this many words on, one word making up more than half of them is a loop.
REPEAT_MIN_WORDS = 8

#: The start of the `response_id` of an answer the writer model wrote (`model_wrote`).
WRITTEN_ID_PREFIX = "resp_grounded_written_"

_ids = itertools.count(1)


def model_wrote(response: ModelResponse) -> bool:
    """Whether `response` is a `GroundedModel` answer the writer model wrote (module docstring):
    false for a draft, a fallback, a tool call, and any other model's response."""
    return (response.response_id or "").startswith(WRITTEN_ID_PREFIX)


def _response_id(*, written: bool) -> str:
    return f"{WRITTEN_ID_PREFIX if written else 'resp_grounded_'}{next(_ids)}"


def unusable(text: str) -> str | None:
    """Why a written answer cannot be shown, else `None`.

    Deliberately simple: empty; no letter at all (punctuation, digits, stray tokens); or, with
    at least `REPEAT_MIN_WORDS` words, one word (case-folded) making up more than half of them —
    the way a small model stuck on one token fails. Anything else is the model's answer.
    """
    if not text.strip():
        return "empty"
    if not any(char.isalpha() for char in text):
        return "no letters"
    words = text.casefold().split()
    if len(words) >= REPEAT_MIN_WORDS:
        _, count = Counter(words).most_common(1)[0]
        if 2 * count > len(words):
            return "one word repeated"
    return None


#: `repeated_sentence`: a sentence this long said a second time is a loop, not emphasis.
LOOP_SENTENCE_CHARS = 24
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def repeated_sentence(text: str, said: frozenset[str] = frozenset()) -> int | None:
    """Where the first complete sentence that repeats an earlier one, or one of `said`, starts;
    else `None`.

    Small models loop by sentences more than by words ("Think of it as a big box..." twice), and
    echo their request back ("Use 2 to 4 short sentences."): the written answer stops there.
    Only sentences of `LOOP_SENTENCE_CHARS` characters or more count, and code lines (inside
    fences) never do.
    """
    seen = set(said)
    in_code = False
    start = 0
    for boundary in _SENTENCE_END.finditer(text):
        sentence, at, start = text[start : boundary.start()].strip(), start, boundary.end()
        if sentence.startswith("```"):
            in_code = not in_code
        elif not in_code and len(sentence) >= LOOP_SENTENCE_CHARS:
            if sentence in seen:
                return at
            seen.add(sentence)
    return None


def requested(writing: Writing) -> frozenset[str]:
    """The sentences a writer must not say back: its instructions and the request that ends its
    prompt (the last paragraph)."""
    request = writing.prompt.rsplit("\n\n", 1)[-1]
    return frozenset(
        sentence.strip()
        for text in (writing.instructions, request)
        for sentence in _SENTENCE_END.split(text)
        if len(sentence.strip()) >= LOOP_SENTENCE_CHARS
    )


def closing(text: str) -> str:
    """What follows a written answer before its tail: a closing code fence when the model
    stopped inside a code block (at `max_tokens`: the tail would render as code), or " …" when
    it stopped mid-sentence; else nothing."""
    fences = sum(1 for line in text.splitlines() if line.lstrip().startswith("```"))
    if fences % 2:
        return "\n```"
    if text[-1:].isalnum() or text[-1:] in ",;(":
        return " …"
    return ""


def paragraph(tail: str) -> str:
    """The tail as a paragraph of its own after the written text: a tail that does not begin
    with a line break gets a blank line before it (a hint's "Hint 1 of 3 …" once ran on from
    the model's last word)."""
    return tail if not tail or tail[0] in "\n" else f"\n\n{tail}"


class _Failed(Exception):
    """The writer gave no usable answer: `why` goes to the log; `note` to the learner before the
    draft, or `notice` between what was already streamed and the draft."""

    def __init__(self, why: str, note: str, notice: str = STOPPED_MID_ANSWER) -> None:
        super().__init__(why)
        self.why, self.note, self.notice = why, note, notice


def _failure(exc: BaseException) -> _Failed:
    # httpx2: the HTTP library the installed OpenAI client runs on (learnflow.llm.whole_streams)
    if isinstance(exc, TimeoutError | openai.APITimeoutError | httpx2.TimeoutException):
        return _Failed(f"timed out ({type(exc).__name__})", NOTE_TIMEOUT)
    return _Failed(f"failed ({type(exc).__name__})", NOTE_ERROR)


def _warn(failed: _Failed, started: float) -> None:
    # Never the learner's text or the model's: the reason and the time are what an operator needs.
    log.warning(
        "grounded answer: the writer model %s after %.1f s; the offline answer is used",
        failed.why,
        time.monotonic() - started,
    )


def _usage(response: Response) -> Usage:
    """A streamed answer's usage as a whole answer reports it (none: the writer sent none)."""
    used = response.usage
    if used is None:
        return Usage()
    return Usage(
        requests=1,
        input_tokens=used.input_tokens,
        output_tokens=used.output_tokens,
        total_tokens=used.total_tokens,
        input_tokens_details=used.input_tokens_details,
        output_tokens_details=used.output_tokens_details,
    )


class _Message:
    """The message a written answer streams as: its events, numbered, and its text so far."""

    def __init__(self) -> None:
        self.id = f"msg_grounded_{next(_ids)}"
        self.text = ""
        self.started = False
        self._numbers = itertools.count()

    def start(self) -> Iterator[TResponseStreamEvent]:
        self.started = True
        yield ResponseOutputItemAddedEvent(
            type="response.output_item.added",
            item=self._item("in_progress", []),
            output_index=0,
            sequence_number=next(self._numbers),
        )
        yield ResponseContentPartAddedEvent(
            type="response.content_part.added",
            item_id=self.id,
            output_index=0,
            content_index=0,
            part=ResponseOutputText(type="output_text", text="", annotations=[]),
            sequence_number=next(self._numbers),
        )

    def delta(
        self, text: str, like: ResponseTextDeltaEvent | None = None
    ) -> ResponseTextDeltaEvent:
        """`text` as the next delta (`like`: the writer's event it passes on, logprobs kept)."""
        self.text += text
        fields: dict[str, Any] = {
            "item_id": self.id,
            "output_index": 0,
            "content_index": 0,
            "delta": text,
            "sequence_number": next(self._numbers),
        }
        if like is not None:
            return like.model_copy(update=fields)
        return ResponseTextDeltaEvent(type="response.output_text.delta", logprobs=[], **fields)

    def rewrite(self, text: str) -> None:
        """Make `text` the message's text, in an answer nobody watches (`get_response`: its
        deltas go nowhere): only the completed response, which `finish` builds from it, counts."""
        self.text = text

    def finish(
        self, completed: Response | None, *, written: bool
    ) -> Iterator[TResponseStreamEvent]:
        """The closing events; the completed response (the writer's, for its usage and model
        name, when it sent one) holds this message and nothing else, so the run's final output
        is exactly the streamed text. Its id is ours, marked when the writer `written` it all
        (`model_wrote`)."""
        part = ResponseOutputText(type="output_text", text=self.text, annotations=[])
        item = self._item("completed", [part])
        yield ResponseTextDoneEvent(
            type="response.output_text.done",
            item_id=self.id,
            output_index=0,
            content_index=0,
            text=self.text,
            logprobs=[],
            sequence_number=next(self._numbers),
        )
        yield ResponseContentPartDoneEvent(
            type="response.content_part.done",
            item_id=self.id,
            output_index=0,
            content_index=0,
            part=part,
            sequence_number=next(self._numbers),
        )
        yield ResponseOutputItemDoneEvent(
            type="response.output_item.done",
            item=item,
            output_index=0,
            sequence_number=next(self._numbers),
        )
        if completed is None:
            completed = Response(
                id="",
                created_at=time.time(),
                model=GROUNDED_MODEL_NAME,
                object="response",
                output=[],
                parallel_tool_calls=False,
                tool_choice="auto",
                tools=[],
                status="completed",
            )
        yield ResponseCompletedEvent(
            type="response.completed",
            response=completed.model_copy(
                update={
                    "id": _response_id(written=written),
                    "output": [item],
                    "status": "completed",
                }
            ),
            sequence_number=next(self._numbers),
        )

    def _item(self, status: Any, content: list[Any]) -> ResponseOutputMessage:
        return ResponseOutputMessage(
            id=self.id, role="assistant", status=status, type="message", content=content
        )


class GroundedModel(Model):
    """The offline policy's steps, with the final answer written by `writer` (module docstring).

    `answer_timeout_s` bounds the whole written answer; `stall_s` the wait for each token once
    the streamed answer has started; `stream_pause_s` paces offline answers as `OfflineModel`
    does. Answers with a structured output type are never handed to the writer.
    """

    def __init__(
        self,
        policy: OfflinePolicy,
        writer: Model,
        *,
        answer_timeout_s: float = 30.0,
        stall_s: float = 10.0,
        stream_pause_s: float = 0.0,
    ) -> None:
        self.offline = OfflineModel(policy, stream_pause_s=stream_pause_s)
        self.writer = writer
        self.answer_timeout_s = answer_timeout_s
        self.stall_s = stall_s

    def _plan(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
    ) -> tuple[CallTool | Answer, Writing | None]:
        """The offline step, and what the writer should write instead when it is an answer."""
        transcript = read_transcript(system_instructions, input, tools)
        step = self.offline.step(transcript)
        policy = self.offline.policy
        if isinstance(step, CallTool) or not isinstance(policy, WritingPolicy):
            return step, None
        if output_schema is not None and not output_schema.is_plain_text():
            return step, None  # a structured output is the policy's to build, not the model's
        return step, policy.writing(transcript, step)

    @staticmethod
    def _writer_input(writing: Writing) -> tuple[list[TResponseInputItem], ModelSettings]:
        """The writer's input (the material, as the user's message) and its settings."""
        message: TResponseInputItem = {"role": "user", "content": writing.prompt}
        settings = ModelSettings(max_tokens=writing.max_tokens, temperature=TEMPERATURE)
        return [message], settings

    # --- whole answers ---------------------------------------------------------------------

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: Any | None,
    ) -> ModelResponse:
        """The answer, whole. The writer is asked for a streamed answer all the same, collected
        here: giving up on a stream (a timeout) closes its HTTP connection, and llama.cpp's
        server stops generating for a client that left — a whole (non-streamed) request it would
        finish anyway, holding the single-threaded model while the next learner waits."""
        step, writing = self._plan(system_instructions, input, tools, output_schema)
        if writing is None:
            return self.offline.respond(step)
        assert isinstance(step, Answer)  # a tool call is never written
        completed: Response | None = None
        async for event in self._stream_written(writing, step, tracing, watched=False):
            if isinstance(event, ResponseCompletedEvent):
                completed = event.response
        assert completed is not None  # an answer nobody watches always ends completed
        return ModelResponse(
            output=list(completed.output), usage=_usage(completed), response_id=completed.id
        )

    # --- streamed answers ------------------------------------------------------------------

    async def stream_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: Any | None,
    ) -> AsyncIterator[TResponseStreamEvent]:
        step, writing = self._plan(system_instructions, input, tools, output_schema)
        if writing is None:
            async for event in self.offline.stream(step):
                yield event
            return
        assert isinstance(step, Answer)
        async for event in self._stream_written(writing, step, tracing):
            yield event

    async def _stream_written(
        self, writing: Writing, draft: Answer, tracing: ModelTracing, *, watched: bool = True
    ) -> AsyncIterator[TResponseStreamEvent]:
        """The writer's tokens as they come (leading and trailing whitespace held back, so the
        text is the stripped answer), then the tail; on a failure, the fallback (module
        docstring).

        Not `watched` (a whole answer, `get_response`), no delta is shown to anyone, so the
        answer can take words back: it stops before a repeated sentence rather than after it,
        and a failure gives the draft with its note alone, the writer's words dropped. It
        always ends with a `response.completed` event holding the whole answer."""
        started = time.monotonic()
        deadline = started + self.answer_timeout_s
        input, settings = self._writer_input(writing)
        stream = self.writer.stream_response(
            writing.instructions,
            input,
            settings,
            [],
            None,
            [],
            tracing,
            previous_response_id=None,
            conversation_id=None,
            prompt=None,
        )
        message = _Message()
        said = requested(writing)
        held = ""  # whitespace not shown yet: shown only if more text follows
        completed: Response | None = None
        failed: _Failed | None = None
        try:
            while True:
                try:
                    event = await self._next(stream, deadline, mid_answer=message.started)
                except StopAsyncIteration:
                    break
                except _Failed as exc:
                    failed = exc
                    break
                if isinstance(event, ResponseCompletedEvent):
                    completed = event.response
                    break
                if not isinstance(event, ResponseTextDeltaEvent):
                    continue  # the writer's own framing: this message is framed by `_Message`
                text = held + event.delta
                if not message.started:
                    text = text.lstrip()
                shown = text.rstrip()
                held = text[len(shown) :]
                if not shown:
                    continue
                if not message.started:
                    for framing in message.start():
                        yield framing
                yield message.delta(shown, like=event)
                loop = repeated_sentence(message.text + held, said)
                if loop is not None:  # a loop or an echo: the writer is stopped
                    if not watched:  # unseen, so it can stop before the repetition
                        message.rewrite(message.text[:loop].rstrip())
                    break
        finally:
            await self._close(stream)
        if failed is None:
            why = unusable(message.text)
            if why is not None:
                failed = _Failed(why, NOTE_UNUSABLE, UNUSABLE_AFTER)
        if failed is None:
            ending = closing(message.text) + paragraph(writing.tail)
            if ending:
                yield message.delta(ending)
        else:
            _warn(failed, started)
            fallback = f"{failed.note}\n\n{draft.text}"
            if not watched:
                message.rewrite(fallback)
            elif not message.started:
                async for event in self.offline.stream(Answer(fallback)):
                    yield event
                return
            else:
                yield message.delta(closing(message.text) + failed.notice + draft.text)
        for event in message.finish(completed, written=failed is None):
            yield event

    async def _next(
        self, stream: AsyncIterator[TResponseStreamEvent], deadline: float, *, mid_answer: bool
    ) -> TResponseStreamEvent:
        """The writer's next event, within the answer's deadline and, mid-answer, `stall_s`."""
        left = deadline - time.monotonic()
        stall = mid_answer and self.stall_s < left
        limit = self.stall_s if stall else left
        try:
            if limit <= 0:
                raise TimeoutError
            async with asyncio.timeout(limit):
                return await anext(stream)
        except StopAsyncIteration:
            raise
        except TimeoutError as exc:
            if stall:
                raise _Failed(f"stalled (no token for {self.stall_s:g} s)", NOTE_TIMEOUT) from exc
            raise _failure(exc) from exc
        except Exception as exc:
            raise _failure(exc) from exc

    async def _close(self, stream: AsyncIterator[TResponseStreamEvent]) -> None:
        """Close the writer's stream (its HTTP response), without waiting on it for long."""
        aclose = getattr(stream, "aclose", None)
        if aclose is None:
            return
        try:
            async with asyncio.timeout(min(self.stall_s, 1.0)):
                await aclose()
        except Exception as exc:  # the answer is decided; a stream that will not close is logged
            log.debug("grounded answer: closing the writer's stream: %s", type(exc).__name__)
