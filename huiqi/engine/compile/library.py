"""Compile a whole library: every policy that compiles, and every error of loading and
compiling, side by side (one broken file never stops the others)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from huiqi.engine.compile.compiler import CompiledPolicy, compile_policy
from huiqi.errors import DictionaryError, Location, PolicyError, RuleCompileError
from huiqi.policies.loader import Library, LoadedPolicy


@dataclass(frozen=True)
class CompiledLibrary:
    """The policies of a library that compiled, and every error of loading and compiling."""

    loaded: list[LoadedPolicy]
    compiled: list[CompiledPolicy]
    errors: list[PolicyError]

    @property
    def library(self) -> Library:
        """The policies that compiled and every error, as the linter reads them."""
        return Library(self.loaded, self.errors)


def compile_library(library: Library | Iterable[LoadedPolicy]) -> CompiledLibrary:
    """Compile every loaded policy; a refusal joins the library's loading errors.

    Example:
        >>> from huiqi.policies.loader import load_library
        >>> lib = compile_library(load_library())
        >>> len(lib.compiled) == len(lib.loaded) and not lib.errors
        True
    """
    loaded = library.policies if isinstance(library, Library) else list(library)
    errors: list[PolicyError] = list(library.errors) if isinstance(library, Library) else []
    ok: list[LoadedPolicy] = []
    compiled: list[CompiledPolicy] = []
    for lp in loaded:
        try:
            compiled.append(compile_policy(lp))
        except PolicyError as exc:
            errors.append(exc)
            continue
        except DictionaryError:
            # The data directory's dictionary.yaml is broken: no policy is at fault, and
            # its own message (file, line, column) says what to correct.
            raise
        except Exception as exc:  # one file that breaks the compiler must not stop the others
            errors.append(
                RuleCompileError(
                    f"the compiler failed on this policy ({type(exc).__name__}: {exc});"
                    " please report it with the file",
                    location=Location(str(lp.path) if lp.path else lp.filename),
                )
            )
            continue
        ok.append(lp)
    return CompiledLibrary(ok, compiled, errors)
