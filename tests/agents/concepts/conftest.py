"""A small curriculum, written like the real lessons, for the concepts agent's unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from learnflow.curriculum import Catalog, Lesson, Module, Quiz, QuizQuestion
from learnflow.retrieval import LessonIndex

FOR_LOOPS = Lesson(
    id="control-flow.for-loops",
    module="control-flow",
    title="For loops",
    keywords=("for", "for loop", "loop", "iterate", "range", "'int' object is not iterable"),
    explanation="""\
A **`for` loop** runs the same block of code **once for each item** of a sequence:

```python
for name in ["Maya", "James"]:
    print("Hello", name)
```

Each time round (each **iteration**), the loop variable refers to the next item.

**`range()`** produces numbers to loop over:

| Call          | Numbers    |
|---------------|------------|
| `range(3)`    | 0, 1, 2    |

The stop value is **never included**: `range(1, 5)` stops at 4.
""",
    worked_example="""\
Adding up a basket of prices:

```python
total = 0
for price in [4.5, 3.5]:
    total += price
print("Total:", total)
```

Output:

```text
Total: 8.0
```

The `print` is not indented, so it runs once, after the loop.
""",
    common_mistakes="""\
**1. Resetting the accumulator inside the loop.** Only the last number survives:

```python
for n in [3, 5]:
    total = 0
    total += n
```

Fix: put `total = 0` **before** the `for` line.

**2. Looping over a number instead of a sequence.**

```python
for i in len(names):
    print(names[i])
```

```text
TypeError: 'int' object is not iterable
```

Fix: loop over the items, or over `range(len(names))`.
""",
)

WHILE_LOOPS = Lesson(
    id="control-flow.while-loops",
    module="control-flow",
    title="While loops",
    keywords=("while", "while loop", "loop", "condition", "infinite loop"),
    explanation="A `while` loop repeats its block as long as a condition stays true.",
    worked_example="```python\ncount = 3\nwhile count > 0:\n    count -= 1\n```",
    common_mistakes="**1. Forgetting to update the counter.** The loop never ends.",
)

SETS = Lesson(
    id="data-structures.sets",
    module="data-structures",
    title="Sets",
    keywords=("set", "unique", "duplicates", "remove duplicates"),
    explanation="A **set** holds each value once, so `set(items)` removes duplicates.",
    worked_example="```python\nprint(set([1, 1, 2]))\n```",
    common_mistakes="**1. Writing `{}` for an empty set.** That is an empty dictionary.",
)

QUIZ_QUESTION = QuizQuestion(
    id="control-flow.q1",
    lesson="control-flow.for-loops",
    prompt="What does `list(range(2, 8, 2))` give?",
    choices=("[2, 4, 6]", "[2, 4, 6, 8]", "[4, 6, 8]"),
    answer=0,
    explanation="SECRET-EXPLANATION: range stops before 8.",
)


def build_catalog(lessons: tuple[Lesson, ...] = (FOR_LOOPS, WHILE_LOOPS, SETS)) -> Catalog:
    module_ids = tuple(dict.fromkeys(lesson.module for lesson in lessons))
    return Catalog(
        root=Path("/nonexistent"),
        module_ids=module_ids,
        modules=tuple(
            Module(
                id=module_id,
                number=number,
                title=module_id.replace("-", " ").title(),
                summary="A module.",
                lessons=tuple(lesson.id for lesson in lessons if lesson.module == module_id),
                exercises=(),
            )
            for number, module_id in enumerate(module_ids, start=1)
        ),
        lessons=lessons,
        quizzes=(Quiz(id="control-flow.quiz", module="control-flow", questions=(QUIZ_QUESTION,)),),
    )


@pytest.fixture(scope="session")
def index() -> LessonIndex:
    return LessonIndex.build(build_catalog())
