"""Errors raised by the sans-IO wire codec.

The codec never raises anything but these (plus ``TypeError``/``ValueError`` for
programming mistakes when *encoding* caller-supplied values), so the transports
can turn every malformed byte stream a peer sends into one clean failure.
"""

from __future__ import annotations


class CodecError(Exception):
    """Base class of every error the wire layer raises about bytes it was given."""


class MarshalError(CodecError):
    """The bytes do not decode: truncated, inconsistent counts, bad discriminators...

    Named after CORBA's MARSHAL system exception, which is what a peer would
    report for the same problem.
    """


class MessageTooLarge(CodecError):
    """A GIOP message (or a reassembled fragment chain) exceeds the configured limit."""
