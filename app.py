"""The repository checkout's entry point: `flask --app app …` and gunicorn's `'app:create_app()'`.

The application lives in the `happy_rivers` package (installable with `pip install .`, where the
command is `flask --app happy_rivers …`); this file only re-exports its factory.
"""

from happy_rivers import create_app

__all__ = ["create_app"]
