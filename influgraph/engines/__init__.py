"""Other engines for the workspace-wide computations that dominate at scale (Apache Spark through pyspark)."""
