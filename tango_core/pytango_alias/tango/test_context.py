"""PyTango's ``tango.test_context`` answered by ``tango_core.test_context``; ``python -m
tango.test_context module.Class [--host H] [--port N] [--prop DICT]`` serves that device as
PyTango's does."""

from tango_core.pytango_alias import reexport

reexport(__name__, "tango_core.test_context")

if __name__ == "__main__":
    from tango_core.test_context import run_device_test_context

    run_device_test_context()
