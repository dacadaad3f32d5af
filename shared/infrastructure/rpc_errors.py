"""Register the shared errors with nameko so an RPC caller receives the same
exception class (with its codes, messages and fields) instead of a RemoteError.

Also: nameko logs an expected exception (a refusal: bad input, a closed service,
another officer's counter) with its traceback. A refusal is an answer, not a
failure, so it is logged as one line, with its class and code (a message may
quote input)."""
import logging

from nameko.exceptions import deserialize_to_instance

from shared.contracts.errors import ALL_ERRORS, PtspError

for _error in ALL_ERRORS:
    deserialize_to_instance(_error)


class RefusalsOnOneLine(logging.Filter):
    def filter(self, record):
        if isinstance(record.msg, str) and record.msg.startswith("(expected)"):
            record.exc_info, record.exc_text = None, None
            args = record.args if isinstance(record.args, tuple) else ()
            if len(args) == 2 and isinstance(args[1], PtspError):
                record.msg = "(expected) refused in %s: %s"
                record.args = (args[0], f"{type(args[1]).__name__} {args[1].error_code} {args[1].status}")
        return True


logging.getLogger("nameko.containers").addFilter(RefusalsOnOneLine())
