"""Print the README's quick-start commands, one a line: the lines of the first ```sh block
under the "## Quick start" heading.  .ci/run runs exactly these, so the README and CI cannot
drift apart."""

import re
import sys


def quick_start_commands(readme: str) -> list[str]:
    start = readme.index("## Quick start")
    end = readme.find("\n## ", start + 1)
    section = readme[start:end if end != -1 else len(readme)]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    if block is None:
        return []
    return [line for line in block.group(1).splitlines() if line.strip()]


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as fh:
        print("\n".join(quick_start_commands(fh.read())))
