"""The Python README's examples run as written."""

import re

from conftest import REPO


def test_the_readme_python_examples_run():
    readme = (REPO / "python" / "README.md").read_text()
    blocks = re.findall(r"^```python\n(.*?)^```", readme, flags=re.S | re.M)
    assert len(blocks) >= 2
    for block in blocks:
        exec(compile(block, "python/README.md", "exec"), {})
