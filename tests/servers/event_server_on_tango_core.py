"""EventServer's device class (event_server.py) served by tango_core instead of PyTango.

Same command line as event_server.py; Tango sees this file's name as the executable name.
"""

import importlib.util
import os
from pathlib import Path

os.environ["EVENT_SERVER_IMPLEMENTATION"] = "tango_core"
_spec = importlib.util.spec_from_file_location("event_server", Path(__file__).with_name("event_server.py"))
event_server = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(event_server)

if __name__ == "__main__":
    event_server.run((event_server.EventDevice,))
