"""Privacy: redaction, encryption at rest, data rights, retention, name nudges."""
