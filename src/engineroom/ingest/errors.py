"""The one exception ingest raises for a whole file it cannot read."""


class IngestError(Exception):
    """A whole input file could not be ingested (wrong format, not a file, truncated archive, ...).

    The message says which file and why; the corpus is left as it was before the file.
    """
