"""``python -m tango_core.tangotest test`` runs the TangoTest server ``TangoTest/test``
(PyTango's device server command line: ``-nodb -dlist sys/tg_test/1 -port N`` works too)."""

import sys

from ..server import run
from .device import TangoTest

run((TangoTest,), ["TangoTest", *sys.argv[1:]])
