"""One error type for everything a user can get wrong, so every face (CLI, page) shows one line."""


class UserError(Exception):
    """A problem with the user's input: the message says what was wrong and what to do."""


class TrackError(UserError):
    """A landmark track that cannot be read; the message names the file and line."""


class VideoError(UserError):
    """A video or image that cannot be opened or decoded."""
