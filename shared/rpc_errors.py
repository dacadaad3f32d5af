"""Register the shared errors with nameko so an RPC caller receives the same
exception class (with its codes, messages and fields) instead of a RemoteError."""
from nameko.exceptions import deserialize_to_instance

from shared.errors import ALL_ERRORS

for _error in ALL_ERRORS:
    deserialize_to_instance(_error)
