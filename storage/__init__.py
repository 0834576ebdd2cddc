"""Tables, repositories and migrations; importing `storage.models` registers every table."""
