"""The tutor's offline policy: what the built-in offline model does, deterministically.

Every turn starts with `session_status` (intent, current exercise, hints given, attached code).
Then, by what the learner asked:

- **an error** (a traceback, an error message, an error's name, a program that never ends) →
  `explain_error`: the exception, the line, the meaning, the likely cause in their code, a hint
  toward the fix and the lessons. A traceback is never reviewed as code.
- **exercise request** → `recommend_exercise` (matched to their level, topic and difficulty taken
  from the message) → `get_exercise` → the title, prompt, starter code and how to submit.
- **hint / "I'm stuck" / any push for the answer** → `get_hint` for the next rung of the current
  exercise's ladder (one rung per request). A push for the solution ("just give me the answer",
  "write it for me", "in pseudocode", "the first half"...) gets a short, kind refusal first.
  After the last rung: encouragement and an offer to review their code — never more.
- **code help / pasted code** → `review_code`, and with a current exercise `grade_submission`;
  the answer explains the first failing test in plain words, then the review.
- **submission** → `grade_submission` then `review_code`: pass/fail per test, then the review.
  No code attached → ask for it.

Answers are built only from tool results, which never contain tests or solutions, and are
labelled as the offline tutor's.
"""

from __future__ import annotations

import re
from typing import Any

from learnflow.llm.offline import Answer, CallTool, ToolResult, Transcript
from learnflow.llm.writing import Writing

from .error_help import parse_error, split_traceback
from .writing import RUNG_LABELS, error_writing, hint_writing, review_writing

__all__ = ["OFFLINE_LABEL", "TutorPolicy", "asks_for_hint", "presses_for_solution"]

OFFLINE_LABEL = "[offline tutor]"
_FOOTER = (
    "(I'm LearnFlow's offline tutor: this answer comes from the curriculum, its hints and the "
    "code runner, not from an AI model.)"
)

_SOLUTION_PRESSURE = re.compile(
    r"\b("
    r"answers?|solutions?|solve (it|this|that)|the (full|whole|complete|entire|final|working|"
    r"correct|finished|real) (code|program|function|version|thing)|"
    r"write (it|this|that|the (code|function|program|rest|solution))( for me)?|"
    r"(do|code|finish|complete|fix|write|solve) (it|this|that|(my|the) \w+)( \w+)? for me|"
    r"for me\b.*\bcode|"
    r"just (tell|give|show|send|paste|write)|give me the code|show me the code|"
    r"(corrected|fixed|finished|working|full|complete) (full )?(version|code|function|program)|"
    r"(show|give|print|paste|send|type) (me )?(the )?(full|whole|complete|entire|reference|"
    r"correct|working) |pseudo-?code|in (javascript|java|c\+\+|c#|c|ruby|go|rust|typescript|"
    r"php|english|plain english|words)|line by line|first (half|part|line|few lines)|"
    r"second (half|part)|rest of (it|the code|the function)|remaining (lines|part|code)|"
    r"fill in (the blanks|the rest|the dots|the \.\.\.)|copy.?paste|teacher (said|says|allowed)|"
    r"(pretend|imagine|act as|role.?play|you are now)|debug(ging)? purposes|"
    r"ignore (your|the|all|previous) (rules|instructions)|"
    r"developer mode|i (already )?(know|understand) (it|this|the concept)|last (hint|rung)"
    r")\b",
    re.I,
)
_HINT = re.compile(
    r"\b(hints?|clue|nudge|stuck|lost|confused|help( me)?|don'?t (get|understand|know)|"
    r"do not (get|understand|know)|no idea|how (do|should|can) i (start|begin|do|solve)|"
    r"where (do|should) i start|what (do|should) i do|next step|tip)\b",
    re.I,
)
_EXPLICIT_HINT = re.compile(r"\b(hints?|clues?|nudge|stuck)\b", re.I)
_EXERCISE = re.compile(
    r"\b(exercises?|practi[cs]e|challenges?|problems?|tasks?|puzzles?|drills?|"
    r"another one|next one|something (else|new|harder|easier)|one more|"
    r"(harder|easier|more difficult|simpler) one)\b",
    re.I,
)
_TOPIC = re.compile(
    r"\b(?:on|about|with|for|using|practi[cs]ing|covering)\s+([a-z][a-z0-9 \-]{2,60})", re.I
)
_TOPIC_STOP = re.compile(
    r"\b(please|pls|now|today|me|exercises?|problems?|practice|challenges?|thanks?|"
    r"easy|easier|medium|hard|harder|difficult|beginners?|level|one|an?|the)\b",
    re.I,
)
_HARDER = re.compile(r"\b(harder|more difficult|tougher|more challenging|level up)\b", re.I)
_EASIER = re.compile(r"\b(easier|simpler|less difficult|too hard)\b", re.I)
_LEVELS = ("easy", "medium", "hard")


