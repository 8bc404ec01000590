"""``python -m huiqi …``: the ``huiqi`` command, for a machine where the console script is
not on the PATH (a virtual environment not activated, a checkout run in place)."""

from huiqi.cli.main import main

if __name__ == "__main__":
    main()
