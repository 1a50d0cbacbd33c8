"""The PEP 8 checker, table-driven: each row is code and the rule it must (or must not) raise."""

from __future__ import annotations

import textwrap

import pytest

from tutor_agent.review import check_style


def rules(code: str) -> set[str]:
    return {f.rule for f in check_style(textwrap.dedent(code))}


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        pytest.param("x = 1  \n", "W291", id="trailing-whitespace"),
        pytest.param("total = '" + "a" * 80 + "'\n", "E501", id="line-too-long"),
        pytest.param("if True:\n\tx = 1\n", "W191", id="tab-indent"),
        pytest.param("if True:\n  x = 1\n", "E111", id="indent-not-multiple-of-4"),
        pytest.param("x=1\n", "E225", id="no-space-around-assignment"),
        pytest.param("ok = 1==2\n", "E225", id="no-space-around-comparison"),
        pytest.param("x = [1,2]\n", "E231", id="no-space-after-comma"),
        pytest.param("x = [1 , 2]\n", "E203", id="space-before-comma"),
        pytest.param("print( 1)\n", "E201", id="space-after-paren"),
        pytest.param("print(1 )\n", "E202", id="space-before-paren"),
        pytest.param("print (1)\n", "E211", id="space-before-call-paren"),
        pytest.param("d = {'a' : 1}\n", "E203", id="space-before-colon"),
        pytest.param("print(1, end = '')\n", "E251", id="spaces-around-keyword-equals"),
        pytest.param("x = 1; y = 2\n", "E702", id="two-statements"),
        pytest.param("if True: x = 1\n", "E701", id="block-on-one-line"),
        pytest.param("x = 1\ndef f():\n    return x\n", "E302", id="blank-lines-before-def"),
        pytest.param("def f(x):\n    return x == None\n", "E711", id="eq-none"),
        pytest.param("def f(x):\n    return x != None\n", "E711", id="ne-none"),
        pytest.param("def f(x):\n    return x == True\n", "E712", id="eq-true"),
        pytest.param("def f(a, b):\n    return not a in b\n", "E713", id="not-in"),
        pytest.param("try:\n    pass\nexcept:\n    pass\n", "E722", id="bare-except"),
        pytest.param("def f(items=[]):\n    return items\n", "B006", id="mutable-default-list"),
        pytest.param("def f(d={}):\n    return d\n", "B006", id="mutable-default-dict"),
        pytest.param("def f(s=set()):\n    return s\n", "B006", id="mutable-default-set-call"),
        pytest.param("def f():\n    unused = 5\n    return 1\n", "F841", id="unused-local"),
        pytest.param("import os\nx = 1\n", "F401", id="unused-import"),
        pytest.param("for i in range(3):\n    print('hi')\n", "B007", id="unused-loop-var"),
        pytest.param("def MyFunction():\n    return 1\n", "N802", id="function-name"),
        pytest.param("def f(MyArg):\n    return MyArg\n", "N803", id="parameter-name"),
        pytest.param("def f():\n    myValue = 1\n    return myValue\n", "N806", id="var-name"),
        pytest.param("class my_class:\n    pass\n", "N801", id="class-name"),
        pytest.param("l = 1\n", "E741", id="ambiguous-name"),
        pytest.param("list = [1]\nprint(list)\n", "A001", id="shadows-builtin"),
    ],
)
def test_each_rule_fires(code: str, rule: str) -> None:
    assert rule in rules(code)


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        pytest.param("def f(x=1, *, y: int = 2):\n    return x + y\n", "E251", id="defaults"),
        pytest.param("print(1, end='')\n", "E251", id="keyword-argument"),
        pytest.param("x = items[1:2]\n", "E203", id="slice-colon"),
        pytest.param("if x is None:\n    pass\n", "E711", id="is-none"),
        pytest.param("MAX_SIZE = 10\nprint(MAX_SIZE)\n", "N806", id="module-constant"),
        pytest.param("class Point:\n    pass\n", "N801", id="capwords-class"),
        pytest.param("def f():\n    _ = 5\n    return 1\n", "F841", id="underscore"),
        pytest.param("import math\nprint(math.pi)\n", "F401", id="used-import"),
        pytest.param("def f(n):\n    total = 0\n    total += n\n", "F841", id="augmented-use"),
        pytest.param("if True:\n    x = 1\n", "E701", id="block-on-its-own-line"),
        pytest.param("def f(self_like=None):\n    return self_like\n", "B006", id="none"),
        pytest.param("print(len([1, 2]))\n", "E211", id="call-without-space"),
        pytest.param("x = (1,)\n", "E231", id="one-tuple"),
        pytest.param("value = -1\n", "E225", id="unary-minus"),
    ],
)
def test_rule_does_not_fire_on_correct_code(code: str, rule: str) -> None:
    assert rule not in rules(code)


def test_clean_code_has_no_findings() -> None:
    code = '''
    import math

    RATE = 0.5


    def area(radius):
        """The area of a circle."""
        return math.pi * radius**2 * RATE


    class Circle:
        def __init__(self, radius):
            self.radius = radius

        def scaled(self, factor=2):
            return Circle(self.radius * factor)
    '''
    assert check_style(textwrap.dedent(code)) == []


def test_findings_carry_a_line_and_a_concrete_fix() -> None:
    (finding,) = [f for f in check_style("def f():\n    Total = 0\n    return Total\n")]
    assert finding.line == 2
    assert "`total`" in finding.message and "`Total`" in finding.message


def test_code_that_does_not_parse_still_gets_line_checks() -> None:
    found = rules("def f(:  \n    pass\n")
    assert found == {"W291"}
