"""Timed exams: a teacher sets one for a class; each student of it sits it once.

    GET  /exams/bank                    quiz questions and exercises an exam can take (staff)
    POST /exams                         a teacher defines an exam for their class         → 201
    GET  /exams                         teacher: their exams; student: their classes' exams
    GET  /exams/{id}                    the exam, its paper (no answers) and your attempt
    POST /exams/{id}/start              a student of the class starts it (409 outside the window
                                        or a second time, 403 for others)                 → 201
    POST /exams/{id}/answers            one answer, saved by the attempt's workflow        → 202
    POST /exams/{id}/submit             hand in before the deadline                        → 202
    GET  /exams/{id}/debrief            the student's result, question by question
    GET  /exams/{id}/debrief/speech     that debrief read aloud (audio/wav, espeak-ng, cached):
                                        ?item=<id> one question, else all; teachers add
                                        ?student_id=; ?voice=, ?speed= (words per minute);
                                        honours one `Range: bytes=` (206, or 416 past the end)
    GET  /exams/{id}/results            the teacher's results per student and per question

An attempt is run by the session workflow `session-<attempt id>` (mode "exam"): every answer is
a workflow event (durable in daprd's state store once accepted), and the workflow submits at the
deadline on its own durable timer, with nobody connected and across app restarts. It writes the
per-item results (`store_exam_result`) before the session debrief. Answers and starts are
rate-limited per student (`LEARNFLOW_LIMIT_ANSWER_*`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from learnflow.api.deps import PoolDep, SettingsDep
from learnflow.api.ranges import ranged_response
from learnflow.auth.deps import CurrentUser
from learnflow.db.models import Role
from learnflow.db.pool import Conn, Pool
from learnflow.db.repos import classes, exams, session_live, submissions
from learnflow.errors import Conflict, InvalidInput, NotAllowed, NotFound
from learnflow.speech import MEDIA_TYPE, Speaker
from learnflow.workflows import session as wf_session
from learnflow.workflows.models import SessionEvent, SessionState, SessionView, Timings
from triage_agent import exams as papers
from triage_agent import live_sessions
from triage_agent.api.deps import Staff
from triage_agent.limits import AnswerQuota
from triage_agent.sessions import ID_PATTERN, MAX_CODE_CHARS, SessionEventIn, to_event
from triage_agent.workflow_runtime import WorkflowHost, require_ready

router = APIRouter(prefix="/exams", tags=["exams"])
HostDep = Annotated[WorkflowHost, Depends(require_ready)]
MAX_ITEMS = 40


class ExamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    class_id: UUID
    title: str = Field(min_length=1, max_length=120)
    items: list[exams.ExamItem] = Field(min_length=1, max_length=MAX_ITEMS)
    time_limit_s: int = Field(ge=10, le=6 * 3600, description="Each student's time, from start.")
    opens_at: AwareDatetime | None = Field(default=None, description="Default: now.")
    closes_at: AwareDatetime = Field(description="No start after this; no answer either.")

    @model_validator(mode="after")
    def _window(self) -> ExamCreate:
        if self.opens_at is not None and self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be after opens_at")
        return self


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: str = Field(min_length=1, max_length=200)
    choice: int | None = Field(default=None, ge=0, le=9, description="quiz: 0-based choice")
    code: str | None = Field(default=None, max_length=MAX_CODE_CHARS, description="exercise")
    id: str | None = Field(
        default=None, pattern=ID_PATTERN, description="Client-chosen: a retry counts once."
    )


class AttemptPublic(BaseModel):
    attempt_id: UUID
    started_at: datetime
    deadline: datetime
    submitted: bool
    submit_reason: str | None
    score: int | None
    total: int | None
    answered: list[str] = []
    choices: dict[str, int] = Field(default={}, description="quiz: the choice held (0-based)")
    code: dict[str, str] = Field(default={}, description="exercise: the code last saved")
    workflow_id: str


class ExamPublic(BaseModel):
    id: UUID
    class_id: UUID
    class_name: str
    title: str
    time_limit_s: int
    opens_at: datetime
    closes_at: datetime
    items: int
    state: str  # upcoming | open | closed
    attempt: AttemptPublic | None = None
    paper: list[papers.PaperItem] | None = None


class Accepted(BaseModel):
    exam_id: UUID
    item_id: str | None = None
    event_id: str
    message: str


def _state(exam: exams.Exam, now: datetime) -> str:
    return "upcoming" if now < exam.opens_at else "open" if now < exam.closes_at else "closed"


def _attempt(attempt: exams.Attempt, held: Held | None = None) -> AttemptPublic:
    held = held or Held()
    return AttemptPublic(
        attempt_id=attempt.id,
        started_at=attempt.started_at,
        deadline=attempt.deadline,
        submitted=attempt.submitted_at is not None,
        submit_reason=attempt.submit_reason,
        score=attempt.score,
        total=attempt.total,
        answered=held.answered,
        choices=held.choices,
        code=held.code,
        workflow_id=wf_session.instance_id(str(attempt.id)),
    )


async def _public(
    conn: Conn, exam: exams.Exam, attempt: AttemptPublic | None = None, with_paper: bool = False
) -> ExamPublic:
    school_class = await classes.get_class(conn, class_id=exam.class_id)
    return ExamPublic(
        id=exam.id,
        class_id=exam.class_id,
        class_name=school_class.name if school_class else "",
        title=exam.title,
        time_limit_s=exam.time_limit_s,
        opens_at=exam.opens_at,
        closes_at=exam.closes_at,
        items=len(exam.items),
        state=_state(exam, datetime.now(UTC)),
        attempt=attempt,
        paper=papers.paper(exam) if with_paper else None,
    )


async def _exam(conn: Conn, exam_id: UUID) -> exams.Exam:
    exam = await exams.get_exam(conn, exam_id=exam_id)
    if exam is None:
        raise NotFound(f"No exam with id {exam_id}")
    return exam


async def _exam_of_teacher(conn: Conn, user: Any, exam_id: UUID) -> exams.Exam:
    exam = await _exam(conn, exam_id)
    if user.role is not Role.ADMIN and exam.teacher_id != user.user_id:
        raise NotAllowed(
            f"{exam.title!r} is another teacher's exam; only its teacher sees its results",
            relationship="teacher_of_exam",
        )
    return exam


async def _exam_of_student(conn: Conn, user: Any, exam_id: UUID) -> exams.Exam:
    exam = await _exam(conn, exam_id)
    if not await exams.is_on_roster(conn, class_id=exam.class_id, student_id=user.user_id):
        raise NotAllowed(
            f"{exam.title!r} is set for a class you are not in; join the class first",
            relationship="student_of_class",
        )
    return exam


@dataclass(frozen=True)
class Held:
    """What a running attempt's workflow holds: the answers it will grade at the deadline."""

    answered: list[str] = field(default_factory=list)
    choices: dict[str, int] = field(default_factory=dict)
    code: dict[str, str] = field(default_factory=dict)


