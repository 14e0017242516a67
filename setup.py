"""Only what pyproject.toml cannot say: the bundled knowledge ships in the wheel as the package
``bot.bundled_knowledge``, built from the repository's top-level ``knowledge/`` folder (which stays
where it is, for the people who edit it). Everything else is in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py


class BuildPy(build_py):
    """Copy the knowledge afresh: setuptools never deletes from build/, so a knowledge file removed
    from the repository would otherwise still ship in the next wheel."""

    def run(self) -> None:
        shutil.rmtree(Path(self.build_lib) / "bot" / "bundled_knowledge", ignore_errors=True)
        super().run()


KNOWLEDGE = Path(__file__).parent / "knowledge"
DATA = ["*.yaml", "*.txt", "*.md"]
# every folder of knowledge/ is a (data-only) package, so setuptools ships its files
data_packages = ["bot.bundled_knowledge"] + sorted(
    "bot.bundled_knowledge." + ".".join(d.relative_to(KNOWLEDGE).parts)
    for d in KNOWLEDGE.rglob("*")
    if d.is_dir() and "__pycache__" not in d.parts
)

setup(
    packages=[*find_packages(include=["bot", "bot.*"]), *data_packages],
    package_dir={"bot.bundled_knowledge": "knowledge"},
    package_data={"bot": ["matching/*.txt", "py.typed"], **{p: DATA for p in data_packages}},
    cmdclass={"build_py": BuildPy},
)
