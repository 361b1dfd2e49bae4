"""`python -m liveline_media` runs the API (and, by default, the editing worker in the same
process); `python -m liveline_media worker` runs only the worker, to scale it on its own."""

import sys

from liveline_shared.service import main

from .bootstrap import build_app, build_worker_app, worker_settings
from .config import Settings

if __name__ == "__main__":
    if sys.argv[1:] == ["worker"]:
        main("media-worker", worker_settings(Settings()), build_worker_app)
    elif not sys.argv[1:]:
        main("media", Settings(), build_app)
    else:
        sys.exit("usage: python -m liveline_media [worker]")