def presses_for_solution(message: str) -> bool:
    """True when the message pushes for the answer rather than for help."""
    return bool(_SOLUTION_PRESSURE.search(message))


def asks_for_hint(message: str) -> bool:
    return bool(_HINT.search(message))


def _labelled(*parts: str) -> Answer:
    body = "\n\n".join(part.strip() for part in parts if part and part.strip())
    return Answer(f"{OFFLINE_LABEL} {body}\n\n{_FOOTER}")


def _topic_of(message: str) -> str:
    match = _TOPIC.search(message)
    if not match:
        return ""
    words = _TOPIC_STOP.sub(" ", match.group(1))
    return " ".join(words.split())


def _difficulty_of(message: str, status: dict[str, Any]) -> str:
    current = (status.get("current_exercise") or {}).get("difficulty")
    if current in _LEVELS:
        step = 1 if _HARDER.search(message) else -1 if _EASIER.search(message) else 0
        if step:
            return _LEVELS[max(0, min(2, _LEVELS.index(current) + step))]
    for level in _LEVELS:
        if re.search(rf"\b{level}\b", message, re.I):
            return level
    if _HARDER.search(message):
        return "hard"
    if _EASIER.search(message):
        return "easy"
    return ""


#: Answers from these tools stay the offline draft: a grade, an exercise statement.
_KEEP_DRAFT = ("grade_submission", "get_exercise", "recommend_exercise")


def _tool_json(transcript: Transcript, name: str) -> dict[str, Any] | None:
    """Tool `name`'s JSON object this turn; None when it was not called or returned an error."""
    found = transcript.result(name)
    data = found.json() if found is not None else None
    return data if isinstance(data, dict) and "error" not in data else None


def _code_block(code: str) -> str:
    return f"```python\n{code.rstrip()}\n```"