async def _held(conn: Conn, host: WorkflowHost, attempt: exams.Attempt) -> Held:
    live = await session_live.get(conn, str(attempt.id))
    if live is not None:
        view: Any = SessionView.of(live).model_dump(mode="json")
    else:
        instance = await host.client.get(wf_session.instance_id(str(attempt.id)))
        view = instance.custom_status if instance is not None else None
    if not isinstance(view, dict):
        return Held()
    answered = view.get("answered")
    choices = view.get("choices")
    saved = view.get("saved")
    code: dict[str, str] = {}
    for exercise_id, submission_id in saved.items() if isinstance(saved, dict) else []:
        try:
            stored = await submissions.get_submission(conn, submission_id=UUID(str(submission_id)))
        except ValueError:
            continue
        if stored is not None and stored.student_id == attempt.student_id:
            code[str(exercise_id)] = stored.code
    return Held(
        answered=[str(a) for a in answered] if isinstance(answered, list) else [],
        choices=(
            {str(k): int(v) for k, v in choices.items() if isinstance(v, int)}
            if isinstance(choices, dict)
            else {}
        ),
        code=code,
    )


def _student(user: Any) -> None:
    if user.role is not Role.STUDENT:
        raise NotAllowed("only students sit exams")


@router.get("/bank")
async def exam_bank(user: Staff) -> dict[str, Any]:
    return papers.bank()


