"""What services agree on: the events they publish, the errors they answer with,
the shared vocabularies, the base of their commands, and the shape of a domain
change. Plain pydantic and Python: a domain may import it."""
