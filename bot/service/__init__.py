"""Application services: where decisions from `handlers/` meet `storage/`, one transaction per webhook call or job."""
