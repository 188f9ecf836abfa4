"""Exit codes of every command; a leaf module that imports nothing, so any command module may use it."""

from __future__ import annotations

#: Solved (or the command did what it was asked).
EXIT_OK = 0
#: Infeasible, or no plan found within the time limit.
EXIT_INFEASIBLE = 1
#: Bad input: a file, a field or an option is wrong (one line names it).
EXIT_BAD_INPUT = 2
#: An unexpected failure inside the program, including running out of memory (one line; ``--debug`` shows more).
EXIT_INTERNAL = 3
#: Interrupted with Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130
#: The reader of our output went away (128 + SIGPIPE).
EXIT_BROKEN_PIPE = 141
