"""Method projects, installed and imported as ``mmlean.projects.<method>``."""
