"""Exercises from plain words: parse a teacher's request, draft new exercises offline.

from learnflow.generation import parse_request, generate

wanted = parse_request("Create easy exercises on list comprehensions")  # topic, difficulty, count
drafts = generate(wanted, seed="…")                                      # statement, starter,
                                                                         # tests, solution, hints
"""

from learnflow.generation.families import FAMILIES, Draft, Family, generate
from learnflow.generation.request import GenerationRequest, parse_request, topics_supported

__all__ = [
    "FAMILIES",
    "Draft",
    "Family",
    "GenerationRequest",
    "generate",
    "parse_request",
    "topics_supported",
]
