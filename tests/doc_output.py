"""Run the Python blocks of a Markdown page and check the output they show.

A ```` ```python ```` block may be followed (blank lines apart) by a
```` ```output ```` block: the output the code prints. The printed lines must
match it word for word, except that numbers (``1,234.5``, ``-3.2%``, ``0.91``)
match within :data:`RTOL`: network outputs differ in their last digits from
one CPU to another, so the pages show rounded figures and the tests allow for
that drift. Dates and other words must match exactly.
"""

import math
import re

#: Relative tolerance of the numbers in an output block.
RTOL = 0.05

BLOCK = re.compile(r"```python\n(.*?)```(?:\n\s*```output\n(.*?)```)?", flags=re.S)


def _number(word):
    try:
        return float(word.replace(",", "").rstrip("%"))
    except ValueError:
        return None


def check_output(printed, expected, where="block"):
    """Assert that ``printed`` matches ``expected`` (numbers within :data:`RTOL`)."""
    got = [line.split() for line in printed.strip().splitlines()]
    want = [line.split() for line in expected.strip().splitlines()]
    assert len(got) == len(want), f"{where}: printed\n{printed}\nexpected\n{expected}"
    for got_line, want_line in zip(got, want):
        message = f"{where}: printed {' '.join(got_line)!r}, expected {' '.join(want_line)!r}"
        assert len(got_line) == len(want_line), message
        for g, w in zip(got_line, want_line):
            gn, wn = _number(g), _number(w)
            if gn is None or wn is None:
                assert g == w, message
            else:
                assert math.isclose(gn, wn, rel_tol=RTOL, abs_tol=RTOL), message


def run_blocks(text, filename, capsys):
    """Execute every Python block of ``text`` in one namespace, checking shown outputs.

    Returns the namespace and everything the blocks printed.
    """
    namespace, printed = {}, []
    for i, (code, expected) in enumerate(BLOCK.findall(text)):
        capsys.readouterr()
        exec(compile(code, filename, "exec"), namespace)
        out = capsys.readouterr().out
        printed.append(out)
        if expected:
            check_output(out, expected, f"{filename}, Python block {i + 1}")
    return namespace, "".join(printed)
