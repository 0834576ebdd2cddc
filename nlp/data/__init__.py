"""The project's own labelled complaints (train.jsonl, test.jsonl) and the script that writes them."""
