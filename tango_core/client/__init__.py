"""The PyTango-compatible client API (DeviceProxy, Database, ...); the public names are re-exported by tango_core."""