class TutorPolicy:
    """The offline tutor (see the module docstring)."""

    def next_step(self, transcript: Transcript) -> CallTool | Answer:
        found = transcript.result("session_status")
        if found is None:
            return CallTool("session_status")
        status = found.json() if isinstance(found.json(), dict) else {}
        message = transcript.user_message
        code = status.get("learner_code") or ""
        current = status.get("current_exercise")
        intent = status.get("intent") or ""
        # the learner's words, not a traceback's file name ("solution.py"), say what they want
        words = split_traceback(message)[1]
        if parse_error(message) is not None and not presses_for_solution(words):
            return self._explain_error(transcript, message, code, current)
        if code.strip():
            if intent == "submission":
                return self._submission(transcript, status, code)
            return self._code_help(transcript, status, code)
        if intent == "submission":
            return self._ask_for_code(current)
        pressed = presses_for_solution(message)
        named = status.get("mentioned_exercise")
        target = named or (current or {}).get("id")
        wants_exercise = intent == "exercise_request" or bool(_EXERCISE.search(message))
        if target and (pressed or _EXPLICIT_HINT.search(message)):
            return self._hint(transcript, status, target, pressed)
        if not target and not wants_exercise and (pressed or asks_for_hint(message)):
            return self._what_are_you_on(pressed)
        if wants_exercise or not current:
            return self._present(transcript, status, message, named)
        if asks_for_hint(message) or intent == "code_help":
            return self._hint(transcript, status, current["id"], pressed)
        return self._nudge(current)

    # --- what a real model may write instead (retrieve-then-write) ----------------------------
    def writing(self, transcript: Transcript, draft: Answer) -> Writing | None:
        """A hint, an error explanation or a code review (no tests run) for the model to write;
        None keeps `draft`: a grade (its numbers and pass/fail must not change), an exercise
        statement, a refusal or any push for the answer, a question back to the learner, the
        end of the hint ladder, a tool's error. Decided from this turn's tool results, the ones
        `next_step` answered from."""
        found = transcript.result("session_status")
        status = found.json() if found is not None else None
        if not isinstance(status, dict):
            return None
        message = transcript.user_message
        current = status.get("current_exercise")
        code = str(status.get("learner_code") or "")
        if any(transcript.result(name) is not None for name in _KEEP_DRAFT):
            return None
        explained = _tool_json(transcript, "explain_error")
        if explained is not None:
            # the learner's words, not a traceback's file name ("solution.py"), may push
            words = split_traceback(message)[1]
            if "text" not in explained or presses_for_solution(words):
                return None
            return error_writing(current, explained, words)
        if presses_for_solution(message):
            return None
        hint = _tool_json(transcript, "get_hint")
        if hint is not None:
            return hint_writing(hint, message) if hint.get("hint") else None
        review = _tool_json(transcript, "review_code")
        if review is not None and code.strip() and status.get("intent") != "submission":
            return review_writing(current, review, message)
        return None

    # --- errors -------------------------------------------------------------------------------
    @staticmethod
    def _explain_error(
        transcript: Transcript, message: str, code: str, current: dict[str, Any] | None
    ) -> CallTool | Answer:
        explained = transcript.result("explain_error")
        if explained is None:
            return CallTool("explain_error", {"error": message, "code": code})
        found = explained.json()
        if not isinstance(found, dict) or "error" in found:
            return _labelled("Paste the whole error message (the last lines of the traceback).")
        follow = (
            f"Try the hint on “{current.get('title')}”, run it again, and tell me what changed — "
            "or ask me for the next hint."
            if current
            else "Try that and run it again. What does it print now?"
        )
        if (
            found.get("line") is None
            and not code.strip()
            and found.get("exception") != "TimeoutError"
        ):
            follow = (
                "Paste the whole traceback (and your code) and I'll point at the exact line. "
                + follow
            )
        return _labelled(str(found["text"]), follow)

    # --- exercises ----------------------------------------------------------------------------
    def _present(
        self, transcript: Transcript, status: dict[str, Any], message: str, named: str | None
    ) -> CallTool | Answer:
        shown = transcript.result("get_exercise")
        if shown is not None:
            return self._presentation(shown, transcript.result("recommend_exercise"))
        if named:
            return CallTool("get_exercise", {"exercise_id": named})
        recommended = transcript.result("recommend_exercise")
        if recommended is None:
            current = status.get("current_exercise") or {}
            topic = _topic_of(message) or current.get("topic") or ""
            return CallTool(
                "recommend_exercise",
                {"topic": topic, "difficulty": _difficulty_of(message, status)},
            )
        data = recommended.json()
        exercises = data.get("exercises") if isinstance(data, dict) else None
        if not exercises:
            error = data.get("error") if isinstance(data, dict) else None
            return _labelled(
                f"I couldn't find an exercise for that{f' ({error})' if error else ''}. "
                "Try a topic such as loops, lists, dictionaries, functions, classes, files or "
                "errors."
            )
        return CallTool("get_exercise", {"exercise_id": exercises[0]["id"]})

    @staticmethod
    def _presentation(shown: ToolResult, recommended: ToolResult | None) -> Answer:
        exercise = shown.json()
        if not isinstance(exercise, dict) or "error" in exercise:
            error = exercise.get("error") if isinstance(exercise, dict) else str(exercise)
            return _labelled(f"I couldn't open that exercise: {error}")
        level_line = ""
        note = ""
        if recommended is not None and isinstance(recommended.json(), dict):
            rec = recommended.json()
            if rec.get("by_level"):
                level_line = (
                    f" Picked for your level on this topic ({rec.get('level')}: "
                    f"{' / '.join(rec.get('difficulties') or [])})."
                )
            else:
                level_line = " At the difficulty you asked for."
            note = rec.get("note") or ""
        return _labelled(
            f"Here's an exercise for you: **{exercise['title']}** "
            f"({exercise['difficulty']}, `{exercise['id']}`).{level_line}",
            note,
            exercise["prompt"],
            "Starter code:\n" + _code_block(exercise["starter"]),
            f"How to submit: {exercise['how_to_submit']}",
            "Before you type: what should your function return for the first example above?",
        )

    # --- hints --------------------------------------------------------------------------------
    def _hint(
        self, transcript: Transcript, status: dict[str, Any], exercise_id: str, pressed: bool
    ) -> CallTool | Answer:
        current = status.get("current_exercise") or {}
        is_current = current.get("id") == exercise_id
        given = int(status.get("hint_rung") or 0) if is_current else 0
        total = int(status.get("hint_rungs") or 3) if is_current else 3
        refusal = (
            "I won't give you the solution — not whole, in parts, as pseudocode or in another "
            "language. Working it out is how it sticks, and you can do this. Here's the next "
            "step instead."
            if pressed
            else ""
        )
        found = transcript.result("get_hint")
        if found is None:
            if is_current and given >= total:
                return self._ladder_done(current.get("title") or exercise_id, total, pressed)
            # For another exercise the rung reached is unknown here: ask high, the tool gives
            # the next rung only.
            wanted = given + 1 if is_current else total
            return CallTool("get_hint", {"exercise_id": exercise_id, "rung": wanted})
        hint = found.json()
        if not isinstance(hint, dict) or "error" in hint:
            error = hint.get("error") if isinstance(hint, dict) else str(hint)
            return _labelled(refusal, f"I couldn't fetch a hint: {error}")
        if not hint.get("hint"):
            return self._ladder_done(hint.get("title") or exercise_id, int(hint["of"]), pressed)
        question = {
            "nudge": "What do you think? Tell me your idea before you write code.",
            "concept": "How could you use that in your function? Try it on the first example.",
            "partial": "Fill in each `...` — which one will you start with, and why?",
        }.get(str(hint.get("level")), "What will you try next?")
        label = RUNG_LABELS.get(str(hint.get("level")), str(hint.get("level")))
        text = str(hint["hint"])
        body = _code_block(text) if hint.get("level") == "partial" else text
        return _labelled(
            refusal,
            f"Hint {hint['rung']} of {hint['of']} for “{hint['title']}” — {label}:",
            body,
            question,
        )

    @staticmethod
    def _ladder_done(title: str, total: int, pressed: bool) -> Answer:
        opening = (
            "I can't give you the answer, and you've already seen all "
            if pressed
            else "You've already seen all "
        )
        return _labelled(
            f"{opening}{total} hints for “{title}” — that's everything I can give without "
            "doing it for you, and you're closer than it feels.",
            "Paste your code, even half-finished, and I'll run the tests, explain the first "
            "failing one in plain words, and review it. Which part are you unsure about?",
        )

    @staticmethod
    def _what_are_you_on(pressed: bool) -> Answer:
        return _labelled(
            "I don't write solutions, but I'd love to help you get unstuck." if pressed else "",
            "What are you working on? Paste your code (even if it doesn't work) and I'll run "
            "it against the tests and review it — or ask me for an exercise and we'll go step "
            "by step, with hints one at a time.",
        )

    @staticmethod
    def _nudge(current: dict[str, Any]) -> Answer:
        return _labelled(
            f"You're working on “{current.get('title')}”. What have you tried so far, and what "
            "happened?",
            "Paste your code to have it tested and reviewed, ask for a hint (one rung at a "
            "time), or ask for a different exercise.",
        )

    @staticmethod
    def _ask_for_code(current: dict[str, Any] | None) -> Answer:
        what = f" for “{current.get('title')}”" if current else ""
        return _labelled(
            f"I'd love to check your work{what}, but I don't see any code in your message. "
            "Paste it (or submit it from the editor) and I'll run the hidden tests and review it."
        )

    # --- code ---------------------------------------------------------------------------------
    @staticmethod
    def _grade_step(
        transcript: Transcript, status: dict[str, Any], code: str
    ) -> CallTool | ToolResult | None:
        current = status.get("current_exercise")
        if not current or not status.get("can_grade"):
            return None
        graded = transcript.result("grade_submission")
        if graded is None:
            return CallTool("grade_submission", {"exercise_id": current["id"], "code": code})
        return graded

    def _code_help(
        self, transcript: Transcript, status: dict[str, Any], code: str
    ) -> CallTool | Answer:
        reviewed = transcript.result("review_code")
        if reviewed is None:
            return CallTool("review_code", {"code": code})
        graded = self._grade_step(transcript, status, code)
        if isinstance(graded, CallTool):
            return graded
        pressed = presses_for_solution(transcript.user_message)
        parts = []
        if pressed:
            parts.append(
                "I won't rewrite it into the solution for you, but let's find what's wrong "
                "together."
            )
        if graded is not None:
            parts.append(self._grade_explanation(graded, detailed=False))
        review = reviewed.json()
        parts.append(
            "Code review — " + str(review.get("text") if isinstance(review, dict) else review)
        )
        result = graded.json() if graded is not None else None
        failing = isinstance(result, dict) and result.get("passed") is False
        parts.append(
            "Start with the first failing test: what does your code return for that input, and "
            "what should it return? Ask for a hint if you're stuck."
            if failing
            else "What would you like to improve next?"
        )
        return _labelled(*parts)

    def _submission(
        self, transcript: Transcript, status: dict[str, Any], code: str
    ) -> CallTool | Answer:
        graded = self._grade_step(transcript, status, code)
        if isinstance(graded, CallTool):
            return graded
        reviewed = transcript.result("review_code")
        if reviewed is None:
            return CallTool("review_code", {"code": code})
        review = reviewed.json()
        review_text = str(review.get("text") if isinstance(review, dict) else review)
        if graded is None:
            return _labelled(
                "You don't have a current exercise, so there are no tests to run — ask me for "
                "an exercise first. Here's a review of your code meanwhile.",
                "Code review — " + review_text,
            )
        return _labelled(
            self._grade_explanation(graded, detailed=True),
            "Code review — " + review_text,
        )

    @staticmethod
    def _grade_explanation(graded: ToolResult, *, detailed: bool) -> str:
        result = graded.json()
        if not isinstance(result, dict) or "error" in result:
            error = result.get("error") if isinstance(result, dict) else str(result)
            return f"I couldn't run the tests: {error}"
        title = result.get("title") or result.get("exercise_id")
        if result.get("passed"):
            return (
                f"All {result['tests_total']} tests pass for “{title}” — well done! "
                "Read the review below: correct code can still get clearer."
            )
        lines = [f"Tests for “{title}”: {result['summary']}."]
        tests = result.get("tests") or []
        if detailed and tests:
            for test in tests:
                mark = "✓" if test["status"] == "pass" else "✗"
                explanation = "" if test["status"] == "pass" else f" — {test['explanation']}"
                lines.append(f"{mark} {test['name']}{explanation}")
            lines.append(
                "Start with the first ✗: what does your code give for that case, and what "
                "should it give?"
            )
        else:
            lines.append(str(result["explanation"]))
        return "\n".join(lines)
