"""Timed exams at the edge: the paper a student sees, the debrief after, the teacher's figures.

Pure functions over the curriculum and the stored results (the routes do the I/O). The paper
never carries an answer; the debrief says what was right, why, and which lesson to revisit.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from learnflow.curriculum import load_catalog
from learnflow.curriculum.models import QuizQuestion
from learnflow.db.repos.exams import Exam, ExamItem, ItemResult
from learnflow.errors import InvalidInput, NotFound


class Revisit(BaseModel):
    lesson_id: str
    title: str
    module: str


class PaperItem(BaseModel):
    position: int
    id: str
    kind: str
    title: str
    prompt: str
    choices: list[str] = []
    starter: str | None = None


class DebriefItem(BaseModel):
    position: int
    id: str
    kind: str
    title: str
    prompt: str
    answered: bool
    correct: bool
    your_answer: str | None
    right_answer: str | None
    why: str
    revisit: Revisit


def _question(question_id: str) -> QuizQuestion:
    for question in load_catalog().quiz_questions:
        if question.id == question_id:
            return question
    raise NotFound(f"no quiz question {question_id!r} in the curriculum")


def check_items(items: list[ExamItem]) -> None:
    """422 for an unknown or repeated item: the message names it."""
    seen: set[str] = set()
    catalog = load_catalog()
    for item in items:
        if item.id in seen:
            raise InvalidInput(f"{item.id!r} is in the exam twice; list each item once")
        seen.add(item.id)
        try:
            if item.kind == "quiz":
                _question(item.id)
            else:
                catalog.exercise(item.id)
        except NotFound as exc:
            raise InvalidInput(
                f"{exc.message}: exams take quiz questions from the module banks and "
                "curriculum exercises (GET /exams/bank lists them)"
            ) from None


def bank() -> dict[str, Any]:
    """What a teacher can put in an exam, per module."""
    catalog = load_catalog()
    modules = []
    for module_id in catalog.module_ids:
        try:
            module = catalog.module(module_id)
        except NotFound:
            continue
        quiz = next((z for z in catalog.quizzes if z.module == module_id), None)
        questions = [
            {"id": q.id, "prompt": q.prompt, "lesson": q.lesson}
            for q in (quiz.questions if quiz else ())
        ]
        exercises = [
            {"id": e.id, "title": e.title, "difficulty": str(e.difficulty)}
            for e in catalog.exercises
            if e.module == module_id
        ]
        modules.append(
            {"id": module_id, "title": module.title, "quiz": questions, "exercises": exercises}
        )
    return {"modules": modules}


def paper(exam: Exam) -> list[PaperItem]:
    catalog = load_catalog()
    out = []
    for position, item in enumerate(exam.items):
        if item.kind == "quiz":
            q = _question(item.id)
            out.append(
                PaperItem(
                    position=position,
                    id=item.id,
                    kind="quiz",
                    title=f"Question {position + 1}",
                    prompt=q.prompt,
                    choices=list(q.choices),
                )
            )
        else:
            e = catalog.exercise(item.id)
            out.append(
                PaperItem(
                    position=position,
                    id=item.id,
                    kind="exercise",
                    title=e.title,
                    prompt=e.prompt,
                    starter=e.starter,
                )
            )
    return out


def _revisit(lesson_id: str) -> Revisit:
    lesson = load_catalog().lesson(lesson_id)
    return Revisit(lesson_id=lesson.id, title=lesson.title, module=lesson.module)


def debrief(exam: Exam, results: list[ItemResult]) -> list[DebriefItem]:
    catalog = load_catalog()
    by_id = {r.item_id: r for r in results}
    out = []
    for position, item in enumerate(exam.items):
        result = by_id.get(item.id)
        answered = bool(result and result.answered)
        correct = bool(result and result.correct)
        if item.kind == "quiz":
            q = _question(item.id)
            choice = result.choice if result else None
            given = q.choices[choice] if choice is not None and choice < len(q.choices) else None
            verdict = "Right." if correct else "Not answered." if not answered else "Not right."
            out.append(
                DebriefItem(
                    position=position,
                    id=item.id,
                    kind="quiz",
                    title=f"Question {position + 1}",
                    prompt=q.prompt,
                    answered=answered,
                    correct=correct,
                    your_answer=given,
                    right_answer=q.choices[q.answer],
                    why=f"{verdict} {q.explanation}",
                    revisit=_revisit(q.lesson),
                )
            )
        else:
            e = catalog.exercise(item.id)
            if not answered or result is None:
                why = "Not submitted before the deadline: no code was graded."
            else:
                tests = f"{result.tests_passed or 0} of {result.tests_total or 0} hidden tests"
                if correct:
                    why = f"All {tests} passed."
                elif not result.tests_total:  # the tests could not run at all (e.g. no function)
                    why = result.message or "The hidden tests could not run on this code."
                else:
                    why = f"{tests} passed." + (f" {result.message}" if result.message else "")
            out.append(
                DebriefItem(
                    position=position,
                    id=item.id,
                    kind="exercise",
                    title=e.title,
                    prompt=e.prompt,
                    answered=answered,
                    correct=correct,
                    your_answer=None,
                    right_answer=None,
                    why=why,
                    revisit=_revisit(e.lesson),
                )
            )
    return out


def paper_item_choices(question_id: str) -> tuple[str, ...]:
    return _question(question_id).choices


def spoken(item: DebriefItem) -> str:
    """One debrief item as it is read aloud: what was asked, the answers, why, what to revisit.
    (Exercises: the title, not the prompt's code, then the grading.)"""
    parts = [f"{item.title}."]
    if item.kind == "quiz":
        parts.append(item.prompt)
        parts.append(f"Your answer: {item.your_answer}." if item.your_answer else "No answer.")
        if item.right_answer:
            parts.append(f"The right answer: {item.right_answer}.")
    parts.append(item.why)
    parts.append(f"To revisit: {item.revisit.title}, in {item.revisit.module}.")
    return " ".join(p.strip() for p in parts if p.strip())


def spoken_debrief(title: str, score: int, total: int, items: list[DebriefItem]) -> str:
    """The whole debrief read aloud: the score, then every item."""
    head = f"{title}. You scored {score} out of {total}."
    return "\n\n".join([head, *(spoken(item) for item in items)])