@router.post("", response_model=ExamPublic, status_code=status.HTTP_201_CREATED)
async def create_exam(body: ExamCreate, user: Staff, pool: PoolDep) -> ExamPublic:
    papers.check_items(body.items)
    opens_at = body.opens_at or datetime.now(UTC)
    if body.closes_at <= opens_at:
        raise InvalidInput("closes_at must be after opens_at (and in the future)")
    async with pool.connection() as conn, conn.transaction():
        school_class = await classes.get_class(conn, class_id=body.class_id)
        if school_class is None:
            raise NotFound(f"No class with id {body.class_id}")
        if user.role is not Role.ADMIN and school_class.teacher_id != user.user_id:
            raise NotAllowed(
                f"{school_class.name!r} is not one of your classes; set exams for your own",
                relationship="teacher_of_class",
            )
        exam = await exams.create_exam(
            conn,
            class_id=body.class_id,
            teacher_id=school_class.teacher_id,
            title=body.title,
            items=body.items,
            time_limit_s=body.time_limit_s,
            opens_at=opens_at,
            closes_at=body.closes_at,
        )
        return await _public(conn, exam, with_paper=True)


@router.get("", response_model=list[ExamPublic])
async def list_exams(user: CurrentUser, pool: PoolDep) -> list[ExamPublic]:
    async with pool.connection() as conn:
        if user.role is Role.STUDENT:
            out = []
            for exam in await exams.exams_for_student(conn, student_id=user.user_id):
                attempt = await exams.get_attempt(conn, exam_id=exam.id, student_id=user.user_id)
                out.append(await _public(conn, exam, _attempt(attempt) if attempt else None))
            return out
        return [
            await _public(conn, exam)
            for exam in await exams.exams_of_teacher(conn, teacher_id=user.user_id)
        ]


@router.get("/{exam_id}", response_model=ExamPublic)
async def read_exam(exam_id: UUID, user: CurrentUser, pool: PoolDep, host: HostDep) -> ExamPublic:
    """A student sees the paper once they have started; the teacher always."""
    async with pool.connection() as conn:
        if user.role is Role.STUDENT:
            exam = await _exam_of_student(conn, user, exam_id)
            attempt = await exams.get_attempt(conn, exam_id=exam_id, student_id=user.user_id)
            if attempt is None:
                return await _public(conn, exam)
            held = Held() if attempt.submitted_at else await _held(conn, host, attempt)
            return await _public(conn, exam, _attempt(attempt, held), with_paper=True)
        exam = await _exam_of_teacher(conn, user, exam_id)
        return await _public(conn, exam, with_paper=True)


