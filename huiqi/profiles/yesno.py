"""The words a yes/no value is written with, in registry files and in policies' test
profiles alike (compared lower-cased, trimmed)."""

TRUE_WORDS = ("是", "true", "1", "y", "yes", "t")
FALSE_WORDS = ("否", "false", "0", "n", "no", "f")
