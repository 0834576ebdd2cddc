"""Tables, repositories and migrations. Importing any part of the package registers every table on
`storage.models.Model.metadata` (the console's access tables live in `storage.console_models`)."""

from storage import console_models as _console_models  # noqa: F401  (registers its tables)
