"""The research domain's one error: an operation that cannot be done as asked, with a message for people."""


class ResearchError(Exception):
    """A research operation that cannot be done as asked; the message says why, for people."""
