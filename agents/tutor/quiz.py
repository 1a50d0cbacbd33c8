"""Quizzes: five questions from a module's bank, one at a time; the first answer counts.

A quiz lives in the tutor's state store under `quiz:<quiz_id>` and belongs to the learner who
started it. Each answer is saved with the ETag read before it (first write wins), so two answers
to one question race and only the first is kept; answering again with the same choice replays the
stored outcome, another choice is refused (409). Whether an answer was right is returned only
once it is given. When the last question is answered the tutor queues `quiz.completed` in its
outbox (`learnflow.outbox`, published by the app's relay, so a quiz never waits on Kafka; id
derived from the quiz id, so a retry queues nothing new), which debrief turns into the quiz part
of mastery and the struggle rules (a score under 50%).
"""

from __future__ import annotations

import hashlib
import random
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from learnflow.curriculum import Catalog, QuizQuestion
from learnflow.errors import Conflict, InvalidInput, NotAllowed, NotFound
from learnflow.events import QuizAnswer, QuizCompleted
from learnflow.outbox import EventSink
from learnflow.state_update import Keep, Save, update_state

from .exercises import resolve_topic
from .mesh import Mesh

__all__ = [
    "QUESTIONS_PER_QUIZ",
    "AnswerIn",
    "AnswerOutcome",
    "QuizService",
    "QuizStart",
    "QuizView",
]

QUESTIONS_PER_QUIZ = 5
NAMESPACE = uuid.UUID("8c0f6a3e-2f5d-4a8e-9b7c-1d2e3f4a5b6c")
SAVE_ATTEMPTS = 5
LETTERS = "ABCD"


def state_key(quiz_id: str) -> str:
    return f"quiz:{quiz_id}"


class QuizStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=100)
    topic: str | None = Field(
        default=None, max_length=200, description="Module id, lesson id or words (for loops)."
    )
    quiz_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,100}$")
    session_id: str | None = Field(default=None, max_length=100)


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=100)
    question_id: str = Field(min_length=1, max_length=200)
    choice: int = Field(ge=0, le=9, description="0-based index into the question's choices.")


class QuestionPublic(BaseModel):
    """A question as the learner sees it before answering: never the answer."""

    id: str
    number: int
    prompt: str
    choices: list[str]


class StoredAnswer(BaseModel):
    question_id: str
    choice: int
    correct: bool
    at: datetime


class StoredQuiz(BaseModel):
    quiz_id: str
    user_id: str
    session_id: str | None = None
    topic: str
    question_ids: list[str]
    answers: list[StoredAnswer] = Field(default_factory=list)
    started_at: datetime

    @property
    def finished(self) -> bool:
        return len(self.answers) >= len(self.question_ids)

    @property
    def score(self) -> int:
        return sum(a.correct for a in self.answers)


class QuizResult(BaseModel):
    score: int
    total: int
    percent: int
    event_id: str


class QuizView(BaseModel):
    quiz_id: str
    topic: str
    topic_title: str
    total: int
    answered: int
    score: int
    question: QuestionPublic | None = Field(description="The question to answer now.")
    result: QuizResult | None = None


class AnswerOutcome(BaseModel):
    quiz_id: str
    question_id: str
    choice: int
    correct: bool
    correct_choice: int
    explanation: str
    answered: int
    total: int
    score: int
    next_question: QuestionPublic | None
    result: QuizResult | None = None


def completed_event_id(quiz_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"quiz.completed/{quiz_id}"))


def pick_questions(catalog: Catalog, module: str, lesson: str | None, seed: str) -> list[str]:
    """Five questions of the module: the lesson's first (when words named one), in an order
    drawn from `seed` (the quiz id), so the same quiz always has the same questions."""
    bank = list(catalog.quiz(module).questions)
    rng = random.Random(int(hashlib.sha256(seed.encode()).hexdigest()[:16], 16))
    rng.shuffle(bank)
    bank.sort(key=lambda q: 0 if lesson is not None and q.lesson == lesson else 1)
    return [q.id for q in bank[:QUESTIONS_PER_QUIZ]]


