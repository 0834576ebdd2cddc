"""The project's own labelled messages: the authored corpus (authored.jsonl) and its held-out set (heldout.jsonl)."""