@router.post("/{exam_id}/start", response_model=ExamPublic, status_code=status.HTTP_201_CREATED)
async def start_exam(
    exam_id: UUID,
    user: AnswerQuota,
    pool: PoolDep,
    host: HostDep,
    settings: SettingsDep,
) -> ExamPublic:
    _student(user)
    now = datetime.now(UTC)
    async with pool.connection() as conn, conn.transaction():
        exam = await _exam_of_student(conn, user, exam_id)
        if now < exam.opens_at:
            raise Conflict(
                f"{exam.title!r} opens at {exam.opens_at:%Y-%m-%d %H:%M} UTC; start it then",
                reason="not_open",
            )
        if now >= exam.closes_at:
            raise Conflict(
                f"{exam.title!r} closed at {exam.closes_at:%Y-%m-%d %H:%M} UTC; it can no "
                "longer be started",
                reason="closed",
            )
        deadline = min(now + timedelta(seconds=exam.time_limit_s), exam.closes_at)
        attempt = await exams.start_attempt(
            conn,
            attempt_id=uuid.uuid4(),
            exam_id=exam.id,
            student_id=user.user_id,
            started_at=now,
            deadline=deadline,
        )
        state = SessionState(
            session_id=str(attempt.id),
            student_id=str(user.user_id),
            mode="exam",
            exam_id=str(exam.id),
            stuck_alerts=False,
            exercise_ids=[i.id for i in exam.items if i.kind == "exercise"],
            started_at=now,
            deadline=deadline,
            timings=Timings.from_settings(settings),
            live=settings.workflow_live_sessions,
        )
        if state.live:  # the answers' projection row, in the attempt's transaction
            await session_live.create(conn, state)
        # inside the transaction: if the workflow does not start, no attempt is written
        await host.client.start(
            wf_session.WORKFLOW, wf_session.instance_id(state.session_id), state
        )
        host.remember_owner(state.session_id, state.student_id)
        return await _public(conn, exam, _attempt(attempt), with_paper=True)


async def _running_attempt(conn: Conn, user: Any, exam_id: UUID) -> tuple[Any, exams.Attempt]:
    exam = await _exam_of_student(conn, user, exam_id)
    attempt = await exams.get_attempt(conn, exam_id=exam_id, student_id=user.user_id)
    if attempt is None:
        raise Conflict(f"You have not started {exam.title!r}; start it first", reason="not_started")
    if attempt.submitted_at is not None:
        raise Conflict(
            f"{exam.title!r} was submitted at {attempt.submitted_at:%H:%M:%S} UTC; answers "
            "are no longer taken",
            reason="submitted",
        )
    if datetime.now(UTC) >= attempt.deadline:
        raise Conflict(
            f"The time for {exam.title!r} ran out at {attempt.deadline:%H:%M:%S} UTC; answers "
            "after the deadline are not counted",
            reason="deadline_passed",
        )
    return exam, attempt


@router.post("/{exam_id}/answers", response_model=Accepted, status_code=status.HTTP_202_ACCEPTED)
async def answer(
    exam_id: UUID, body: AnswerIn, user: AnswerQuota, pool: PoolDep, host: HostDep
) -> Accepted:
    """Quiz: `choice`; exercise: `code` (graded in the sandbox when the exam is submitted).
    The last answer to an item counts."""
    _student(user)
    async with pool.connection() as conn:
        exam, attempt = await _running_attempt(conn, user, exam_id)
    item = next((i for i in exam.items if i.id == body.item_id), None)
    if item is None:
        raise InvalidInput(f"{body.item_id!r} is not a question of {exam.title!r}")
    if item.kind == "quiz":
        count = len(papers.paper_item_choices(item.id))
        if body.choice is None or body.code is not None or body.choice >= count:
            raise InvalidInput(f"{item.id!r} is a quiz question: send choice, 0 to {count - 1}")
        event_in = SessionEventIn(
            id=body.id, kind="quiz_answer", question_id=item.id, choice=body.choice
        )
    else:
        if body.code is None or body.choice is not None:
            raise InvalidInput(f"{item.id!r} is an exercise: send your code")
        event_in = SessionEventIn(
            id=body.id, kind="submission", exercise_id=item.id, code=body.code
        )
    session_id = str(attempt.id)
    event = await to_event(event_in, session_id=session_id, student_id=str(user.user_id), pool=pool)
    await _send(pool, host, session_id, event)
    return Accepted(exam_id=exam_id, item_id=item.id, event_id=event.id, message="Answer saved.")


async def _send(pool: Pool, host: WorkflowHost, session_id: str, event: SessionEvent) -> None:
    """To the attempt's live row (attempts started since the projection exists), else raised on
    its workflow as before."""
    if await live_sessions.owner(pool, host, session_id) is not None:
        await live_sessions.apply(pool, host, session_id, event)
        return
    await host.client.raise_event(wf_session.instance_id(session_id), wf_session.EVENT, event)


