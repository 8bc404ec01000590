"""The Spark backend: the compiled rules on Apache Spark (PySpark), local or on a cluster."""
