"""LearnFlow's curriculum: models, the loader and the checker (docs/curriculum-format.md).

from learnflow.curriculum import load_catalog

catalog = load_catalog()                    # cached; raises CurriculumError on a bad file
catalog.module("control-flow").title        # "Control Flow"
catalog.lesson("control-flow.for-loops")
catalog.exercises_for("basics", difficulty="easy")
"""

from learnflow.curriculum.catalog import Catalog
from learnflow.curriculum.check import check_catalog, check_exercise
from learnflow.curriculum.errors import CurriculumError
from learnflow.curriculum.loader import (
    DEFAULT_ROOT,
    clear_catalog_cache,
    load_catalog,
    read_catalog,
)
from learnflow.curriculum.models import (
    DIFFICULTIES,
    HINT_LEVELS,
    Difficulty,
    Exercise,
    ExerciseLimits,
    Hint,
    HintLadder,
    HintLevel,
    Lesson,
    Module,
    Quiz,
    QuizQuestion,
)
from learnflow.curriculum.problems import CheckReport, Problem
from learnflow.curriculum.runs import RunTests

__all__ = [
    "DEFAULT_ROOT",
    "DIFFICULTIES",
    "HINT_LEVELS",
    "Catalog",
    "CheckReport",
    "CurriculumError",
    "Difficulty",
    "Exercise",
    "ExerciseLimits",
    "Hint",
    "HintLadder",
    "HintLevel",
    "Lesson",
    "Module",
    "Problem",
    "Quiz",
    "QuizQuestion",
    "RunTests",
    "check_catalog",
    "check_exercise",
    "clear_catalog_cache",
    "load_catalog",
    "read_catalog",
]