@router.post("/{exam_id}/submit", response_model=Accepted, status_code=status.HTTP_202_ACCEPTED)
async def submit(exam_id: UUID, user: AnswerQuota, pool: PoolDep, host: HostDep) -> Accepted:
    _student(user)
    async with pool.connection() as conn:
        _, attempt = await _running_attempt(conn, user, exam_id)
    session_id = str(attempt.id)
    event = await to_event(
        SessionEventIn(id=f"submit-{session_id}", kind="finalize", reason="submitted"),
        session_id=session_id,
        student_id=str(user.user_id),
        pool=pool,
    )
    await _send(pool, host, session_id, event)
    return Accepted(
        exam_id=exam_id, event_id=event.id, message="Submitted: your result is being graded."
    )


class DebriefPublic(BaseModel):
    exam: ExamPublic
    score: int
    total: int
    answered: int
    items: list[papers.DebriefItem]


async def _debrief(conn: Conn, exam: exams.Exam, student_id: UUID, own: bool) -> DebriefPublic:
    """The result of `student_id`'s attempt; `own`: the student asks (the messages say "you")."""
    attempt = await exams.get_attempt(conn, exam_id=exam.id, student_id=student_id)
    if attempt is None:
        if own:
            raise Conflict(f"You have not sat {exam.title!r}", reason="not_started")
        raise NotFound(f"That student has not sat {exam.title!r}")
    if attempt.submitted_at is None:
        raise Conflict(
            f"{exam.title!r} is still running (deadline {attempt.deadline:%H:%M:%S} UTC) "
            "or being graded; the debrief follows",
            reason="not_submitted",
        )
    results = await exams.item_results(conn, attempt_id=attempt.id)
    public = await _public(conn, exam, _attempt(attempt))
    return DebriefPublic(
        exam=public,
        score=sum(1 for r in results if r.correct),
        total=len(exam.items),
        answered=sum(1 for r in results if r.answered),
        items=papers.debrief(exam, results),
    )


@router.get("/{exam_id}/debrief", response_model=DebriefPublic)
async def exam_debrief(exam_id: UUID, user: CurrentUser, pool: PoolDep) -> DebriefPublic:
    _student(user)
    async with pool.connection() as conn:
        exam = await _exam_of_student(conn, user, exam_id)
        return await _debrief(conn, exam, user.user_id, own=True)


def _speaker(request: Request, settings: SettingsDep) -> Speaker:
    """One per app (its limit on parallel espeak-ng runs is per process)."""
    speaker = getattr(request.app.state, "speaker", None)
    if speaker is None:
        speaker = Speaker(
            engine=settings.speech_engine,
            cache_dir=settings.cache_dir / "speech",
            timeout_s=settings.speech_timeout_s,
            max_chars=settings.speech_max_chars,
            cache_max_bytes=settings.speech_cache_max_bytes,
        )
        request.app.state.speaker = speaker
    return speaker


SpeakerDep = Annotated[Speaker, Depends(_speaker)]


