from liveline_shared.service import main

from .bootstrap import build_app
from .config import Settings

if __name__ == "__main__":
    main("slots", Settings(), build_app)
