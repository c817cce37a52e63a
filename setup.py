"""Compile the translation catalogs (.po → .mo) when the package is built or installed.

Everything else about the package is declared in pyproject.toml; this file only adds a step to
setuptools' build_py, so `pip install .` (a wheel) and `pip install -e .` (make's
.venv/.installed) both ship compiled catalogs and the app never writes into its own
installation when it starts. The .mo files are build output: git-ignored, never committed.
"""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

CATALOGS = Path("happy_rivers") / "translations"


def compile_catalogs(target: Path) -> list[str]:
    """Write target/<lang>/LC_MESSAGES/messages.mo for each .po; the paths written."""
    written = []
    for po_path in sorted(CATALOGS.glob("*/LC_MESSAGES/*.po")):
        mo_path = target / po_path.relative_to(CATALOGS).with_suffix(".mo")
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as po:
            catalog = read_po(po)
        with mo_path.open("wb") as mo:
            write_mo(mo, catalog)  # fuzzy entries left out, as `pybabel compile` does
        written.append(str(mo_path))
    return written


class BuildWithCatalogs(build_py):
    def run(self):
        # An editable install serves the package from the source tree, so the catalogs are
        # compiled there; a wheel gets them in its build folder.
        target = CATALOGS if self.editable_mode else Path(self.build_lib) / CATALOGS
        self._catalogs = compile_catalogs(target)
        super().run()

    def get_outputs(self, include_bytecode=True):
        return super().get_outputs(include_bytecode) + getattr(self, "_catalogs", [])


setup(cmdclass={"build_py": BuildWithCatalogs})
