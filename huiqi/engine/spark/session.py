"""One Spark session per process, shared by every SparkBackend with the same master.

Starting Spark (a JVM) takes seconds, so the session is made once and reused: the
tests share it, and a ``huiqi match --backend spark`` run makes exactly one. Spark
allows one active context per process; asking for another master while one runs
is refused with what to do.
"""

from __future__ import annotations

import shutil
import threading
from typing import TYPE_CHECKING

from huiqi.engine.sql.dialect import SparkDialect
from huiqi.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

LOCAL = "local[2]"
_lock = threading.Lock()
_session: tuple[str, SparkSession] | None = None


def missing() -> str | None:
    """Why Spark cannot run here (pyspark or Java is missing), or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "the spark backend needs pyspark: pip install 'huiqi[spark]'"
    if shutil.which("java") is None:
        return "the spark backend needs Java 17 or later on the PATH"
    return None


def spark_session(master: str = LOCAL) -> SparkSession:
    """The process's Spark session on ``master`` (made on first use)."""
    global _session
    why = missing()
    if why:
        raise ConfigError(why)
    from pyspark.sql import SparkSession

    with _lock:
        if _session is not None:
            if _session[0] != master:
                raise ConfigError(
                    f"this process already runs Spark on {_session[0]}; one process can use"
                    f" one Spark master, not also {master}"
                )
            return _session[1]
        builder = (
            SparkSession.builder.master(master)
            .appName("huiqi")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
        )
        if master.startswith("local"):
            # A local run is small: few shuffle partitions, no web UI.
            builder = builder.config("spark.sql.shuffle.partitions", "4")
        for key, value in SparkDialect.session_conf.items():
            builder = builder.config(key, value)
        try:
            session = builder.getOrCreate()
        except Exception:  # py4j's Py4JJavaError, with the JVM's stack trace
            # Spark's own log line above says why ("All masters are unresponsive").
            raise ConfigError(
                f"could not start Spark on {master}; check that the master URL is right and"
                " the cluster reachable from this machine (docs/distributed.md)"
            ) from None
        session.sparkContext.setLogLevel("ERROR")
        _session = (master, session)
        return session
