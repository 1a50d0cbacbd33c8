"""The host's own reading of a tests file: which results it will accept (pure logic)."""

from __future__ import annotations

import textwrap

from code_runner.sandbox.collect import TestPlan, plan_tests

TESTS = textwrap.dedent(
    """
    import unittest
    import pytest
    from solution import add

    @pytest.fixture
    def test_data():
        return 1

    def helper():
        pass

    def test_plain():
        pass

    @pytest.mark.parametrize("a", [1, 2])
    def test_param(a):
        pass

    def test_with_fixture(test_data):
        pass

    class Base(unittest.TestCase):
        def test_base(self):
            pass

    class Derived(Base):
        def test_derived(self):
            pass

    class TestGrouped:
        def test_grouped(self):
            pass

        def helper(self):
            pass

    class TestWithInit:
        def __init__(self):
            pass

        def test_ignored(self):
            pass

    class Helper:
        def test_not_a_test_class(self):
            pass

    class Suite(unittest.TestCase):
        def test_b(self):
            pass

        def test_a(self):
            pass
    """
)


def test_the_tests_a_file_defines_in_source_order() -> None:
    plan = plan_tests(TESTS)
    assert plan.names == (
        "test_plain",
        "test_param",
        "test_with_fixture",
        "Base.test_base",
        "Derived.test_base",
        "Derived.test_derived",
        "TestGrouped.test_grouped",
        "Suite.test_b",
        "Suite.test_a",
    )


def test_only_those_names_are_accepted() -> None:
    plan = plan_tests(TESTS)
    assert plan.accepts("test_plain")
    assert plan.accepts("Derived.test_base")
    assert not plan.accepts("test_invented_by_the_learner")
    assert not plan.accepts("helper")
    assert not plan.accepts("test_data")  # a fixture, not a test
    assert not plan.accepts("TestWithInit.test_ignored")  # pytest skips classes with __init__
    assert not plan.accepts("Helper.test_not_a_test_class")
    assert not plan.accepts("test_plain[1]")  # not parametrized: no cases


def test_parametrized_cases_are_accepted_by_their_function() -> None:
    plan = plan_tests(TESTS)
    assert plan.accepts("test_param[1]")
    assert plan.accepts("test_param[anything-at-all]")
    assert plan.accepts("test_with_fixture[3]")  # a fixture with params can multiply it
    assert not plan.accepts("test_param[1")
    assert not plan.accepts("test_paramx[1]")
    assert plan.position("test_param[2]") == plan.position("test_param") == 1


def test_unknown_names_sort_last() -> None:
    assert plan_tests(TESTS).position("nope") == 9


def test_a_file_that_does_not_parse_accepts_nothing() -> None:
    plan = plan_tests("def test_x(:\n    pass\n")
    assert plan == TestPlan()
    assert not plan.accepts("test_x")


def test_testcase_bases_by_any_name_and_cycles() -> None:
    plan = plan_tests(
        textwrap.dedent(
            """
            from unittest import TestCase
            import unittest as ut

            class A(TestCase):
                def test_a(self):
                    pass

            class B(ut.TestCase):
                def test_b(self):
                    pass

            class C(D):
                def test_c(self):
                    pass

            class D(C):
                def test_d(self):
                    pass
            """
        )
    )
    assert plan.names == ("A.test_a", "B.test_b")