@router.get(
    "/{exam_id}/debrief/speech",
    response_class=Response,
    responses={
        200: {"content": {MEDIA_TYPE: {}}, "description": "The debrief read aloud (WAV)."},
        206: {"content": {MEDIA_TYPE: {}}, "description": "The part a `Range` header asked for."},
        416: {"description": "The `Range` starts past the end (`Content-Range: bytes */N`)."},
    },
)
async def exam_debrief_speech(
    exam_id: UUID,
    request: Request,
    user: CurrentUser,
    pool: PoolDep,
    settings: SettingsDep,
    speaker: SpeakerDep,
    item: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="One item's id; none: the whole debrief."),
    ] = None,
    student_id: Annotated[
        UUID | None, Query(description="Teachers: whose result (students hear their own).")
    ] = None,
    voice: Annotated[str | None, Query(max_length=40, description="An espeak-ng voice.")] = None,
    speed: Annotated[int | None, Query(description="Words per minute, 80 to 300.")] = None,
) -> Response:
    """The debrief (one item, or all of it) spoken by espeak-ng, as WAV; made once, then cached.
    The same checks as the debrief: the student who sat it, or the exam's teacher."""
    async with pool.connection() as conn:
        if user.role is Role.STUDENT:
            if student_id is not None and student_id != user.user_id:
                raise NotAllowed(
                    "students hear their own debrief only", relationship="owner_of_result"
                )
            exam = await _exam_of_student(conn, user, exam_id)
            result = await _debrief(conn, exam, user.user_id, own=True)
        else:
            exam = await _exam_of_teacher(conn, user, exam_id)
            if student_id is None:
                raise InvalidInput("say whose debrief to speak: add ?student_id=<the student's id>")
            result = await _debrief(conn, exam, student_id, own=False)
    if item is None:
        text = papers.spoken_debrief(exam.title, result.score, result.total, result.items)
        name = "debrief"
    else:
        chosen = next((i for i in result.items if i.id == item), None)
        if chosen is None:
            raise NotFound(f"{item!r} is not a question of {exam.title!r}")
        text = papers.spoken(chosen)
        name = f"debrief-{chosen.position + 1}"
    wav = await speaker.speak(
        text, voice=voice or settings.speech_voice, speed_wpm=speed or settings.speech_speed_wpm
    )
    # byte ranges: a media element asks `Range: bytes=0-` and takes an answer without
    # `Accept-Ranges` for a live stream (no duration, no seeking)
    return ranged_response(
        wav,
        media_type=MEDIA_TYPE,
        range_header=request.headers.get("range"),
        if_range=request.headers.get("if-range"),
        headers={
            "content-disposition": f'inline; filename="{name}.wav"',
            "cache-control": "private, max-age=300",
        },
    )


class StudentResult(BaseModel):
    student_id: UUID
    display_name: str
    email: str
    started_at: datetime
    submitted: bool
    submit_reason: str | None
    score: int | None
    total: int
    answered: int | None
    items: dict[str, str]  # item id -> right | wrong | unanswered


class QuestionResult(BaseModel):
    position: int
    id: str
    kind: str
    title: str
    right: int
    wrong: int
    unanswered: int


class ResultsPublic(BaseModel):
    exam: ExamPublic
    students: list[StudentResult]
    questions: list[QuestionResult]


@router.get("/{exam_id}/results", response_model=ResultsPublic)
async def exam_results(exam_id: UUID, user: Staff, pool: PoolDep) -> ResultsPublic:
    async with pool.connection() as conn:
        exam = await _exam_of_teacher(conn, user, exam_id)
        rows = []
        for attempt, name, email in await exams.attempts_of_exam(conn, exam_id=exam_id):
            rows.append(
                (attempt, name, email, await exams.item_results(conn, attempt_id=attempt.id))
            )
        public = await _public(conn, exam)
    paper = papers.paper(exam)
    counts = {p.id: {"right": 0, "wrong": 0, "unanswered": 0} for p in paper}
    students = []
    for attempt, name, email, results in rows:
        marks: dict[str, str] = {}
        for r in results:
            mark = "right" if r.correct else "wrong" if r.answered else "unanswered"
            marks[r.item_id] = mark
            counts[r.item_id][mark] += 1
        submitted = attempt.submitted_at is not None
        students.append(
            StudentResult(
                student_id=attempt.student_id,
                display_name=name,
                email=email,
                started_at=attempt.started_at,
                submitted=submitted,
                submit_reason=attempt.submit_reason,
                score=attempt.score,
                total=len(exam.items),
                answered=sum(1 for r in results if r.answered) if submitted else None,
                items=marks,
            )
        )
    questions = [
        QuestionResult(position=p.position, id=p.id, kind=p.kind, title=p.title, **counts[p.id])
        for p in paper
    ]
    return ResultsPublic(exam=public, students=students, questions=questions)
