"""Background jobs: long operations (publishing a policy version and delivering it) that a
web request starts and any worker process can report on. A job's state lives in the
``jobs`` table (:mod:`huiqi.jobs.models`); the thread doing the work writes its progress
there (:mod:`huiqi.jobs.progress`), and a job whose heartbeat stops is interrupted."""
