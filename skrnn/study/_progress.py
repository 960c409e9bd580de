"""Progress lines of a study: :class:`Progress` and the Keras epoch loggers."""

from __future__ import annotations

import sys

from .._keras import epoch_logger_class


class Progress:
    """Progress lines of a study, written to ``stream`` (default: stderr).

    ``progress(text)`` (or ``progress.message(text)``) writes one line.
    ``progress.callback(label)`` returns a Keras callback that writes one line
    per epoch, ``[label] epoch 3/100 loss=... val_loss=...``; pass it in the
    estimator's ``callbacks``. The ``multistep`` part receives
    ``progress.message``.

    Parameters
    ----------
    stream : file-like or None, default=None
        Where the lines go; None writes to ``sys.stderr`` (looked up at each
        line, so a redirected stderr is followed).
    prefix : str, default=""
        Put before every line and label (see :meth:`child`).

    Examples
    --------
    >>> import sys
    >>> from skrnn.study import Progress
    >>> progress = Progress(sys.stdout).child("[eth] ")
    >>> progress("LSTM fitted")
    [eth] LSTM fitted
    """

    def __init__(self, stream=None, prefix: str = ""):
        self.stream = stream
        self.prefix = prefix

    def _label(self, label):
        return f"{self.prefix}{label}" if self.prefix else str(label)

    def message(self, text: str) -> None:
        """Write one line."""
        print(text, file=self.stream if self.stream is not None else sys.stderr, flush=True)

    def callback(self, label: str):
        """A Keras callback printing one line per epoch for ``label``."""
        return epoch_logger_class()(self._label(label), self.message)

    def __call__(self, text: str) -> None:
        """Write one line (``progress`` is a plain line printer for callers)."""
        self.message(f"{self.prefix}{text}" if self.prefix else text)

    def child(self, prefix: str) -> "Progress":
        """The same stream with labels prefixed by ``prefix``."""
        return Progress(self.stream, f"{self.prefix}{prefix}")


class _CountingLogger:
    """Epoch progress for GridSearchCV: ``[search fit 3/37] epoch 2/100 ...``.

    Deep copies (sklearn's clone) return the same object, so the fit counter
    is shared by every candidate.
    """

    def __new__(cls, progress, label, total):
        base = epoch_logger_class()

        class Counting(base):
            """The epoch logger, labelled with the number of the fit that begins."""

            def on_train_begin(self, logs=None):
                super().on_train_begin(logs)
                self.label = f"{label} fit {self.n_fits}/{total}"

        return Counting(label, progress.message)
