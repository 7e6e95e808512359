"""The handler groups, in one table: which capability runs where in an update's pass, and why.

For each update PTB tries the groups from the lowest number up and runs the first matching handler of
each group; a handler that raises `ApplicationHandlerStop` ends the update there. Group FAQ ends with a
catch-all for private chats (`bot.handlers.questions`: any command it does not know gets the help text).
So the rule for every group before it: **a command handled in a private chat must raise
`ApplicationHandlerStop`**, or the user gets the help text as a second reply.
"""

from __future__ import annotations

from enum import IntEnum


class Group(IntEnum):
    # moderation's gate, first for every update: notes users seen in groups and stops blocked users' updates
    # before any answer, command or button (running only the automatic rules on their group messages)
    GATE = -100
    # /reload, /stats, /unanswered, /privacy, /forgetme (bot.handlers.admin): before the FAQ's catch-all; each
    # stops the update once handled, and a non-moderator's /stats falls through to the help like any unknown command
    ADMIN = -10
    # moderation's commands and its anonymous-admin button (bot.handlers.moderation): before the FAQ's catch-all
    # and its button handler, which would answer the button press as a forged one; private commands stop the update
    MODERATION_COMMANDS = -1
    # the FAQ: private chat (questions, registered first, with the catch-all help and the handler of every
    # other button), groups (mention, reply, /ask, /faq) and inline mode; PTB's default group
    FAQ = 0
    # chat-member updates and join/leave service messages: after a command, whatever answered it
    MEMBER_EVENTS = 1
    # the automatic rules on group messages; they may delete the message
    SCAN = 2
    # unasked answers in groups: after the scanner, so a message it deleted is not answered
    AUTO_ANSWER = 3