def parse_choice(text: str, choices: int = 4) -> int | None:
    """A bare answer to a multiple-choice question: "A", "b)", "2", "(c)" → the 0-based index."""
    match = re.fullmatch(r"\s*\(?\s*([A-Za-z]|\d)\s*[.)]?\s*", text)
    if match is None:
        return None
    token = match[1]
    index = int(token) - 1 if token.isdigit() else LETTERS.find(token.upper())
    return index if 0 <= index < choices else None


#: what answering decided: the quiz as saved, the question, and the answer that counts
_Answered = tuple[StoredQuiz, QuizQuestion, StoredAnswer]


class QuizService:
    def __init__(self, mesh: Mesh, catalog: Catalog, events: EventSink) -> None:
        self.mesh = mesh
        self.catalog = catalog
        self.events = events

    def _question(self, quiz: StoredQuiz, question_id: str) -> QuizQuestion:
        for question in self.catalog.quiz(quiz.topic).questions:
            if question.id == question_id:
                return question
        raise NotFound(f"question {question_id} is not in the {quiz.topic} quiz")

    def _public(self, quiz: StoredQuiz, index: int) -> QuestionPublic | None:
        if index >= len(quiz.question_ids):
            return None
        question = self._question(quiz, quiz.question_ids[index])
        return QuestionPublic(
            id=question.id, number=index + 1, prompt=question.prompt, choices=list(question.choices)
        )

    def _result(self, quiz: StoredQuiz) -> QuizResult | None:
        if not quiz.finished:
            return None
        total = len(quiz.question_ids)
        return QuizResult(
            score=quiz.score,
            total=total,
            percent=round(100 * quiz.score / total),
            event_id=completed_event_id(quiz.quiz_id),
        )

    def view(self, quiz: StoredQuiz) -> QuizView:
        return QuizView(
            quiz_id=quiz.quiz_id,
            topic=quiz.topic,
            topic_title=self.catalog.module(quiz.topic).title,
            total=len(quiz.question_ids),
            answered=len(quiz.answers),
            score=quiz.score,
            question=self._public(quiz, len(quiz.answers)),
            result=self._result(quiz),
        )

    async def _load(self, quiz_id: str, user_id: str) -> tuple[StoredQuiz, str | None]:
        raw, etag = await self.mesh.get_state_entry(state_key(quiz_id))
        return self._parse(quiz_id, user_id, raw), etag

    @staticmethod
    def _parse(quiz_id: str, user_id: str, raw: Any | None) -> StoredQuiz:
        if raw is None:
            raise NotFound(f"there is no quiz {quiz_id}; start one with POST /quizzes")
        quiz = StoredQuiz.model_validate(raw)
        if quiz.user_id != user_id:
            raise NotAllowed("this quiz belongs to another learner", relationship="quiz_owner")
        return quiz

    async def start(self, body: QuizStart) -> QuizView:
        quiz_id = body.quiz_id or str(uuid.uuid4())
        raw, _ = await self.mesh.get_state_entry(state_key(quiz_id))
        if raw is not None:  # a retried start: the same quiz
            quiz = StoredQuiz.model_validate(raw)
            if quiz.user_id != body.user_id:
                raise NotAllowed("this quiz belongs to another learner", relationship="quiz_owner")
            return self.view(quiz)
        module, lesson = resolve_topic(self.catalog, body.topic or "")
        if module is None:
            names = ", ".join(m.title for m in self.catalog.modules)
            raise InvalidInput(
                f"no quiz matches {body.topic!r}; quizzes exist for each module: {names}"
            )
        quiz = StoredQuiz(
            quiz_id=quiz_id,
            user_id=body.user_id,
            session_id=body.session_id,
            topic=module,
            question_ids=pick_questions(self.catalog, module, lesson, quiz_id),
            started_at=datetime.now(UTC),
        )
        await self.mesh.save_state(state_key(quiz_id), quiz.model_dump(mode="json"), etag=None)
        return self.view(quiz)

    async def read(self, quiz_id: str, user_id: str) -> QuizView:
        quiz, _ = await self._load(quiz_id, user_id)
        return self.view(quiz)

    async def answer(self, quiz_id: str, body: AnswerIn) -> AnswerOutcome:
        """Record the first answer to a question (a retry of it gets the same outcome); another
        answer saved in between is seen on the retry, and the decision made again."""

        def decide(raw: Any | None) -> Save[_Answered] | Keep[_Answered]:
            quiz = self._parse(quiz_id, body.user_id, raw)
            question = (
                self._question(quiz, body.question_id)
                if (body.question_id in quiz.question_ids)
                else None
            )
            if question is None:
                raise InvalidInput(
                    f"question {body.question_id} is not part of quiz {quiz_id}; answer the "
                    "question the quiz shows"
                )
            if not 0 <= body.choice < len(question.choices):
                raise InvalidInput(
                    f"choice {body.choice} does not exist; pick 0 to {len(question.choices) - 1}"
                )
            earlier = next((a for a in quiz.answers if a.question_id == body.question_id), None)
            if earlier is not None:
                if earlier.choice != body.choice:
                    raise Conflict(
                        f"question {body.question_id} was answered already; the first answer "
                        "counts — go on with the next question",
                        question_id=body.question_id,
                    )
                return Keep((quiz, question, earlier))  # a retry of the same answer
            current = quiz.question_ids[len(quiz.answers)] if not quiz.finished else None
            if body.question_id != current:
                raise Conflict(
                    f"question {body.question_id} has not been asked yet; answer the current "
                    f"question ({current}) first",
                    current_question=current,
                )
            given = StoredAnswer(
                question_id=question.id,
                choice=body.choice,
                correct=body.choice == question.answer,
                at=datetime.now(UTC),
            )
            updated = quiz.model_copy(update={"answers": [*quiz.answers, given]})
            return Save(updated.model_dump(mode="json"), (updated, question, given))

        quiz, question, given = await update_state(
            self.mesh,
            state_key(quiz_id),
            decide,
            attempts=SAVE_ATTEMPTS,
            contended=f"quiz {quiz_id} kept changing while the answer was saved; send it again",
        )
        return await self._outcome(quiz, question, given)

    async def _outcome(
        self, quiz: StoredQuiz, question: QuizQuestion, given: StoredAnswer
    ) -> AnswerOutcome:
        answered = quiz.question_ids.index(question.id) + 1
        if quiz.finished:
            await self._queue_completed(quiz)  # again on a retry: same id, queued once
        return AnswerOutcome(
            quiz_id=quiz.quiz_id,
            question_id=question.id,
            choice=given.choice,
            correct=given.correct,
            correct_choice=question.answer,
            explanation=question.explanation,
            answered=answered,
            total=len(quiz.question_ids),
            score=sum(a.correct for a in quiz.answers[:answered]),
            next_question=self._public(quiz, answered),
            result=self._result(quiz) if answered == len(quiz.question_ids) else None,
        )

    async def _queue_completed(self, quiz: StoredQuiz) -> None:
        await self.events.queue(
            QuizCompleted(
                id=completed_event_id(quiz.quiz_id),
                source="tutor",
                user_id=quiz.user_id,
                session_id=quiz.session_id,
                quiz_id=quiz.quiz_id,
                topic_id=quiz.topic,
                score=quiz.score,
                total=len(quiz.question_ids),
                answers=[
                    QuizAnswer(question_id=a.question_id, choice=a.choice, correct=a.correct)
                    for a in quiz.answers
                ],
            ),
            partition_key=quiz.user_id,
        )
